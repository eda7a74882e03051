"""The `json` filter: a value as JavaScript's `JSON.stringify(value, null, indent)` writes it.

Dotprompt's `{{json x indent=2}}` is that call, and Jinja's `tojson` is not: it sorts keys,
writes `", "` and `": "`, prints `1.0` and escapes `<`, `>`, `&` and `'`. An imported
Dotprompt prompt renders `{{ x|json(indent=2) }}`, so it sends the model the text Dotprompt
would send (issue 12). What JavaScript does, and so does this:
- keys in their own order, except that array-index keys (`"0"`, `"7"`) come first, ascending,
  as in every JavaScript object; compact (`,` and `:`) without an indent;
- `indent`: a number of spaces (at most 10; 0 or below, or NaN, compact; between 0 and 1,
  line breaks and no spaces, as node writes it) or a string (its first 10 characters,
  where JavaScript takes 10 UTF-16 units and may split a pair; empty, compact), with the
  line break and `": "` that JSON.stringify writes with it; any other value (true, a
  list) compact;
- numbers as `Number.prototype.toString` writes them (`1` for 1.0, `1e-7`, `1e+21`), `NaN`
  and infinities as `null`; integers in full (JavaScript rounds those past 2**53, which
  Python values can hold exactly);
- strings escape only `"`, `\\`, control characters (`\\n`, `\\u001f`) and lone surrogates;
- two keys that JavaScript makes the same property name (`1` and `"1"`, `None` and
  `"null"`) are an error: no JavaScript object has them both, and keeping one value (as
  `Object.fromEntries` would, the last) would drop the other silently.

Bounded like every sandbox filter (limits.py): a step for each value written (the clock is
read as it goes), the text measured as it grows against `max_string_chars`, integers held to
`max_int_bits`, and nesting to 100 levels, which also stops a list that contains itself.
A value JSON has no form for (a set, a date, an object) is a TypeError, as for `tojson`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from promptreg.limits import check_bits, check_length, current, step

MAX_DEPTH = 100  # as deep as an input value may be (README, "Rendering")
_ESCAPE = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT["\t"] = "\\t"
_INDEX_KEY = re.compile(r"0|[1-9][0-9]{0,9}")


def json_text(value: Any, indent: Any = None) -> str:
    """`JSON.stringify(value, null, indent)` (see the module docstring)."""
    gap = _gap(indent)
    writer = _Writer(gap or "", current().max_string_chars, pretty=gap is not None)
    writer.value(value, 0)
    return "".join(writer.parts)


def _gap(indent: Any) -> str | None:
    """JSON.stringify's `space` argument: a number of spaces or a string, 10 at most; None
    (compact) for any other value (a list, true), as in JavaScript. As node (V8) does, a
    number above 0 writes line breaks even when it indents by 0 spaces (`0.5`); NaN and
    numbers up to 0 are compact, Infinity is 10. An undefined name is an error
    (StrictUndefined), not JavaScript's `undefined`."""
    if isinstance(indent, Undefined):
        indent._fail_with_undefined_error()
    if isinstance(indent, bool):
        return None
    if isinstance(indent, (int, float)):
        return " " * int(min(10, indent)) if indent > 0 else None  # NaN > 0 is false
    if isinstance(indent, str):
        return indent[:10] or None
    return None


class _Writer:
    def __init__(self, gap: str, limit: int, *, pretty: bool) -> None:
        self.gap = gap
        self.pretty = pretty  # line breaks and ": " (a gap of "" can have them: see _gap)
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.limit:
            check_length(self.size, "the json of a value")

    def value(self, value: Any, depth: int) -> None:
        step()
        if isinstance(value, str):
            self.add(quote(value))
        elif value is None:
            self.add("null")
        elif value is True or value is False:
            self.add("true" if value else "false")
        elif isinstance(value, int):
            check_bits(value.bit_length(), "an integer written as json")
            self.add(str(value))
        elif isinstance(value, float):
            self.add(js_number(value))
        elif isinstance(value, Undefined):
            value._fail_with_undefined_error()  # StrictUndefined: says which name
        elif depth >= MAX_DEPTH:
            raise ValueError(f"a value nested more than {MAX_DEPTH} deep (or in itself)")
        elif isinstance(value, Mapping):
            self.mapping(value, depth + 1)
        elif isinstance(value, (list, tuple)):
            self.array(value, depth + 1)
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def open(self, bracket: str, depth: int) -> str:
        """Write `bracket`; the separator to write before each item."""
        self.add(bracket)
        return "\n" + self.gap * depth if self.pretty else ""

    def close(self, bracket: str, depth: int, empty: bool) -> None:
        if self.pretty and not empty:
            self.add("\n" + self.gap * (depth - 1))
        self.add(bracket)

    def array(self, items: list[Any] | tuple[Any, ...], depth: int) -> None:
        lead = self.open("[", depth)
        for i, item in enumerate(items):
            self.add(("," if i else "") + lead)
            self.value(item, depth)
        self.close("]", depth, not items)

    def mapping(self, value: Mapping[Any, Any], depth: int) -> None:
        lead = self.open("{", depth)
        colon = ": " if self.pretty else ":"
        pairs = [(_key(key), item) for key, item in value.items()]
        if len({key for key, _ in pairs}) < len(pairs):
            _duplicate(value)
        index = sorted((p for p in pairs if _is_index(p[0])), key=_index_order)
        if index:  # JavaScript: array-index keys first, ascending
            pairs = index + [p for p in pairs if not _is_index(p[0])]
        for i, (key, item) in enumerate(pairs):
            self.add(("," if i else "") + lead + quote(key) + colon)
            self.value(item, depth)
        self.close("}", depth, not pairs)


def _duplicate(value: Mapping[Any, Any]) -> None:
    """Two keys that are one property name (`1` and `"1"`, `True` and `"true"`): JavaScript
    has no such object, and picking one value would drop the other without a word."""
    seen: dict[str, Any] = {}
    for key in value:
        name = _key(key)
        if name in seen:
            raise ValueError(
                f"keys {seen[name]!r} and {key!r} are both the property {quote(name)}: "
                "a JSON object has each name once"
            )
        seen[name] = key


def _is_index(key: str) -> bool:
    """An array index to JavaScript: a canonical integer from 0 to 2**32 - 2."""
    return _INDEX_KEY.fullmatch(key) is not None and int(key) < 2**32 - 1


def _index_order(pair: tuple[str, Any]) -> int:
    return int(pair[0])


def _key(key: Any) -> str:
    """A mapping key as JavaScript makes it a property name (Python's json does the same)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return "null" if key is None else "true" if key else "false"
    if isinstance(key, int):
        check_bits(key.bit_length(), "an integer written as json")
        return str(key)
    if isinstance(key, float):
        return js_number(key, nan="NaN")
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def quote(text: str) -> str:
    """A JSON string as JSON.stringify writes it (well-formed: lone surrogates escaped)."""
    return '"' + _ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


def js_number(number: float, nan: str = "null") -> str:
    """`Number.prototype.toString` of a finite double (ECMA-262, Number::toString), from
    Python's shortest round-trip digits, which are JavaScript's too. Not finite: `nan`
    (JSON.stringify writes null; a property name is `NaN`, `Infinity`)."""
    if number != number or number in (float("inf"), float("-inf")):
        if nan == "null":
            return "null"
        return "NaN" if number != number else ("Infinity" if number > 0 else "-Infinity")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    k = len(digits)
    n = exponent + len(digit_tuple)  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + text
