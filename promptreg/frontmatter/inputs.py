"""Check the inputs given to a prompt against its `inputs` declaration."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from promptreg._lazyre import lazy_pattern
from promptreg.errors import InputError
from promptreg.frontmatter.checks import RESERVED_CHAR, describe, value_has_type
from promptreg.frontmatter.spec import MISSING, InputSpec
from promptreg.frontmatter.yamldoc import MAX_NESTING
from promptreg.limits import DEFAULT, Limits

_SURROGATE = lazy_pattern("[\ud800-\udfff]")
# What `--set` reads as a number: JSON's digits (ASCII), not everything Python's int() takes.
_INTEGER = lazy_pattern(r"[-+]?[0-9]+\Z")
_NUMBER = lazy_pattern(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_CONTAINERS = (list, tuple, dict)  # a tuple: `isinstance` checks it faster than a union (render)


def resolve_inputs(
    specs: Mapping[str, InputSpec],
    given: Mapping[str, Any],
    *,
    prompt: str | None = None,
    limits: Limits = DEFAULT,
) -> dict[str, Any]:
    """The values the template sees: given ones checked, defaults applied, absent optional
    inputs as None. Raises `InputError` naming the input for the first problem, and
    `InputError` too when all of them hold more than `limits` allow (checking and rendering
    them costs time in proportion, before the render's own clock starts)."""
    for name in given:
        if name not in specs:
            takes = ", ".join(f"`{n}`" for n in specs) or "no inputs"
            raise InputError(
                f"unknown input; this prompt takes {takes}", input_name=name, prompt=prompt
            )
    over = size_problem(given, limits)
    if over is not None:
        raise InputError(over[1], input_name=over[0], prompt=prompt)
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            value = given[name]
            problem = input_problem(spec, value)
            if problem:
                raise InputError(problem, input_name=name, prompt=prompt)
        elif spec.required:
            raise InputError("is required but was not given", input_name=name, prompt=prompt)
        elif spec.default is not MISSING:
            value = spec.default
        else:
            value = None
        values[name] = value
    return values


def size_problem(given: Mapping[str, Any], limits: Limits) -> tuple[str, str] | None:
    """The input that takes the inputs past `max_input_values` or `max_input_chars`, and
    why; None when they fit. Stops as soon as they do not: its own work is bounded by the
    limits, and so is every later walk (checks, the render), which reach no more values."""
    values, chars = 0, 0
    max_values, max_chars = limits.max_input_values, limits.max_input_chars
    for name, value in given.items():
        if type(value) is str:  # the usual input, without a walk (render is on the hot path)
            values += 1
            chars += len(value)
        elif isinstance(value, _CONTAINERS):
            try:
                values, chars = _walk(value, values, chars, limits)
            except ValueError as too_deep:
                return name, str(too_deep)
        else:
            values += 1
        if values > max_values:
            return name, (
                f"the inputs hold more than {max_values:,} values (list items, keys and "
                "values) (limits.max_input_values)"
            )
        if chars > max_chars:
            return name, (
                f"the inputs hold more than {max_chars:,} characters of text "
                "(limits.max_input_chars)"
            )
    return None


def _walk(value: Any, values: int, chars: int, limits: Limits) -> tuple[int, int]:
    """`values` and `chars` with those of `value` added, stopping once over a limit. A list
    that holds itself is nested too deeply long before it is too big: ValueError then, with
    the message `nesting_problem` gives."""
    stack = [(value, 0)]
    while stack and values <= limits.max_input_values and chars <= limits.max_input_chars:
        item, depth = stack.pop()
        values += 1
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, dict | list | tuple):
            if depth >= MAX_NESTING:
                raise ValueError(
                    f"is nested more than {MAX_NESTING} levels deep (or contains itself)"
                )
            size = len(item) * (2 if isinstance(item, dict) else 1)  # keys and values
            if values + size > limits.max_input_values:  # over: no need to copy it
                return values + size, chars
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return values, chars


def input_problem(spec: InputSpec, value: Any) -> str | None:
    """Why `value` breaks `spec`, or None."""
    if value is None:
        return None if not spec.required else "is required but is null"
    if isinstance(value, _CONTAINERS):
        too_deep = nesting_problem(value)
        if too_deep:
            return too_deep
    if not value_has_type(value, spec.type):
        return f"must be {spec.type}, not {describe(value)} {_short(value)}"
    if spec.enum is not None and value not in spec.enum:
        options = ", ".join(repr(v) for v in spec.enum)
        return f"{_short(value)} is not one of the allowed values: {options}"
    if spec.max_chars is not None and isinstance(value, str) and len(value) > spec.max_chars:
        return f"is {len(value):,} characters, over max_chars {spec.max_chars:,}"
    return text_problem(value)


