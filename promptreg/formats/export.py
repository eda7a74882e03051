"""`promptreg export NAME --format prompty|prompt.yml|dotprompt`: a promptreg prompt in
another tool's format, with what that format cannot express reported.

Each exported file also carries the promptreg prompt it came from, in one YAML comment line
(`# promptreg-source: {...}`, ignored by every YAML reader) with the sha256 of the rest of
the file: `promptreg import` restores that prompt exactly, so its content hash is the same,
as long as the file was not edited since; an edited file is converted like any other.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptreg.formats.hbs_write import handlebars
from promptreg.formats.jinja_read import Piece, Reading, read_template
from promptreg.formats.report import Refused
from promptreg.formats.tools import to_dotprompt
from promptreg.frontmatter._yaml import dump_yaml

FORMATS = ("prompty", "prompt.yml", "dotprompt")
SUFFIXES = {"prompty": ".prompty", "prompt.yml": ".prompt.yml", "dotprompt": ".prompt"}
SOURCE_TAG = "# promptreg-source: "
_SOURCE_LINE = re.compile(r"^# promptreg-source: (.*)\n?", re.M)


@dataclass
class Exported:
    text: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PromptData:
    """What an export needs of a prompt (the CLI builds it from a loaded `Prompt`)."""

    name: str
    file_text: str  # the promptreg file, as its front-matter and body say
    front: Mapping[str, Any]  # the parsed front-matter
    body: str
    partials: Mapping[str, str]
    dataset: list[dict[str, Any]] | None = None


def export(data: PromptData, fmt: str, *, embed: bool = True) -> Exported:
    if fmt not in FORMATS:
        raise Refused(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    reading = read_template(data.body, data.partials)
    if reading.cannot and fmt != "prompty":  # Prompty takes the Jinja body as it is
        raise Refused(f"{fmt} cannot express " + "; ".join(reading.cannot[:5]))
    _check_json(data, reading, fmt)
    if reading.media and fmt != "dotprompt":
        raise Refused(f"{fmt} cannot express a `{{% media %}}` part (its messages are text)")
    notes: list[str] = []
    if reading.partials:
        notes.append("partials inlined: " + ", ".join(reading.partials))
    writer = {"prompty": _prompty, "prompt.yml": _github, "dotprompt": _dotprompt}[fmt]
    text = writer(data, reading, notes)
    if embed:
        text = embed_source(text, data)
    return Exported(text, notes)


def _check_json(data: PromptData, reading: Reading, fmt: str) -> None:
    """The `json` filter is Dotprompt's `{{json}}`: the other formats have no such thing
    (Prompty's Jinja has `tojson`, whose text differs). `{{json this}}` is all the inputs:
    a mapping of some of them, or in another order, is not."""
    if fmt != "dotprompt" and reading.json_filter:
        raise Refused(f"{fmt} cannot express the `json` filter (Dotprompt's `{{{{json}}}}`)")
    inputs = tuple(data.front.get("inputs") or {})
    if any(piece.kind == "history" for piece in reading.pieces):  # Dotprompt's `messages`
        inputs = tuple(name for name in inputs if name != "history")
    for names in reading.this_names:
        if names != inputs:
            raise Refused(
                "dotprompt cannot express `{...}|json` other than of all the inputs, in their "
                f"order ({', '.join(inputs) or 'none'}), as `{{{{json this}}}}`"
            )


def embed_source(text: str, data: PromptData) -> str:
    payload = {
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "name": data.name,
        "file": data.file_text,
        "partials": dict(data.partials),
    }
    line = SOURCE_TAG + json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    if text.startswith("---\n"):  # inside the front-matter, where a comment is YAML's
        return "---\n" + line + "\n" + text[4:]
    return line + "\n" + text


def embedded_source(text: str) -> dict[str, Any] | None:
    """The promptreg prompt an unedited export carries, or None (none, or edited since)."""
    match = _SOURCE_LINE.search(text)
    if match is None:
        return None
    try:
        payload = json.loads(match.group(1))
    except ValueError:
        return None
    rest = text[: match.start()] + text[match.end() :]
    if not isinstance(payload, dict) or not isinstance(payload.get("file"), str):
        return None
    if payload.get("sha256") != hashlib.sha256(rest.encode("utf-8")).hexdigest():
        return None
    partials = payload.get("partials")
    if not isinstance(partials, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in partials.items()
    ):
        return None
    return payload


# -- shared pieces ---------------------------------------------------------------------------
def _model_string(front: Mapping[str, Any]) -> str:
    model = front.get("model") or {}
    return f"{model.get('provider')}/{model.get('name')}"


def _params(front: Mapping[str, Any]) -> dict[str, Any]:
    model = front.get("model") or {}
    return dict(model.get("params") or {})


def _messages(reading: Reading, notes: list[str]) -> list[tuple[str, list[Piece]]]:
    """Static messages (role, pieces); a body without markers is one user message."""
    messages: list[tuple[str, list[Piece]]] = []
    for piece in reading.pieces:
        if piece.kind == "history":
            notes.append("the conversation (`history`) has no place in a message list: left out")
        elif piece.kind == "marker":
            messages.append((piece.value, []))
        elif piece.kind in ("text", "literal", "var"):
            if not messages and piece.kind == "text" and not piece.value.strip():
                continue  # layout before the first marker (after a history left out)
            if not messages:
                messages.append(("user", []))
            messages[-1][1].append(piece)
        else:
            notes.append(f"cannot express `{{% {piece.kind} %}}` in a message list")
            if not messages:
                messages.append(("user", []))
    return messages


def _trimmed(pieces: list[Piece]) -> list[Piece]:
    """promptreg trims the template's whitespace at a message's edges: so does the export."""
    out = [Piece(p.kind, p.value, p.extra) for p in pieces]
    while out and out[0].kind == "text" and not out[0].value.strip():
        out.pop(0)
    while out and out[-1].kind == "text" and not out[-1].value.strip():
        out.pop()
    if out and out[0].kind == "text":
        out[0].value = out[0].value.lstrip()
    if out and out[-1].kind == "text":
        out[-1].value = out[-1].value.rstrip()
    return out


# -- GitHub Models ---------------------------------------------------------------------------
def _github(data: PromptData, reading: Reading, notes: list[str]) -> str:
    doc: dict[str, Any] = {"name": data.name}
    if data.front.get("description"):
        doc["description"] = data.front["description"]
    doc["model"] = _model_string(data.front)
    if _params(data.front):
        doc["modelParameters"] = _params(data.front)
    messages = []
    for role, pieces in _messages(reading, notes):
        content = ""
        for piece in _trimmed(pieces):
            if piece.kind == "var" and "." in piece.value:
                notes.append(f"`{{{{ {piece.value} }}}}`: prompt.yml fills top-level names only")
            if piece.kind == "var":
                content += "{{" + piece.value + "}}"
            elif piece.kind == "literal":
                content += piece.value
            else:
                if "{{" in piece.value:
                    notes.append("text holding `{{` reads as a placeholder in prompt.yml")
                content += piece.value
        messages.append({"role": role, "content": content})
    doc["messages"] = messages
    _github_output(data.front, doc)
    for name, decl in (data.front.get("inputs") or {}).items():
        if isinstance(decl, Mapping) and "default" in decl:
            notes.append(f"input `{name}`: prompt.yml has no defaults (its default is dropped)")
    _github_evals(data, doc, notes)
    notes.extend(_unused_front(data.front, ("inputs", "sample")))
    return dump_yaml(doc)


def _response_format(front: Mapping[str, Any]) -> dict[str, Any] | None:
    """OpenAI's `response_format` for the prompt's `output:` (None: text, or none)."""
    from promptreg.formats.picoschema import to_json_schema

    output = front.get("output")
    if not isinstance(output, Mapping) or output.get("format", "json") == "text":
        return None
    if "schema" not in output:
        return {"type": "json_object"}
    spec: dict[str, Any] = {"name": output.get("name") or "output"}
    schema = output["schema"]
    spec["schema"] = schema if isinstance(schema, bool) else to_json_schema(schema)
    if "strict" in output:
        spec["strict"] = output["strict"]
    return {"type": "json_schema", "json_schema": spec}


def _github_output(front: Mapping[str, Any], doc: dict[str, Any]) -> None:
    response = _response_format(front)
    if response is None:
        return
    doc["responseFormat"] = response["type"]
    if "json_schema" in response:
        doc["jsonSchema"] = json.dumps(response["json_schema"])


def _github_evals(data: PromptData, doc: dict[str, Any], notes: list[str]) -> None:
    evals = data.front.get("evals") or {}
    if data.dataset:
        rows = []
        for case in data.dataset:
            row = dict(case.get("inputs") or {})
            if "expected" in case:
                row["expected"] = case["expected"]
            rows.append(row)
        doc["testData"] = rows
    evaluators = []
    for metric in evals.get("metrics") or []:
        kind, name = metric.get("kind"), metric.get("name")
        if kind == "exact":
            evaluators.append({"name": name, "string": {"equals": "{{expected}}"}})
        elif kind == "contains":
            evaluators.append({"name": name, "string": {"contains": "{{expected}}"}})
        else:
            notes.append(f"metric `{name}` ({kind}) has no GitHub Models string evaluator")
    if evaluators:
        doc["evaluators"] = evaluators


# -- Dotprompt -------------------------------------------------------------------------------
def _dotprompt(data: PromptData, reading: Reading, notes: list[str]) -> str:
    front: dict[str, Any] = {"model": _model_string(data.front)}
    if data.front.get("version"):
        front["version"] = data.front["version"]
    if data.front.get("description"):
        front["description"] = data.front["description"]
    if _params(data.front):
        front["config"] = _params(data.front)
    inputs = dict(data.front.get("inputs") or {})
    if any(piece.kind == "history" for piece in reading.pieces):
        inputs.pop("history", None)  # `{{history}}` renders Dotprompt's `messages`
    else:
        notes.append(
            "Dotprompt adds the conversation (`messages`) to a template without `{{history}}`;"
            " importing this file back gives the prompt an input `history` for it"
        )
    if inputs:
        front["input"] = _json_schema_input(inputs)
    output = data.front.get("output")
    if isinstance(output, Mapping):
        front["output"] = {k: v for k, v in output.items() if k in ("format", "schema")}
        if set(output) - {"format", "schema"}:
            notes.append("output: only `format` and `schema` have a place in Dotprompt")
    front.update(to_dotprompt(data.front, notes))
    carried = (data.front.get("metadata") or {}).get("dotprompt") or {}
    for key, value in carried.items():
        if key == "tools" and isinstance(value, list) and "tools" in front:
            front["tools"] += [name for name in value if name not in front["tools"]]
        front.setdefault(key, value)
    notes.extend(_unused_front(data.front, ("sample", "tools")))
    body = handlebars(reading.pieces, notes)
    return "---\n" + dump_yaml(front) + "---\n" + body


def _json_schema_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    defaults: dict[str, Any] = {}
    for name, decl in inputs.items():
        prop: dict[str, Any] = {"type": decl.get("type", "string")}
        for key, target in (("enum", "enum"), ("description", "description")):
            if key in decl:
                prop[target] = decl[key]
        if "max_chars" in decl:
            prop["maxLength"] = decl["max_chars"]
        if decl.get("required"):
            required.append(name)
        if "default" in decl:
            defaults[name] = decl["default"]
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    block: dict[str, Any] = {"schema": schema}
    if defaults:
        block["default"] = defaults
    return block


# -- Prompty ---------------------------------------------------------------------------------
_PROMPTY_ROLE = re.compile(
    r"^[ \t]*#?[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t]*$", re.I | re.M
)
_MARKER_LINE = re.compile(r"(system|user|assistant):[ \t]*")  # promptreg's (markers.py)
_INCLUDE = re.compile(r"\{%-?\s*include\s+(['\"])([^'\"]+)\1\s*-?%\}")


def _prompty(data: PromptData, reading: Reading, notes: list[str]) -> str:
    model = data.front.get("model") or {}
    provider = str(model.get("provider", ""))
    configuration: dict[str, Any] = {
        "type": {"azure": "azure_openai"}.get(provider, provider),
        "name": model.get("name"),
    }
    front: dict[str, Any] = {"name": data.name}
    if data.front.get("description"):
        front["description"] = data.front["description"]
    if data.front.get("owners"):
        front["authors"] = list(data.front["owners"])
    front["version"] = data.front.get("version")
    front["model"] = {"api": "chat", "configuration": configuration}
    params = _params(data.front)
    response = _response_format(data.front)
    if response is not None:
        params["response_format"] = response
    if data.front.get("tools"):
        params["tools"] = list(data.front["tools"])  # what Prompty's executor sends
    if params:
        front["model"]["parameters"] = params
    inputs = data.front.get("inputs") or {}
    if inputs:
        front["inputs"] = {
            n: {k: v for k, v in d.items() if k in ("type", "description", "default")}
            for n, d in inputs.items()
        }
    if data.front.get("sample"):
        front["sample"] = dict(data.front["sample"])
    body = _prompty_body(data, reading, notes)
    notes.append("Prompty prints a missing input as nothing; promptreg refuses the render")
    return "---\n" + dump_yaml(front) + "---\n" + body


def _prompty_body(data: PromptData, reading: Reading, notes: list[str]) -> str:
    """The body is Jinja already: partials inlined, and the text lines Prompty would read as
    a role (`User:`, `# system:`) reported (Prompty splits the rendered text)."""
    body = data.body
    if reading.partials:
        body = _INCLUDE.sub(lambda m: data.partials.get(m.group(2), m.group(0))[:-1], body)
        if _INCLUDE.search(body):
            notes.append("an include promptreg could not inline")
    for match in _PROMPTY_ROLE.finditer(body):
        line = match.group(0)
        if not _MARKER_LINE.fullmatch(line):  # indented, `#`, capitalised: text to promptreg
            notes.append(f"the text line {line.rstrip()!r} reads as a role line to Prompty")
    if not any(p.kind == "marker" for p in reading.pieces):
        body = "user:\n" + body  # Prompty makes a body with no role a system message
    return body


def _unused_front(front: Mapping[str, Any], keep: tuple[str, ...]) -> list[str]:
    """Front-matter the target format has no field for."""
    out = []
    for key in ("budget", "evals", "owners", "tools"):
        if front.get(key) and key not in keep:
            out.append(f"`{key}` has no place in this format")
    return out
