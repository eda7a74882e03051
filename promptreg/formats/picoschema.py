"""Picoschema (Dotprompt's compact schema notation) to JSON Schema, and JSON Schema to
promptreg's typed inputs.

Picoschema, as Dotprompt's spec suite (`spec/picoschema.yaml`) defines it: a scalar type name
with an optional `, description`; a mapping of fields where `name?` is optional (its type
becomes `[type, "null"]`), `name(array, desc)`, `name(object, desc)` and `name(enum, desc)`
say what the value is, and `(*)` types the other keys. A mapping that already reads as JSON
Schema (`type` or `properties` at its top) is taken as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from promptreg.formats.report import Refused

_SCALARS = ("string", "number", "integer", "boolean", "null", "any")
_JSON_TYPES = ("string", "number", "integer", "boolean", "null", "object", "array")
_FIELD = re.compile(r"\A([^?(]+)(\?)?(?:\((\w+)(?:,\s*(.*))?\))?\Z", re.S)
_MAX_DEPTH = 32


def to_json_schema(
    schema: Any, named: Mapping[str, Any] | None = None, depth: int = 0
) -> dict[str, Any]:
    """The JSON Schema a Picoschema (or JSON Schema) value stands for. Raises Refused."""
    if depth > _MAX_DEPTH:
        raise Refused(f"schema nests more than {_MAX_DEPTH} levels")
    if schema is None:
        return {}
    if isinstance(schema, str):
        return _scalar(schema, named or {})
    if not isinstance(schema, Mapping):
        raise Refused(f"schema must be a type name or a mapping, not {type(schema).__name__}")
    if schema.get("type") in _JSON_TYPES or "properties" in schema:
        out = dict(schema)
        if "properties" in out and "type" not in out:
            out = {"type": "object", **out}
        return out
    return _object(schema, named or {}, depth)


def _scalar(text: str, named: Mapping[str, Any]) -> dict[str, Any]:
    type_, _, description = text.partition(",")
    type_, description = type_.strip(), description.strip()
    if type_ in named:
        out = dict(named[type_])
    elif type_ == "any":
        out = {}
    elif type_ in _SCALARS:
        out = {"type": type_}
    else:
        raise Refused(f"unknown schema type `{type_}`")
    if description:
        out["description"] = description
    return out


def _object(fields: Mapping[str, Any], named: Mapping[str, Any], depth: int) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    out: dict[str, Any] = {"type": "object", "properties": properties}
    for key, value in fields.items():
        if not isinstance(key, str):
            raise Refused(f"schema field name {key!r} is not a string")
        if key.startswith("(*)"):
            out["additionalProperties"] = to_json_schema(value, named, depth + 1)
            continue
        match = _FIELD.match(key.strip())
        if match is None:
            raise Refused(f"cannot read schema field `{key}`")
        name, optional, kind, description = match.groups()
        name = name.strip()
        prop = _field(kind, value, named, depth)
        if description:
            prop["description"] = description.strip()
        if optional:
            _nullable(prop)
        else:
            required.append(name)
        properties[name] = prop
    out.setdefault("additionalProperties", False)
    if required:
        out["required"] = required
    return out


def _field(kind: str | None, value: Any, named: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if kind is None:
        return to_json_schema(value, named, depth + 1)
    if kind == "array":
        return {"type": "array", "items": to_json_schema(value, named, depth + 1)}
    if kind == "object":
        return to_json_schema(value if isinstance(value, Mapping) else {}, named, depth + 1)
    if kind == "enum":
        if not isinstance(value, list):
            raise Refused("an `(enum)` field lists its values")
        return {"enum": list(value)}
    raise Refused(f"unknown schema field kind `({kind})`")


def _nullable(prop: dict[str, Any]) -> None:
    if "enum" in prop:
        prop["enum"] = [*prop["enum"], None]
    elif isinstance(prop.get("type"), str):
        prop["type"] = [prop["type"], "null"]


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
        type_ = _type_of(enum[0])
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


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"
