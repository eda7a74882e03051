"""Picoschema (Dotprompt's compact schema notation) to JSON Schema.

An `output.schema` may be written either way: a mapping that already reads as JSON Schema (a
`type` naming a JSON type, or a `properties` mapping) is kept as it is; anything else is
Picoschema and converted by the rules of Dotprompt's reference implementation, checked against
its spec suite (`tests/data/dotprompt/picoschema.yaml`):

- `name: type[, description]` is a required property, `name?: ...` an optional one, whose
  type becomes `[type, "null"]` (Dotprompt makes optional fields nullable);
- `name(array[, description]): <item schema>`, `name(object[, description]): {...}`,
  `name(enum[, description]): [values]`; `(*): <schema>` is `additionalProperties`;
- an object gets `additionalProperties: false` unless it has a `(*)` entry.

Named schemas (`schema: Foo`, resolved by a Genkit registry) have no meaning in a prompt file
on its own: they are refused with the name. Work is bounded by the input: one pass over a
front-matter the YAML reader already holds to 100 levels of nesting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

SCALAR_TYPES: Final = ("string", "boolean", "null", "number", "integer", "any")
_JSON_TYPES: Final = (*SCALAR_TYPES[:-1], "object", "array", "any")
WILDCARD: Final = "(*)"


class PicoschemaError(ValueError):
    """A Picoschema that cannot be converted; `where` is the path inside the schema."""

    def __init__(self, message: str, where: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def is_json_schema(schema: Any) -> bool:
    """Whether `schema` is JSON Schema as written (Dotprompt's test): a `type` naming a JSON
    type, or a `properties` mapping. Anything else is read as Picoschema."""
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    return (isinstance(kind, str) and kind in _JSON_TYPES) or isinstance(
        schema.get("properties"), Mapping
    )


def to_json_schema(schema: Any, named: Mapping[str, Any] | None = None) -> Any:
    """The JSON Schema `schema` stands for. Raises `PicoschemaError`. `named`: schemas a type
    name may refer to (a Genkit registry's; a prompt file has none, so none by default)."""
    return _Converter(named or {}).schema(schema)


class _Converter:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self.named = named

    def schema(self, schema: Any) -> Any:
        if isinstance(schema, str):
            return self._scalar(schema, ())
        if isinstance(schema, Mapping):
            if is_json_schema(schema):
                if "type" in schema:
                    return dict(schema)
                return {**schema, "type": "object"}
            return self._object(schema, ())
        if isinstance(schema, bool):  # `true`/`false` are JSON Schemas of their own
            return schema
        raise PicoschemaError("a schema is a mapping or a type name such as `string`")

    @staticmethod
    def _split(text: str) -> tuple[str, str | None]:
        """`type, description` -> (type, description); the first comma separates them."""
        kind, comma, rest = text.partition(",")
        return (kind.strip(), rest.strip() or None) if comma else (text.strip(), None)

    def _scalar(self, text: str, where: tuple[str | int, ...]) -> dict[str, Any]:
        kind, description = self._split(text)
        out: dict[str, Any]
        if kind in self.named:
            out = dict(self.named[kind])
        elif kind not in SCALAR_TYPES:
            raise PicoschemaError(
                f"`{kind}` is not a type (one of {', '.join(SCALAR_TYPES)}); a named schema needs "
                "a schema registry, which a prompt file does not have: write the schema out",
                where,
            )
        else:
            out = {} if kind == "any" else {"type": kind}
        if description:
            out["description"] = description
        return out

    def _parse(self, value: Any, where: tuple[str | int, ...]) -> dict[str, Any]:
        if isinstance(value, str):
            return self._scalar(value, where)
        if isinstance(value, Mapping):
            return self._object(value, where)
        raise PicoschemaError("Picoschema holds only mappings and type names", where)

    def _object(self, obj: Mapping[Any, Any], where: tuple[str | int, ...]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        schema["additionalProperties"] = False
        for key, value in obj.items():
            at = (*where, key)
            if not isinstance(key, str):
                raise PicoschemaError(f"property name {key!r} is not a string", at)
            if key == WILDCARD:
                schema["additionalProperties"] = self._parse(value, at)
                continue
            name, paren, type_info = key.partition("(")
            optional = name.endswith("?")
            prop_name = name[:-1] if optional else name
            if not prop_name:
                raise PicoschemaError(f"property `{key}` has no name", at)
            if not optional:
                required.append(prop_name)
            if not paren:
                prop = self._parse(value, at)
                if optional and isinstance(prop.get("type"), str):
                    prop["type"] = [prop["type"], "null"]
                properties[prop_name] = prop
                continue
            if not type_info.endswith(")"):
                raise PicoschemaError(f"`{key}`: a parenthesised type ends with `)`", at)
            kind, description = self._split(type_info[:-1])
            prop = self._typed(kind, value, optional, at)
            if description:
                prop["description"] = description
            properties[prop_name] = prop
        if required:
            schema["required"] = required
        return schema

    def _typed(
        self, kind: str, value: Any, optional: bool, at: tuple[str | int, ...]
    ) -> dict[str, Any]:
        """A property written `name(kind): value`."""
        if kind == "array":
            return {
                "type": ["array", "null"] if optional else "array",
                "items": self._parse(value, at),
            }
        if kind == "object":
            if not isinstance(value, Mapping):
                raise PicoschemaError("an `(object)` property holds a mapping of its fields", at)
            prop = self._object(value, at)
            if optional:
                prop["type"] = [prop["type"], "null"]
            return prop
        if kind == "enum":
            if not isinstance(value, list) or not value:
                raise PicoschemaError("an `(enum)` property holds a non-empty list of values", at)
            return {"enum": [*value, None] if optional else list(value)}
        raise PicoschemaError(
            f"a parenthesised type is `array`, `object` or `enum`, not `{kind}`", at
        )
