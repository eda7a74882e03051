"""The `.prompty` fields that declare what a render takes: `inputs`, `sample` and `tools`
(see `frontmatter/prompty.py`, which reads the rest), and the view both build."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from promptreg.frontmatter.checks import json_type
from promptreg.frontmatter.yamldoc import YamlDoc

Where = tuple[str | int, ...]
ReadFile = Callable[[str], bytes | None]

FILE_REF = re.compile(r"\$\{file:([^}]+)\}\Z")
# Prompty kinds/types -> promptreg input types.
TYPES: Final = {
    "string": "string",
    "str": "string",
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "object": "object",
    "dict": "object",
}


class View:
    """Builds the translated data and its positions, and collects findings."""

    def __init__(self, doc: YamlDoc) -> None:
        self.src = doc
        self.data: dict[str, Any] = {}
        self.positions: dict[Where, tuple[int, int]] = {(): doc.position(())}
        self.findings: list[tuple[Where, str, str]] = []

    def put(self, key: str, value: Any, origin: Where) -> None:
        self.data[key] = value
        self.at((key,), origin)

    def at(self, where: Where, origin: Where) -> None:
        self.positions[where] = self.src.position(origin)

    def bad(self, origin: Where, code: str, message: str) -> None:
        self.findings.append((origin, code, message))


def read_inputs(view: View, data: Mapping[str, Any]) -> None:
    inputs = data.get("inputs")
    if inputs is None:
        return
    if isinstance(inputs, str) and FILE_REF.match(inputs.strip()):
        view.bad(
            ("inputs",),
            "PR084",
            "inputs read from a file: declare them in the prompt, "
            "so that a change to them is a change to the prompt",
        )
        return
    items: list[tuple[str, Any, Where]] = []
    if isinstance(inputs, list):
        for i, item in enumerate(inputs):
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                items.append((item["name"], item, ("inputs", i)))
            else:
                view.bad(("inputs", i), "PR022", "an input is a mapping with a `name`")
    elif isinstance(inputs, Mapping):
        items = [(str(k), v, ("inputs", k)) for k, v in inputs.items()]
    else:
        view.put("inputs", inputs, ("inputs",))
        return
    out: dict[str, Any] = {}
    view.put("inputs", out, ("inputs",))
    for name, decl, origin in items:
        if not isinstance(decl, Mapping):  # v2 shorthand `name: example`
            decl = {"example": decl}
        kind = decl.get("type", decl.get("kind", _kind_of(decl)))
        mapped = TYPES.get(kind) if isinstance(kind, str) else None
        if mapped is None:
            view.bad(
                origin,
                "PR084",
                f"input `{name}`: kind {kind!r} is not one promptreg "
                f"renders (use one of {', '.join(sorted(set(TYPES.values())))})",
            )
            continue
        entry: dict[str, Any] = {"type": mapped}
        for key in ("default", "description", "required"):
            if key in decl:
                entry[key] = decl[key]
        if "enumValues" in decl or "enum" in decl:
            entry["enum"] = decl.get("enumValues", decl.get("enum"))
        out[name] = entry
        view.at(("inputs", name), origin)


def _kind_of(decl: Mapping[str, Any]) -> str:
    for key in ("default", "example", "sample"):
        if key in decl:
            return json_type(decl[key])
    return "string"


def read_sample(view: View, data: Mapping[str, Any], read_file: ReadFile | None) -> None:
    """`sample` as written, or read from `${file:x.json}` beside the prompt. Its keys that no
    input declares are inputs too, typed by their value: Prompty v1 takes the sample as the
    prompt's signature (promptflow's `sample_as_input_signature`)."""
    sample = _file_ref(view, data.get("sample"), ("sample",), read_file)
    if sample is None:
        return
    view.put("sample", sample, ("sample",))
    if not isinstance(sample, Mapping):
        return
    inputs = view.data.setdefault("inputs", {})
    if not isinstance(inputs, dict):
        return
    view.at(("inputs",), ("inputs",) if "inputs" in data else ("sample",))
    for key, value in sample.items():
        if isinstance(key, str) and key not in inputs:
            inputs[key] = {"type": json_type(value)}
            view.at(("inputs", key), ("sample", key))


def _file_ref(view: View, value: Any, origin: Where, read_file: ReadFile | None) -> Any:
    """`value`, or the JSON of the file it names as `${file:x.json}` beside the prompt (None
    when it cannot be read here: a finding says why, except where no file can be read at all,
    as for a prompt read from a git revision)."""
    if not isinstance(value, str) or not (ref := FILE_REF.match(value.strip())):
        return value
    relative = ref.group(1)
    if read_file is None:
        return None
    if relative.startswith(("/", "\\")) or ".." in relative.replace("\\", "/").split("/"):
        view.bad(origin, "PR084", f"file {relative!r} is outside the prompt's directory")
        return None
    data = read_file(relative)
    if data is None:
        view.bad(origin, "PR084", f"file {relative!r} cannot be read")
        return None
    try:
        return json.loads(data)
    except ValueError as err:
        view.bad(origin, "PR084", f"file {relative!r} is not JSON: {err}")
        return None


def read_tools(view: View, data: Mapping[str, Any]) -> None:
    tools = data.get("tools")
    if not isinstance(tools, list):
        if tools is not None:
            view.put("tools", tools, ("tools",))
        return
    out: list[Any] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or tool.get("kind", "function") != "function":
            kind = tool.get("kind") if isinstance(tool, Mapping) else None
            view.bad(
                ("tools", i),
                "PR084",
                f"a `{kind}` tool is not a function tool: promptreg sends function tools only",
            )
            continue
        function: dict[str, Any] = {"name": tool.get("name")}
        if "description" in tool:
            function["description"] = tool["description"]
        if "strict" in tool:
            function["strict"] = tool["strict"]
        if "parameters" in tool:
            function["parameters"] = _parameters(tool["parameters"])
        view.at(("tools", len(out)), ("tools", i))
        out.append({"type": "function", "function": function})
    view.put("tools", out, ("tools",))


def _parameters(parameters: Any) -> Any:
    """Prompty v2's property list as the JSON Schema object OpenAI takes."""
    if not isinstance(parameters, list):
        return parameters
    properties: dict[str, Any] = {}
    required: list[str] = []
    for prop in parameters:
        if not isinstance(prop, Mapping) or not isinstance(prop.get("name"), str):
            return parameters  # left for PR083 to report
        schema: dict[str, Any] = {"type": TYPES.get(str(prop.get("kind")), prop.get("kind"))}
        if "description" in prop:
            schema["description"] = prop["description"]
        if "enumValues" in prop:
            schema["enum"] = prop["enumValues"]
        properties[prop["name"]] = schema
        if prop.get("required", True):
            required.append(prop["name"])
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def read_outputs(view: View, data: Mapping[str, Any]) -> None:
    """Prompty v2's `outputs` (a property list, or a mapping of them) as the `output` it asks
    for: the `response_format` Prompty's OpenAI executor sends, strict JSON Schema named
    `structured_output`, every property listed as required and the optional ones nullable."""
    outputs = data.get("outputs")
    if outputs is None or "output" in view.data:
        return
    if isinstance(outputs, Mapping):
        outputs = [{"name": k, **v} if isinstance(v, Mapping) else v for k, v in outputs.items()]
    if not isinstance(outputs, list) or not all(
        isinstance(p, Mapping) and isinstance(p.get("name"), str) for p in outputs
    ):
        view.bad(("outputs",), "PR084", "outputs are a list of properties, each with a `name`")
        return
    schema = _object(outputs)
    view.put(
        "output",
        {"format": "json", "name": "structured_output", "strict": True, "schema": schema},
        ("outputs",),
    )


def _object(properties: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    for prop in properties:
        if isinstance(prop, Mapping) and isinstance(prop.get("name"), str):
            out["properties"][prop["name"]] = _property(prop, optional=not prop.get("required"))
    if out["properties"]:
        out["required"] = list(out["properties"])
    return out


def _property(prop: Mapping[str, Any], *, optional: bool) -> dict[str, Any]:
    kind = prop.get("kind")
    kind = kind if isinstance(kind, str) else None  # any YAML value: never hashed
    schema: dict[str, Any] = {"type": TYPES[kind]} if kind in TYPES else {}
    if prop.get("description"):
        schema["description"] = prop["description"]
    if isinstance(prop.get("enumValues"), list):
        schema["enum"] = list(prop["enumValues"])
    if kind in ("array", "list"):
        items = prop.get("items")
        schema["items"] = (
            _property(items, optional=False) if isinstance(items, Mapping) else {"type": "string"}
        )
    if kind in ("object", "dict"):
        nested = prop.get("properties")
        schema.update(_object(nested if isinstance(nested, list) else []))
    if optional:
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"].append(None)
    return schema
