"""`diff` of `output` and `tools` in a reviewer's words: what the model is now asked for.

A generic tree diff would say `tools[1]: {...} removed` or `output.schema.required[2]: 'x'
added`; a reviewer wants "tool `refund` removed" and "output: property `reason` is now
required". Schemas are compared as the JSON Schema they stand for (Picoschema converted), so
rewriting one notation into the other shows no change. Nested object properties are followed
(`address.city`), array items as `items[]`; anything else that differs in a schema is one
sentence saying where.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptreg.frontmatter.spec import PromptSpec
from promptreg.frontmatter.structured import OutputSpec, ToolSpec

_WALKED = ("type", "properties", "required", "items", "enum", "description")


def structured_changes(a: PromptSpec, b: PromptSpec) -> list[str]:
    """Sentences for every difference in `output` and `tools` between `a` and `b`."""
    return _output_changes(a.output, b.output) + _tool_changes(a.tools, b.tools)


def _output_changes(old: OutputSpec | None, new: OutputSpec | None) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [f"output added: {new.format}" + (" with a schema" if new.schema else "")]
    if new is None:
        return ["output removed: the response is free text again"]
    out: list[str] = []
    for key in ("format", "name", "strict"):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            out.append(f"output.{key} changed from {before!r} to {after!r}")
    if old.schema != new.schema:
        if old.schema is None or new.schema is None:
            out.append("output schema " + ("added" if old.schema is None else "removed"))
        else:
            out += schema_changes(old.schema, new.schema, "output")
    return out


def _tool_changes(old: tuple[ToolSpec, ...], new: tuple[ToolSpec, ...]) -> list[str]:
    before = {tool.name: tool for tool in old}
    after = {tool.name: tool for tool in new}
    out = [f"tool `{name}` removed" for name in before if name not in after]
    out += [f"tool `{name}` added" for name in after if name not in before]
    for name, tool in after.items():
        was = before.get(name)
        if was is None or was == tool:
            continue
        if was.description != tool.description:
            out.append(f"tool `{name}`: description changed")
        if was.strict != tool.strict:
            out.append(f"tool `{name}`: strict changed from {was.strict!r} to {tool.strict!r}")
        if was.parameters != tool.parameters:
            out += schema_changes(
                was.parameters or {"type": "object", "properties": {}},
                tool.parameters or {"type": "object", "properties": {}},
                f"tool `{name}` parameters",
            )
    if [t.name for t in old if t.name in after] != [t.name for t in new if t.name in before]:
        out.append("tools reordered")
    return out


def schema_changes(old: Any, new: Any, label: str, path: str = "") -> list[str]:
    """Sentences for the differences between two JSON Schemas, `label` saying whose."""
    if old == new:
        return []
    where = f" `{path}`" if path else ""
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return [f"{label}: schema{where} changed"]
    out: list[str] = []
    if old.get("type") != new.get("type"):
        out.append(
            f"{label}:{where or ' the schema'} type changed from "
            f"{_kind(old.get('type'))} to {_kind(new.get('type'))}"
        )
    out += _property_changes(old, new, label, path)
    if old.get("items") != new.get("items"):
        out += schema_changes(old.get("items"), new.get("items"), label, f"{path}[]")
    enum_old, enum_new = old.get("enum"), new.get("enum")
    if enum_old != enum_new:
        out.append(_enum_change(enum_old, enum_new, label, where))
    if old.get("description") != new.get("description"):
        out.append(f"{label}:{where or ' the schema'} description changed")
    rest_old = {k: v for k, v in old.items() if k not in _WALKED}
    rest_new = {k: v for k, v in new.items() if k not in _WALKED}
    for key in sorted(set(rest_old) | set(rest_new)):
        if rest_old.get(key) != rest_new.get(key):
            out.append(f"{label}:{where or ' the schema'} `{key}` changed")
    return out


def _property_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], label: str, path: str
) -> list[str]:
    props_old = old.get("properties") if isinstance(old.get("properties"), Mapping) else {}
    props_new = new.get("properties") if isinstance(new.get("properties"), Mapping) else {}
    assert isinstance(props_old, Mapping) and isinstance(props_new, Mapping)
    req_old, req_new = _required(old), _required(new)
    out: list[str] = []
    for name in props_old:
        if name not in props_new:
            out.append(f"{label}: property `{_join(path, name)}` removed")
    for name in props_new:
        full = _join(path, name)
        if name not in props_old:
            need = "required" if name in req_new else "optional"
            out.append(f"{label}: new {need} property `{full}`")
            continue
        if name in req_new and name not in req_old:
            out.append(f"{label}: property `{full}` is now required")
        elif name in req_old and name not in req_new:
            out.append(f"{label}: property `{full}` is no longer required")
        out += schema_changes(props_old[name], props_new[name], label, full)
    # A required name without a property of its own (allowed by JSON Schema).
    for name in sorted((req_new - req_old) - set(props_new)):
        out.append(f"{label}: `{_join(path, name)}` is now required")
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else str(name)


def _required(schema: Mapping[str, Any]) -> set[str]:
    required = schema.get("required")
    return {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()


def _kind(value: Any) -> str:
    if value is None:
        return "any"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def _enum_change(old: Any, new: Any, label: str, where: str) -> str:
    if isinstance(old, list) and isinstance(new, list):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = []
        if added:
            parts.append("added " + ", ".join(repr(v) for v in added))
        if removed:
            parts.append("removed " + ", ".join(repr(v) for v in removed))
        return f"{label}:{where or ' the schema'} enum " + ("; ".join(parts) or "reordered")
    return f"{label}:{where or ' the schema'} enum changed"
