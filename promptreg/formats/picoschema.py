"""Dotprompt's `input.schema` as promptreg's typed inputs: Picoschema (or JSON Schema) converted
by the one converter `output.schema` uses too (frontmatter/picoschema.py, checked against
Dotprompt's spec suite), then its top-level properties declared as inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptreg.formats.report import Refused
from promptreg.frontmatter.checks import json_type
from promptreg.frontmatter.picoschema import PicoschemaError
from promptreg.frontmatter.picoschema import to_json_schema as _convert


def to_json_schema(schema: Any, named: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema a Picoschema (or JSON Schema) value stands for. Raises Refused."""
    if schema is None:
        return {}
    try:
        out = _convert(schema, named)
    except PicoschemaError as err:
        where = ".".join(str(part) for part in err.where)
        raise Refused(f"schema{' at ' + where if where else ''}: {err.message}") from None
    if not isinstance(out, dict):
        raise Refused("an input schema of `true` or `false` declares no inputs")
    return out


_INPUT_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


def inputs_from_schema(schema: Mapping[str, Any], notes: list[str]) -> dict[str, dict[str, Any]]:
    """promptreg input declarations for a JSON Schema object (its top-level properties)."""
    if schema.get("type") not in ("object", None) or not isinstance(
        schema.get("properties", {}), Mapping
    ):
        raise Refused("the input schema is not an object with properties")
    required = set(schema.get("required") or ())
    out: dict[str, dict[str, Any]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        prop = prop if isinstance(prop, Mapping) else {}
        out[str(name)] = input_from_property(str(name), prop, str(name) in required, notes)
    return out


def input_from_property(
    name: str, prop: Mapping[str, Any], required: bool, notes: list[str]
) -> dict[str, Any]:
    types = prop.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    kinds = [t for t in names if t != "null"]
    enum = [v for v in prop.get("enum") or [] if v is not None]
    type_ = kinds[0] if len(kinds) == 1 and kinds[0] in _INPUT_TYPES else None
    if type_ is None and enum:
        type_ = json_type(enum[0])
    if type_ is None:
        type_ = "string"
        notes.append(f"input `{name}`: schema type {types or 'any'!r} declared as string")
    out: dict[str, Any] = {"type": type_}
    if required and "null" not in names:
        out["required"] = True
    if enum:
        out["enum"] = enum
    if isinstance(prop.get("description"), str):
        out["description"] = prop["description"]
    if "default" in prop:
        out["default"] = prop["default"]
        out.pop("required", None)
    if type_ in ("object", "array") and any(k in prop for k in ("properties", "items")):
        notes.append(f"input `{name}`: the shape of its {type_} (JSON Schema) is not checked")
    return out
