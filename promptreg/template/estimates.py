"""Estimates of what a template operation would build, made before it is built: an upper
bound of a value's text (`str`, `repr`, JSON), and the widths a printf-style `%` or a `format`
spec asks for. The sandbox checks them against the limits (limits.py) so that `"%999999999d"`
or `"{:>999999999}"` is refused instead of allocated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from promptreg.limits import check_length, check_width, current

_REPR_FACTOR = 10  # `repr` of a str: `\U0001f600`-style escapes are at most 10 characters


def text_size(value: Any, _depth: int = 0) -> int:
    """An upper bound of `len(str(value))` (and of its repr, pformat, JSON), computed without
    building it; stops early once past the string limit."""
    limit = current().max_string_chars
    if isinstance(value, str):
        return len(value) if _depth == 0 else _quoted_size(value)
    if isinstance(value, (bytes, bytearray)):
        return 4 * len(value) + 3
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return int(value.bit_length() * 0.30103) + 3
    if isinstance(value, float):
        return 330  # 1e308 written out in full is 309 digits
    if _depth > 100:
        return limit + 1  # deeper than anything a prompt holds (and than repr recurses)
    items: Iterable[Any]
    if isinstance(value, Mapping):
        items = (x for pair in value.items() for x in pair)
    elif isinstance(value, (list, tuple, set, frozenset)) or _is_view(value):
        items = value
    else:
        attrs = getattr(value, "_Namespace__attrs", None)  # jinja2.runtime.Namespace
        if isinstance(attrs, dict):
            return 16 + text_size(attrs, _depth + 1)
        return 200  # Jinja's own objects (Macro, LoopContext, Undefined...): a short repr
    total = 2
    for item in items:
        total += 4 + text_size(item, _depth + 1)
        if total > limit:
            break
    return total


def _is_view(value: Any) -> bool:
    return type(value).__name__ in ("dict_keys", "dict_values", "dict_items")


def _quoted_size(text: str) -> int:
    """`repr`/JSON of a string inside a container: escapes only for what needs them."""
    if text.isascii() and text.isprintable():
        return len(text) + 2
    return _REPR_FACTOR * len(text) + 2


# printf-style: %[(key)][flags][width][.precision][length]type
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d*))?[hlL]?(?P<conv>.)",
    re.S,
)


def check_printf(template: Any, values: Any) -> None:
    """Before `template % values`: bound the result from the format's widths and precisions
    and the values' sizes (`'%1000000000d' % 1`, `'%*d' % (10**9, 1)`)."""
    if isinstance(template, (bytes, bytearray)):
        template = bytes(template).decode("latin-1")
    if not isinstance(template, str):
        return
    # Python formats a mapping right operand by key (`%(name)s`) and, in a spec without a
    # key, as one value: both are bounded here.
    args = list(values) if isinstance(values, tuple) else [values]
    mapping = values if isinstance(values, Mapping) else None
    total = len(template)
    for match in _PRINTF.finditer(template):
        conv = match["conv"]
        if conv == "%":
            continue
        width = _printf_number(match["width"], args)
        precision = _printf_number(match["prec"], args)
        if match["key"] is not None and mapping is not None:
            value = mapping.get(match["key"])
        else:
            value = args.pop(0) if args else None
        total += max(width, _printf_field_size(conv, value, precision))
        if total > current().max_string_chars:
            check_length(total, "a %-formatted string")


def _printf_number(spec: str | None, args: list[Any]) -> int:
    if not spec:
        return 0
    if spec == "*":
        value = args.pop(0) if args else 0
        number = abs(value) if isinstance(value, int) else 0
    elif len(spec) > 18:
        number = 10**18
    else:
        number = int(spec)
    check_width(number, "a %-format width or precision")
    return number


def _printf_field_size(conv: str, value: Any, precision: int) -> int:
    if conv in "sra":
        size = text_size(value, 0 if conv == "s" else 1)
        return min(size, precision) if precision and conv == "s" else size
    if conv in "eEfFgG%":
        return 330 + precision
    if isinstance(value, float) and conv in "diu":
        value = int(value) if math.isfinite(value) else 0
    if isinstance(value, int):
        return value.bit_length() + 3 + precision  # binary digits bound every base
    return 330 + precision


_FORMAT_NUMBER = re.compile(r"\d+")


def check_format_spec(spec: str) -> None:
    """A `str.format` field's spec (`{:>1000000000}`, `{:.1000000000f}`): every number in it
    (fill, width, precision) is held to the string limit."""
    for digits in _FORMAT_NUMBER.findall(spec):
        check_width(10**18 if len(digits) > 18 else int(digits), "a format width or precision")


def check_printable(value: Any) -> None:
    """Before `str(value)` of something that is not a str or a number (a list, a mapping):
    refuse one whose text would be over the string limit."""
    check_length(text_size(value), f"the text of a {type(value).__name__}")


def as_str(value: Any) -> str:
    """`str(value)`, after checking that its text would not be over the string limit."""
    if type(value) is str:
        return value
    if not isinstance(value, (str, int, float)):
        check_length(text_size(value), f"the text of a {type(value).__name__}")
    return str(value)
