"""`output:` and `tools:`: what a prompt asks the model to answer in, and what it may call.

Both are part of the request, so they are typed front-matter fields (issue 12 §4), covered by
the content hash, and sent by `render --json` in the shape an OpenAI-compatible client posts
(`response_format`, `tools`). The checks here are structural and cheap, so loading a prompt
(also at runtime, through `Registry.get`) imports nothing more; whether a schema is valid JSON
Schema is `validate`'s business (`structured_lint.py`, which imports `jsonschema`).

    output:
      format: json                 # json (default when a schema is given) or text
      schema: {type: object, ...}  # JSON Schema, or Picoschema (converted, see picoschema.py)
      name: triage_result          # response_format's name; default: output
      strict: true                 # OpenAI structured outputs' strict mode
    tools:                         # OpenAI's shape; `anthropic_tools` converts
      - type: function
        function: {name: lookup_order, description: ..., parameters: {type: object, ...}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from promptreg.frontmatter.checks import Collector, Where, is_list, is_map, not_json
from promptreg.frontmatter.picoschema import PicoschemaError, to_json_schema

if TYPE_CHECKING:
    from promptreg.frontmatter.spec import PromptSpec

OUTPUT_KEYS: Final = ("format", "schema", "name", "description", "strict")
FORMATS: Final = ("json", "text")
TOOL_KEYS: Final = ("type", "function")
FUNCTION_KEYS: Final = ("name", "description", "parameters", "strict")
# OpenAI's rule for function and response-format names (Anthropic's tool names fit it too).
NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
DEFAULT_NAME: Final = "output"


@dataclass(frozen=True)
class OutputSpec:
    """The response the prompt asks for. `schema` is JSON Schema (Picoschema converted);
    `written` is the schema as the file writes it."""

    format: str
    schema: Mapping[str, Any] | bool | None = None
    name: str | None = None
    description: str | None = None
    strict: bool | None = None
    written: Any = None

    def response_format(self) -> dict[str, Any] | None:
        """OpenAI's `response_format` (Chat Completions): None for text, `json_object` for
        JSON without a schema, `json_schema` with one. The name defaults to a constant, not
        to the prompt's name, so the request is decided by the front-matter alone (and the
        content hash covers all of it)."""
        if self.format == "text":
            return None
        if self.schema is None:
            return {"type": "json_object"}
        inner: dict[str, Any] = {"name": self.name or DEFAULT_NAME, "schema": self.schema}
        if self.description is not None:
            inner["description"] = self.description
        if self.strict is not None:
            inner["strict"] = self.strict
        return {"type": "json_schema", "json_schema": inner}

    def to_json(self) -> dict[str, Any]:
        """As `show --json` reports it: the schema as JSON Schema, and as written."""
        return {
            "format": self.format,
            "schema": self.schema,
            "name": self.name,
            "description": self.description,
            "strict": self.strict,
            "written": self.written,
        }


@dataclass(frozen=True)
class ToolSpec:
    """One function tool, as OpenAI's Chat Completions API takes it."""

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def to_openai(self) -> dict[str, Any]:
        function: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            function["description"] = self.description
        if self.parameters is not None:
            function["parameters"] = self.parameters
        if self.strict is not None:
            function["strict"] = self.strict
        return {"type": "function", "function": function}

    def to_anthropic(self) -> dict[str, Any]:
        """Anthropic's Messages API shape: `input_schema` is required there, so a function
        without parameters takes an empty object."""
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["input_schema"] = (
            self.parameters if self.parameters is not None else {"type": "object", "properties": {}}
        )
        return out


def anthropic_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """`tools` in the shape of Anthropic's Messages API (`{name, description, input_schema}`)."""
    return [tool.to_anthropic() for tool in tools]


