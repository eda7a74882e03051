"""What every schema check shares: a value's type in a user's words, the input types, and
the collector that turns problems into findings at the line of the field at fault."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from promptreg.findings import Finding
from promptreg.frontmatter.yamldoc import YamlDoc

Where = tuple[str | int, ...]

RESERVED_CHAR = "\ue000"
"""U+E000, which promptreg reserves for the role sentinels of a rendered template
(template/markers.py): refused in template sources and in input values, so that neither can
forge a message boundary. Defined here, below both, as the one check they share."""


def describe(value: Any) -> str:
    """A value's type in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def json_type(value: Any) -> str:
    """The JSON Schema type name of a YAML/JSON value (inputs typed from a sample or a default)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "string"


def value_has_type(value: Any, type_name: str) -> bool:
    """Whether `value` is of the declared input type (booleans are not numbers)."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "array":
        return isinstance(value, list | tuple)
    if type_name == "object":
        return isinstance(value, dict)
    return False


def dotted(where: Where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Collector:
    def __init__(self, doc: YamlDoc, path: str) -> None:
        self.doc = doc
        self.path = path
        self.findings: list[Finding] = []

    def add(self, where: Where, code: str, message: str) -> None:
        line, col = self.doc.position(where)
        prefix = f"{dotted(where)}: " if where else ""
        self.findings.append(Finding(self.path, line, col, code, prefix + message))

    def typed(self, where: Where, value: Any, check: Callable[[Any], bool], what: str) -> bool:
        if check(value):
            return True
        self.add(where, "PR022", f"must be {what}, not {describe(value)}")
        return False

    def known_keys(
        self, where: Where, data: Mapping[Any, Any], known: tuple[str, ...], code: str = "PR020"
    ) -> None:
        for key in data:
            if key not in known:
                import difflib  # only on the error path: it costs ~5 ms to import

                hint = difflib.get_close_matches(str(key), known, n=1)
                did = f"did you mean `{hint[0]}`? " if hint else ""
                self.add(
                    (*where, key),
                    code,
                    f"unknown key `{key}`; {did}expected one of: {', '.join(known)}",
                )


def is_str(v: Any) -> bool:
    return isinstance(v, str)


def is_map(v: Any) -> bool:
    return isinstance(v, dict)


def is_list(v: Any) -> bool:
    return isinstance(v, list)


def is_pos_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def not_json(value: Any, where: Where) -> tuple[Where, str] | None:
    """Where and why `value` cannot be sent as JSON in an API request (and so cannot be
    hashed as canonical JSON): a key that is not a string, or a number that is not finite
    (`.nan`, `.inf`). Iterative: the reader already bounds the nesting."""
    stack: list[tuple[Any, Where]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return at, f"{item!r} is not a finite number; an API request is JSON, which has none"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return at, (
                        f"key {key!r} is {describe(key)}: API parameter names are strings "
                        "(quote it)"
                    )
                stack.append((child, (*at, key)))
        elif isinstance(item, list):
            stack.extend((child, (*at, i)) for i, child in enumerate(item))
    return None
