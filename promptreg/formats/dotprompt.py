"""Import a Dotprompt `.prompt` file (Genkit, Firebase): YAML front-matter over Handlebars.

`model: googleai/gemini-1.5-pro` becomes the model block and `config` its params; `input.schema`
(Picoschema or JSON Schema) becomes typed inputs and `input.default` their defaults; the body
is translated to Jinja (`hbs_jinja.py`) with partials inlined. `output` (json or text) is
promptreg's `output:`, `toolDefs` its `tools:` (tools.py); tool names without a definition
(Genkit's registered tools), other output formats and other keys are kept under
`metadata.dotprompt` (so `export` writes them back) and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from promptreg.formats.hbs_jinja import translate
from promptreg.formats.picoschema import inputs_from_schema, to_json_schema
from promptreg.formats.promptfile import Draft, model_of, version_of
from promptreg.formats.report import Refused
from promptreg.formats.source import mapping, parse_yaml, read_source, split_document
from promptreg.formats.tools import from_dotprompt
from promptreg.template.sources import beside

_known_keys = (
    "name variant version description model config input output tools metadata ext raw toolDefs"
)
KNOWN_KEYS = frozenset(_known_keys.split())
_CARRIED = ("output", "tools", "toolDefs", "ext", "raw", "variant")


def draft_dotprompt(
    text: str,
    *,
    name: str,
    partials: Callable[[str], str | None],
    default_model: str | None,
    notes: list[str],
    input_block: Mapping[str, Any] | None = None,
) -> Draft:
    """A Draft for Dotprompt source `text`. `input_block`: an `input:` block (schema,
    default) for a file that has none, as a user adds when importing. Raises Refused."""
    front_text, body = split_document(text, header=True)
    front = dict(mapping(parse_yaml(front_text or "", "front-matter"), "the front-matter"))
    if front_text is not None:
        body = body.strip()  # as Dotprompt reads a body under front-matter
    draft = Draft(name=name, body="", model={}, notes=notes)
    version_of(front.get("version"), draft)
    if isinstance(front.get("description"), str):
        draft.description = front["description"]
    config = dict(mapping(front.get("config"), "`config`"))
    model_of(front.get("model"), default_model, draft, config)
    if input_block is not None and "input" not in front:
        front = {**front, "input": input_block}
    _inputs(front, draft)
    declared = tuple(draft.inputs) if "schema" in mapping(front.get("input"), "`input`") else None
    translation = translate(
        body,
        partials=partials,
        declared=declared,
        implicit_history=True,
        taken=tuple(draft.inputs),
    )
    draft.body = translation.source
    for note in translation.notes:
        draft.note(note)
    for var, kind in translation.used.items():
        if var not in draft.inputs:
            draft.inputs[var] = _inferred(kind)
    _output(front, draft)
    draft.tools = from_dotprompt(front, draft.notes)
    carried = {key: front[key] for key in _CARRIED if key in front}
    if isinstance(front.get("metadata"), Mapping):
        carried["metadata"] = front["metadata"]
    for key in front:
        if key not in KNOWN_KEYS:
            carried[str(key)] = front[key]
    if carried:
        draft.metadata["dotprompt"] = carried
        draft.note(
            "kept under metadata.dotprompt (promptreg does not act on them): "
            + ", ".join(f"`{k}`" for k in carried)
        )
    return draft


def _output(front: dict[str, Any], draft: Draft) -> None:
    """Dotprompt's `output` (format json/text, a schema) is promptreg's `output:`; its other
    formats (media, array, enum, jsonl) stay under metadata.dotprompt."""
    output = front.get("output")
    if not isinstance(output, Mapping):
        return
    fmt = output.get("format", "json" if "schema" in output else None)
    if fmt not in ("json", "text") or set(output) - {"format", "schema"}:
        return
    try:
        to_json_schema(output.get("schema"))
    except Refused as err:
        draft.note(f"`output` kept under metadata.dotprompt: its {err}")
        return
    draft.output = {"format": fmt, **({"schema": output["schema"]} if "schema" in output else {})}
    front.pop("output")


def _inputs(front: Mapping[str, Any], draft: Draft) -> None:
    block = mapping(front.get("input"), "`input`")
    defaults = mapping(block.get("default"), "`input.default`")
    if "schema" in block:
        schema = to_json_schema(block["schema"])
        if schema.get("type") == "object" or "properties" in schema:
            draft.inputs.update(inputs_from_schema(schema, draft.notes))
            props = schema.get("properties") or {}
            draft.schemas.update({str(k): v for k, v in props.items() if isinstance(v, Mapping)})
        else:
            draft.note("the input schema is not an object: inputs taken from the template")
    for decl in draft.inputs.values():
        if not decl.get("required") and "default" not in decl and decl["type"] in _EMPTY:
            decl["default"] = _EMPTY[decl["type"]]  # Handlebars: a missing value is empty
    for key, value in defaults.items():
        decl = draft.inputs.setdefault(str(key), _inferred(_kind_of(value)))
        decl.pop("required", None)
        decl["default"] = value


_EMPTY: dict[str, Any] = {"string": "", "array": [], "object": {}}


def _inferred(kind: str) -> dict[str, Any]:
    """An input no schema declares. Handlebars prints a missing value as nothing: an
    optional string defaulting to "" renders the same."""
    if kind == "history":
        return {"type": "array", "default": []}
    if kind == "context":
        return {"type": "object", "default": {}}
    if kind in ("array", "object"):
        return {"type": kind, "required": True}
    return {"type": "string", "default": ""}


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "string"


def partial_finder(directory: Path) -> Callable[[str], str | None]:
    """Dotprompt's partials: `_name.prompt` beside the prompt or in a `partials` folder."""

    def find(name: str) -> str | None:
        if "/" in name or "\\" in name or name.startswith("."):
            return None
        names = (f"_{name}.prompt", f"{name}.prompt")
        for relative in (*names, *(f"partials/{n}" for n in names)):
            candidate = beside(directory, relative)  # not through a linked `partials` folder
            if candidate is not None and candidate.is_file():
                notes: list[str] = []
                _, body = split_document(read_source(candidate, notes), header=True)
                return body
        return None

    return find


def looks_like_dotprompt(front: Mapping[str, Any] | None, body: str) -> bool:
    """Dotprompt rather than promptreg: its front-matter keys or a Handlebars body."""
    if front is not None:
        model = front.get("model")
        if isinstance(model, str) or "input" in front or "config" in front:
            return True
    return any(sign in body for sign in HANDLEBARS_SIGNS)


# Text that is a syntax error in Jinja, and everyday Handlebars.
HANDLEBARS_SIGNS = ("{{role ", "{{#", "{{/", "{{>", "{{!", "{{else}}", "{{@", "{{~", "{{{")


def read_file(path: Path, notes: list[str]) -> str:
    return read_source(path, notes)


def refuse_partial(path: Path) -> None:
    if path.name.startswith("_"):
        raise Refused("a Dotprompt partial (`_name.prompt`): it is inlined where it is used")
