"""Bounded filters, tests and globals for the sandbox (see sandbox.py and limits.py).

Every builtin filter is wrapped: a step before it; for filters that make text of their value
(`upper`, `escape`, `indent`...), a measure of that text when it is a list or a mapping; a
size check before it where a parameter sets the size (`center(width)`, `indent(width)`,
`batch(n)`, `format`, `wordwrap`, `replace`, `tojson`); and a size check of what it returns,
which also counts toward the render's total. `join`, `sum` and `slice` are replaced by
versions that measure first; `range` and `lipsum` by bounded ones. One filter is promptreg's:
`json` (json_text.py), which measures and counts steps as it writes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

from jinja2.exceptions import FilterArgumentError
from jinja2.filters import FILTERS, make_attrgetter, sync_do_join, sync_do_slice, sync_do_sum
from jinja2.sandbox import safe_range
from jinja2.tests import TESTS
from jinja2.utils import generate_lorem_ipsum, pass_environment, pass_eval_context
from markupsafe import soft_str

from promptreg.limits import active as limits_active
from promptreg.limits import built, built_size, check_length, check_result, check_width
from promptreg.template.estimates import as_str, check_printable, check_printf, text_size


def bounded_globals() -> dict[str, Callable[..., Any]]:
    return {"range": _range, "lipsum": _lipsum}


def _range(*args: int) -> range:
    return safe_range(*args)  # a call: already a step (BoundedSandbox.call)


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    check_length(n * max * 16, "lipsum()")
    return generate_lorem_ipsum(n, html, min, max)


def _pre_center(value: Any, width: int = 80) -> None:
    check_width(width, "center")


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> None:
    check_printf(soft_str(value), kwargs or args)


def _pre_indent(s: Any, width: int | str = 4, *rest: Any, **kw: Any) -> None:
    step_width = len(width) if isinstance(width, str) else width
    if isinstance(step_width, int):
        text = soft_str(s)
        check_length(len(text) + (text.count("\n") + 1) * step_width, "indent")


def _pre_wordwrap(
    env: Any,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> None:
    text = soft_str(s)
    if isinstance(width, int):
        lines = 2 * len(text) // max(width - 1, 1) + text.count("\n") + 2
        joiner = wrapstring if isinstance(wrapstring, str) else env.newline_sequence
        check_length(len(text) + lines * len(joiner), "wordwrap")


def _pre_replace(ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> None:
    text = soft_str(s)
    if isinstance(old, str) and isinstance(new, str):
        hits = text.count(old)
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        check_length(len(text) + hits * (len(new) - len(old)), "replace")


def _pre_batch(value: Any, linecount: int, fill_with: Any = None) -> None:
    check_width(linecount, "batch")


def _pre_text(value: Any, *args: Any, **kwargs: Any) -> None:
    """string, pprint: the text of a list or mapping, bounded before it is built."""
    if not isinstance(value, str):
        check_length(2 * text_size(value, 1), "the text of a value")


def _pre_tojson(ctx: Any, value: Any, indent: int | None = None) -> None:
    check_width(indent, "tojson indent")
    size = 6 * text_size(value, 1)
    if isinstance(indent, int) and indent > 0:
        size *= indent
    check_length(size, "tojson")


@pass_eval_context
def _join(ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """`join`, measured before it is built."""
    if attribute is not None:
        value = map(make_attrgetter(ctx.environment, attribute), value)
    parts = [x if isinstance(x, str) else as_str(x) for x in value]
    sep = soft_str(d)
    check_length(sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0), "join")
    if not ctx.autoescape:
        return sep.join(parts)
    return sync_do_join(ctx, parts, d)  # escapes what is not Markup


@pass_environment
def _sum(env: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
    items = list(iterable)
    if isinstance(start, (list, tuple)):
        # Python's sum of lists copies the running total at each item (quadratic time):
        # measure the result, then build it in one pass.
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        if all(type(v) is type(start) for v in items):
            check_length(len(start) + sum(map(len, items)), "sum")
            return type(start)(chain(start, *items))
        attribute = None
    return sync_do_sum(env, items, attribute, start)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    check_width(slices, "slice")
    return sync_do_slice(value, slices, fill_with)


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_center,
    "format": _pre_format,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "replace": _pre_replace,
    "batch": _pre_batch,
    "string": _pre_text,
    "pprint": _pre_text,
    "tojson": _pre_tojson,
}
_REPLACED: dict[str, Callable[..., Any]] = {"join": _join, "sum": _sum, "slice": _slice}


class FilterError(Exception):
    """A filter or test given an argument it cannot take (`center(none)`, `round(1e308,
    10**9)`, `json(1, 2)`): the render error names it, whatever Python raised inside."""


# What a filter raises on a value or argument it cannot take. Not Jinja's other errors (an
# undefined name, the sandbox), nor the limits, nor RecursionError/MemoryError: those are
# reported as they are (prompt.py).
_ARGUMENT_ERRORS = (
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
    AssertionError,  # `truncate` checks its length with `assert`
    FilterArgumentError,  # Jinja's, which does not say which filter either
)


def _bounded(
    func: Callable[..., Any],
    pre: Callable[..., None] | None,
    printable: bool = False,
    builds: bool = False,
    *,
    name: str = "filter `?`",
) -> Callable[..., Any]:
    """`func` with a step before it, `pre` (a size check on its arguments) if any, and a size
    check of its result. A `printable` filter makes text of its first argument (`str()` of a
    list or mapping): that text is measured first. An argument it cannot take is a
    `FilterError` naming it (`name`: "filter `json`"). Inlined: filters are on the hot path."""
    active = limits_active
    at = _value_at(func)

    def checked(*args: Any, **kwargs: Any) -> Any:
        budget = active.get()
        try:
            if budget is None:  # outside a render (Jinja folding constants): sizes only
                if printable and len(args) > at:
                    _check_printable(args[at])
                if pre is not None:
                    pre(*args, **kwargs)
                return check_result(func(*args, **kwargs))
            budget.tick()  # a filter may be long (sort, groupby): the clock is read at each
            if printable and len(args) > at and type(args[at]) not in _PLAIN:
                _check_printable(args[at])
            if pre is not None:
                pre(*args, **kwargs)
            result = func(*args, **kwargs)
        except FilterError:
            raise
        except _ARGUMENT_ERRORS as err:  # `try` costs nothing until something is raised
            raise FilterError(f"{name}: {_said(err)}") from err
        kind = type(result)
        if kind is str or kind is list or isinstance(result, (str, bytes, list, tuple)):
            size = len(result)
            if size > budget.limits.max_string_chars:
                check_length(size, "a filter's result")
            if builds and (len(args) <= at or result is not args[at]):
                budget.built += size if kind is str else built_size(result)
                if budget.built > budget.limits.max_total_chars:
                    built(result)  # raises
        return result

    checked.__name__ = getattr(func, "__name__", "filter")
    checked.__doc__ = getattr(func, "__doc__", None)
    if hasattr(func, "jinja_pass_arg"):
        checked.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


def _value_at(func: Callable[..., Any]) -> int:
    """Where the filtered value is in the arguments: after the context, if it takes one."""
    return 1 if hasattr(func, "jinja_pass_arg") else 0


def _said(err: BaseException) -> str:
    """What Python said, without the internal name it gave our wrapper (`_json() takes`);
    our own filters' errors (`plain`) as they are."""
    if getattr(err, "plain", False):
        return str(err)
    text = str(err).replace("_json()", "json").replace("_lipsum()", "lipsum()")
    return f"{type(err).__name__}: {text}"


