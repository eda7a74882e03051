"""`tools:` in the other formats, both ways (issue 12 §4).

promptreg's `tools` are OpenAI function tools (`{type: function, function: {name,
description, parameters, strict}}`). Where each format keeps them:
- Prompty v1: `model.parameters.tools`, the same list (what Prompty's executor sends); the
  import reads it, and v2's `tools` (`kind: function`), with the in-place reader;
- Dotprompt: `toolDefs`, its inline definitions (`name`, `description`, `inputSchema`); the
  names also go in `tools`, which is what Genkit binds to the tools defined in code. A
  definition has no `strict`: that is reported, and the round trip loses it. Names in `tools`
  with no definition stay under `metadata.dotprompt` on import (Genkit's own tools);
- GitHub `.prompt.yml` has no tools (github/gh-models' prompt file): the export says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptreg.formats.picoschema import to_json_schema
from promptreg.formats.report import Refused


def functions(front: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The `function` part of each of a prompt's tools, as written."""
    tools = front.get("tools")
    if not isinstance(tools, list):
        return []
    return [
        tool["function"]
        for tool in tools
        if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping)
    ]


def to_dotprompt(front: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """Dotprompt's `tools` (names) and `toolDefs` (definitions) for a prompt's tools."""
    names: list[str] = []
    defs: list[dict[str, Any]] = []
    for function in functions(front):
        name = str(function.get("name"))
        names.append(name)
        definition: dict[str, Any] = {"name": name}
        if "description" in function:
            definition["description"] = function["description"]
        definition["inputSchema"] = function.get("parameters", {"type": "object"})
        if "strict" in function:
            notes.append(f"tool `{name}`: Dotprompt's tool definitions have no `strict`")
        defs.append(definition)
    if not names:
        return {}
    notes.append(
        "tools: Genkit binds the names in `tools` to tools defined in code; their definitions "
        "are in `toolDefs`"
    )
    return {"tools": names, "toolDefs": defs}


def from_dotprompt(front: dict[str, Any], notes: list[str]) -> list[dict[str, Any]] | None:
    """promptreg's tools for Dotprompt's `toolDefs`; the names in `tools` they define are
    taken out of `front` (the others stay, for metadata.dotprompt)."""
    defs = front.get("toolDefs")
    if defs is None:
        return None
    if not isinstance(defs, list):
        raise Refused("`toolDefs` is not a list")
    out: list[dict[str, Any]] = []
    for definition in defs:
        if not isinstance(definition, Mapping) or not isinstance(definition.get("name"), str):
            raise Refused("a tool definition in `toolDefs` has no `name`")
        function: dict[str, Any] = {"name": definition["name"]}
        if "description" in definition:
            function["description"] = definition["description"]
        schema = definition.get("inputSchema")
        if schema is not None:
            function["parameters"] = to_json_schema(schema)
        if "outputSchema" in definition:
            notes.append(f"tool `{definition['name']}`: its `outputSchema` is not carried")
        out.append({"type": "function", "function": function})
    front.pop("toolDefs")
    defined = {tool["function"]["name"] for tool in out}
    names = front.get("tools")
    if isinstance(names, list):
        # a name may be any YAML value (a list, a mapping): compared as text, never hashed
        left = [name for name in names if not (isinstance(name, str) and name in defined)]
        if left:
            front["tools"] = left
        else:
            front.pop("tools")
    return out