def request_fields(output: OutputSpec | None, tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """What `output` and `tools` add to an OpenAI-compatible request body: `response_format`
    and `tools`, each only when there is one."""
    out: dict[str, Any] = {}
    response_format = output.response_format() if output else None
    if response_format is not None:
        out["response_format"] = response_format
    if tools:
        out["tools"] = [tool.to_openai() for tool in tools]
    return out


def request_body(spec: PromptSpec, messages: Sequence[Any]) -> dict[str, Any]:
    """The body an OpenAI-compatible client posts to Chat Completions: model, the model's
    `params`, messages, `response_format` and `tools`."""
    model = spec.model
    body: dict[str, Any] = {"model": model.name if model else None}
    body.update(model.params if model else {})
    body["messages"] = list(messages)
    body.update(request_fields(spec.output, spec.tools))
    return body


def hashed_request(front_matter: Mapping[str, Any]) -> dict[str, Any] | None:
    """The part of the content hash that `output` and `tools` contribute: the request fields
    they make (so a Picoschema and the JSON Schema it stands for hash alike, and so do
    `format: text` and no `output`). None when they add nothing to the request, which keeps
    the hash of every prompt without them as it was."""
    if "output" not in front_matter and "tools" not in front_matter:
        return None
    from promptreg.frontmatter.yamldoc import YamlDoc

    c = Collector(YamlDoc(front_matter, {}), "")
    fields = request_fields(
        parse_output(c, front_matter.get("output")), parse_tools(c, front_matter.get("tools"))
    )
    return fields or None


def parse_output(c: Collector, value: Any) -> OutputSpec | None:
    """The `output` block (findings PR080/PR081), or None when there is none or it is too
    broken to use."""
    if value is None:
        return None
    where: Where = ("output",)
    if not c.typed(where, value, is_map, "a mapping {format, schema, name, strict}"):
        return None
    c.known_keys(where, value, OUTPUT_KEYS, code="PR080")
    ok = True
    written = value.get("schema")
    fmt = value.get("format", "text" if written is None else "json")
    if fmt not in FORMATS:
        c.add((*where, "format"), "PR080", f"{fmt!r} is not a format: use json or text")
        ok = False
    schema: Any = None
    if written is not None:
        if fmt == "text":
            c.add((*where, "schema"), "PR080", "a schema describes JSON: set `format: json`")
            ok = False
        schema = _schema(c, (*where, "schema"), written)
        ok = ok and schema is not None
    name = value.get("name")
    if name is not None and not (isinstance(name, str) and NAME.match(name)):
        c.add((*where, "name"), "PR080", "must be 1-64 letters, digits, `_` or `-`")
        ok = False
    description = value.get("description")
    if description is not None and not isinstance(description, str):
        c.add((*where, "description"), "PR080", "must be a string")
        ok = False
    strict = value.get("strict")
    if strict is not None and not isinstance(strict, bool):
        c.add((*where, "strict"), "PR080", "must be true or false")
        ok = False
    if not ok:
        return None
    return OutputSpec(fmt, schema, name, description, strict, written)


def _schema(c: Collector, where: Where, written: Any) -> Any:
    if not isinstance(written, dict | str | bool):
        c.add(where, "PR081", "must be a JSON Schema (a mapping) or a Picoschema")
        return None
    problem = not_json(written, where)
    if problem is not None:
        c.add(problem[0], "PR081", problem[1])
        return None
    try:
        return to_json_schema(written)
    except PicoschemaError as err:
        c.add((*where, *err.where), "PR081", f"not a valid Picoschema: {err.message}")
        return None


def parse_tools(c: Collector, value: Any) -> tuple[ToolSpec, ...]:
    """The `tools` list (findings PR082/PR083); tools too broken to use are left out."""
    if value is None:
        return ()
    if not c.typed(("tools",), value, is_list, "a list of function tools"):
        return ()
    tools: list[ToolSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        tool = _tool(c, ("tools", i), item)
        if tool is None:
            continue
        if tool.name in seen:
            c.add(("tools", i, "function", "name"), "PR082", f"a second tool named `{tool.name}`")
            continue
        seen.add(tool.name)
        tools.append(tool)
    return tuple(tools)


def _tool(c: Collector, where: Where, item: Any) -> ToolSpec | None:
    shape = "a mapping {type: function, function: {name, description, parameters}}"
    if not isinstance(item, dict):
        c.add(where, "PR082", f"must be {shape}")
        return None
    c.known_keys(where, item, TOOL_KEYS, code="PR082")
    if item.get("type") != "function":
        c.add((*where, "type"), "PR082", "`type: function` is the tool type promptreg sends")
        return None
    function = item.get("function")
    if not isinstance(function, dict):
        c.add((*where, "function"), "PR082", "must be a mapping {name, description, parameters}")
        return None
    at: Where = (*where, "function")
    c.known_keys(at, function, FUNCTION_KEYS, code="PR082")
    name = function.get("name")
    if name is None:
        c.add(at, "PR082", "a tool needs a `name`")
        return None
    if not (isinstance(name, str) and NAME.match(name)):
        c.add((*at, "name"), "PR082", f"{name!r}: a name is 1-64 letters, digits, `_` or `-`")
        return None
    ok = True
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        c.add((*at, "description"), "PR082", "must be a string")
        ok = False
    strict = function.get("strict")
    if strict is not None and not isinstance(strict, bool):
        c.add((*at, "strict"), "PR082", "must be true or false")
        ok = False
    parameters = function.get("parameters")
    if parameters is not None and not _parameters(c, (*at, "parameters"), parameters):
        ok = False
    if not ok:
        return None
    return ToolSpec(name, description, parameters, strict, item)


def _parameters(c: Collector, where: Where, parameters: Any) -> bool:
    if not isinstance(parameters, dict):
        c.add(where, "PR083", "must be a JSON Schema mapping with `type: object`")
        return False
    problem = not_json(parameters, where)
    if problem is not None:
        c.add(problem[0], "PR083", problem[1])
        return False
    if parameters.get("type") != "object":
        c.add(where, "PR083", "a function's parameters are a JSON Schema with `type: object`")
        return False
    return True


def structured_rows(output: OutputSpec | None, tools: Sequence[ToolSpec]) -> list[tuple[str, str]]:
    """`show`'s lines for `output` and `tools`: the format, the schema's top-level properties
    (required ones marked `*`), and each tool with its parameters."""
    rows: list[tuple[str, str]] = []
    if output is not None:
        text = output.format
        if isinstance(output.schema, Mapping):
            text += f", schema {_outline(output.schema)}"
        if output.strict:
            text += ", strict"
        rows.append(("output", text))
    for tool in tools:
        params = _outline(tool.parameters or {"properties": {}})
        params = "(" + params[1:-1] + ")" if params.startswith("{") else params
        about = f" — {tool.description}" if tool.description else ""
        rows.append(("tool", f"{tool.name}{params}{about}"))
    return rows


def _outline(schema: Mapping[str, Any]) -> str:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        kind = schema.get("type")
        return f"<{kind}>" if isinstance(kind, str) else "<any>"
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    names = [f"{name}*" if name in needed else str(name) for name in properties]
    return "{" + ", ".join(names) + "}"