def text_problem(value: Any) -> str | None:
    """Why a string in `value` cannot be rendered: promptreg's reserved character, or a lone
    surrogate (not text: no UTF-8 encoding, so no request and no token count can hold it).
    Also a number that is not finite (`nan`, `inf`): inputs are JSON values, which has none."""
    if isinstance(value, str):
        if RESERVED_CHAR in value:
            return "contains U+E000, a private-use character promptreg reserves for rendering"
        if not value.isascii() and _SURROGATE.search(value):
            return "contains a lone surrogate (U+D800-U+DFFF), which is not text"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"contains {value!r}, which is not a JSON number (inputs are JSON values)"
    if isinstance(value, list | tuple):
        items: Any = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return None
    for item in items:
        problem = text_problem(item)
        if problem:
            return problem
    return None


def nesting_problem(value: Any) -> str | None:
    """Why `value` nests too deeply (or refers to itself), or None. Iterative, so that no value
    can exhaust the stack here: every later walk over it (`repr`, JSON, Jinja) recurses."""
    deepest: dict[int, int] = {}  # container id -> the deepest level it was reached at
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= MAX_NESTING:
            return f"is nested more than {MAX_NESTING} levels deep (or contains itself)"
        if deepest.get(id(item), -1) >= depth:
            continue  # shared, and already walked from at least this deep
        deepest[id(item)] = depth
        stack.extend((child, depth + 1) for child in children)
    return None


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an integer past Python's digit limit
        return describe(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_input_text(spec: InputSpec | None, text: str) -> Any:
    """A value typed on the command line (`--set name=text`), read as the input's type.

    Raises ValueError with a message when `text` is not a value of that type.
    """
    kind = spec.type if spec is not None else "string"
    if kind == "string":
        return text
    if kind == "integer":
        try:
            if not _INTEGER.match(text):  # int() also takes `١٢`, `1_000` and ` 12 `
                raise ValueError
            return int(text)
        except ValueError:
            raise ValueError(f"{_short(text)} is not an integer{_too_long(text)}") from None
    if kind == "number":
        try:
            if not _NUMBER.match(text):  # float() also takes `nan`, `inf`, `١٢` and `1_0`
                raise ValueError
            number = float(text)
            if not math.isfinite(number):  # 1e999
                raise ValueError
        except ValueError:
            raise ValueError(f"{_short(text)} is not a number") from None
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"{_short(text)} is not true or false")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{_short(text)} is not JSON ({err.msg})") from None
    except RecursionError:  # json's C scanner nests as deep as the interpreter allows
        raise ValueError(f"is nested more than {MAX_NESTING} levels deep") from None
    except ValueError:  # an integer past Python's digit limit
        raise ValueError(
            f"{_short(text)} is not JSON promptreg can read{_too_long(text)}"
        ) from None
    too_deep = nesting_problem(value)
    if too_deep:
        raise ValueError(too_deep)
    return value


def _too_long(text: str) -> str:
    limit = sys.get_int_max_str_digits()
    return f" (integers have at most {limit:,} digits)" if len(text) > limit else ""


def read_values(text: str, *, source: str) -> Any:
    """A `--vars` document read as what it is: JSON as JSON (a `.json` file, or text starting
    with `{` or `[` that parses as JSON: YAML's reader refuses escapes JSON allows, such as
    the surrogate pairs `json.dumps` writes for an emoji), YAML otherwise. Either way the same
    rules: nesting up to MAX_NESTING levels, no duplicate keys, no integer past Python's digit
    limit. Raises ValueError(message, line or None) on a problem."""
    stripped = text.lstrip("\ufeff \t\r\n")
    as_json = source.lower().endswith(".json") or stripped[:1] in ("{", "[")
    if as_json:
        try:
            return _read_json(stripped)
        except _JsonProblem as problem:
            if source.lower().endswith(".json"):
                raise ValueError(problem.message, problem.line) from None
            # not JSON after all (YAML flow style is close to it): read it as YAML below
    from promptreg.frontmatter._yaml import read_yaml
    from promptreg.frontmatter.yamldoc import YamlError

    try:
        return read_yaml(text).data
    except YamlError as err:
        raise ValueError(err.message, err.line) from None


class _JsonProblem(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _read_json(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _JsonProblem(f"duplicate key {_short(key)}", None)
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise _JsonProblem(f"{name} is not a JSON number", None)

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as err:
        raise _JsonProblem(f"not valid JSON: {err.msg} (column {err.colno})", err.lineno) from None
    except RecursionError:  # json's C scanner nests as deep as the interpreter allows
        raise _JsonProblem(f"is nested more than {MAX_NESTING} levels deep", None) from None
    except _JsonProblem:
        raise
    except ValueError:  # an integer past Python's digit limit
        raise _JsonProblem(
            f"holds an integer over {sys.get_int_max_str_digits():,} digits", None
        ) from None
    too_deep = nesting_problem(value)
    if too_deep:
        raise _JsonProblem(too_deep, None)
    return value
