"""`validate`'s check that `output.schema` and each tool's `parameters` are valid JSON Schema.

Kept out of loading (`structured.py`) because it imports `jsonschema` (~50 ms), which the
runtime path (`Registry.get`) must not pay: a deployed prompt passed `validate` when it was
committed (the pre-commit hook runs this same check). The check is jsonschema's own meta-schema
validation for the draft the schema names in `$schema` (2020-12 when it names none); a
`$schema` jsonschema does not know is a finding, not a silent fallback. Nothing is fetched: a
remote `$ref` is not followed by the meta-schema check. Work is bounded by the size of the
front-matter (`lint.max_file_bytes`) and its nesting (100 levels), and linear in it:
jsonschema's own `uniqueItems` falls back to comparing every pair of items that do not sort
(draft-04's meta-schema asks it of `enum`: 4,000 objects took 30 s), so the meta-schema check
uses a `uniqueItems` that compares canonical keys instead.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from promptreg.frontmatter.checks import Where
from promptreg.frontmatter.spec import PromptSpec


def schema_problem(schema: Any) -> tuple[Where, str] | None:
    """Where (inside `schema`) and why `schema` is not a valid JSON Schema; None if it is."""
    import jsonschema
    from jsonschema.validators import validator_for

    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return (), "a JSON Schema is a mapping"
    declared = schema.get("$schema")
    cls = validator_for(dict(schema), default=None)  # type: ignore[arg-type]
    if cls is None:
        if declared is not None:
            return ("$schema",), f"`$schema` {declared!r} is not a draft jsonschema knows"
        cls = jsonschema.Draft202012Validator
    try:
        meta = _meta_validator(cls)
        for error in meta.iter_errors(dict(schema)):
            return tuple(error.absolute_path), error.message
    except jsonschema.SchemaError as err:
        return tuple(err.absolute_path), err.message
    except (RecursionError, ValueError) as err:  # a hostile pattern or nesting
        return (), f"cannot be checked: {type(err).__name__}"
    return None


@functools.cache
def _meta_validator(cls: Any) -> Any:
    """The validator `cls.check_schema` uses, with a linear `uniqueItems` (see above)."""
    from jsonschema.validators import extend, validator_for

    base = validator_for(cls.META_SCHEMA, default=cls)
    meta_cls = extend(base, {"uniqueItems": _unique})  # type: ignore[no-untyped-call]
    return meta_cls(cls.META_SCHEMA, format_checker=meta_cls.FORMAT_CHECKER)


def _unique(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    from jsonschema import ValidationError

    if unique and validator.is_type(instance, "array"):
        seen: set[object] = set()
        for item in instance:
            key = _canon(item)
            if key in seen:
                yield ValidationError(f"{instance!r} has non-unique elements")
                return
            seen.add(key)


def _canon(value: Any) -> object:
    """A hashable key equal for values JSON Schema calls equal (1 == 1.0, True != 1)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("n", int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, Mapping):
        return ("o", frozenset((str(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("a", tuple(_canon(v) for v in value))
    return ("?", repr(value))


def structured_findings(spec: PromptSpec, add: Any) -> None:
    """Call `add(where, code, message)` for each schema in `spec` that is not valid JSON
    Schema: PR081 for `output.schema`, PR083 for a tool's `parameters`."""
    output = spec.output
    if output is not None and output.schema is not None:
        problem = schema_problem(output.schema)
        if problem is not None:
            at, why = problem
            # Picoschema was converted: point at the schema, not inside what it became.
            inside = at if output.written is output.schema or _same(output) else ()
            add(("output", "schema", *inside), "PR081", f"not a valid JSON Schema: {why}")
    raw_tools = spec.raw.get("tools")
    for tool in spec.tools:
        if tool.parameters is None:
            continue
        problem = schema_problem(tool.parameters)
        if problem is not None:
            at, why = problem
            index = _index(raw_tools, tool.raw)
            where: Where = ("tools", index, "function", "parameters", *at)
            add(where, "PR083", f"`{tool.name}` parameters: not a valid JSON Schema: {why}")


def _same(output: Any) -> bool:
    return isinstance(output.written, Mapping) and dict(output.written) == output.schema


def _index(raw_tools: Any, raw: Mapping[str, Any]) -> int:
    if isinstance(raw_tools, list):
        for i, item in enumerate(raw_tools):
            if item is raw:
                return i
    return 0