_PLAIN = frozenset({str, int, float, bool})


def _check_printable(value: Any) -> None:
    if not isinstance(value, (str, int, float)):
        check_printable(value)


# Filters that return one of the values they are given, building nothing.
_PICKS = frozenset({"attr", "d", "default", "first", "last", "max", "min", "random"})

# Filters that turn their value into text (`soft_str`, `escape`, `Markup`): given a list or a
# mapping, they would build its whole text before anything else could measure it.
_PRINTABLE = frozenset(
    {"capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower"}
    | {"replace", "safe", "striptags", "title", "trim", "truncate", "upper", "urlencode"}
    | {"urlize", "wordcount", "wordwrap", "xmlattr"}
)


@functools.cache
def counted_tests() -> dict[str, Callable[..., Any]]:
    """Every builtin test with a step (`in`, `eq` and friends cost what their operands do)."""
    tests: Mapping[str, Any] = TESTS
    return {name: _bounded(func, None, name=f"test `{name}`") for name, func in tests.items()}


@functools.cache
def bounded_filters() -> dict[str, Callable[..., Any]]:
    """Every builtin filter with a step, a size check after (growth by a bounded factor:
    upper, escape, urlencode...), and, where a parameter sets the size, a check before."""
    out: dict[str, Callable[..., Any]] = {}
    for name, func in FILTERS.items():
        func = _REPLACED.get(name, func)
        out[name] = _bounded(
            func,
            _PRECHECKS.get(name),
            name in _PRINTABLE,
            name not in _PICKS,
            name=f"filter `{name}`",
        )
    # Dotprompt's {{json}} (json_text.py)
    out["json"] = _bounded(_json, None, builds=True, name="filter `json`")
    # A conversation input, turn by turn (history_turns.py)
    out["chat_history"] = _bounded(_chat_history, None, False, False, name="filter `chat_history`")
    return out


def _chat_history(turns: Any) -> Any:
    """The `chat_history` filter; imported on first use, as `json` is."""
    from promptreg.template.history_turns import chat_history

    return chat_history(turns)


def _json(value: Any, indent: Any = None) -> str:
    """The `json` filter; its module is imported on first use (not on the runtime path)."""
    from promptreg.template.json_text import json_text

    return json_text(value, indent)
