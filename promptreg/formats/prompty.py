"""Import a Prompty file (`.prompty`, both generations) as a promptreg prompt.

The body stays Jinja (Prompty's default) or is translated from Mustache (`template:
mustache`). Role lines are rewritten the way Prompty reads them: `# System:`, `USER :` and
the like become promptreg's exact `system:`/`user:` markers, a body without one becomes a
system message, and a transcript line `{{ item.role }}:` (a role picked at render time, which
promptreg never lets a value do) becomes marker lines under `{% if %}`. Inputs come from
`inputs` (v1 mapping or v2 list) typed by their declaration or the sample; a variable nobody
declared, or declared without a default, is required (Prompty prints a missing variable as
nothing; promptreg asks for it). Connections, `outputs` and the rest of the model block are
kept under `metadata.prompty` and reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptreg.formats.hbs_jinja import translate
from promptreg.formats.promptfile import Draft, model_of, template_variables, version_of
from promptreg.formats.report import Refused
from promptreg.formats.source import mapping, parse_yaml, read_source, split_document
from promptreg.frontmatter.checks import json_type
from promptreg.frontmatter.prompty_fields import TYPES
from promptreg.template.sources import beside
from promptreg.template.text_lint import spaced_prints

# Prompty's role line: optional `#`, a role, optional spaces, a colon, alone on its line.
_ROLE_LINE = re.compile(
    r"^[ \t]*#?[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t]*$",
    re.I | re.M,
)
_VALUE_ROLE = re.compile(r"^[ \t]*\{\{-?\s*([A-Za-z_][\w.]*)\s*-?\}\}[ \t]*:[ \t]*$", re.M)
_INCLUDES = re.compile(r"\{%-?\s*(include|import|from|extends)\b")
_FILE_REF = re.compile(r"\$\{file:([^}]+)\}")
_PROVIDERS = {"azure_openai": "azure", "azure": "azure", "openai": "openai"}


def draft_prompty(
    text: str,
    *,
    name: str,
    default_model: str | None,
    notes: list[str],
    base: Path | None = None,
) -> Draft:
    """A Draft for Prompty source `text`; `base`: the file's folder, for `${file:...}`
    samples. Raises Refused."""
    front_text, body = split_document(text)
    front = mapping(parse_yaml(front_text or "", "front-matter", 1), "the front-matter")
    if _INCLUDES.search(body):
        raise Refused(
            "the body includes or extends another file ({% include %}): import that file as a "
            "partial first, or inline it"
        )
    draft = Draft(name=name, body="", model={}, notes=notes)
    meta = front.get("metadata")
    version = front.get("version") or (meta.get("version") if isinstance(meta, Mapping) else None)
    version_of(version, draft)
    if isinstance(front.get("description"), str):
        draft.description = front["description"]
    _model(front.get("model"), default_model, draft)
    sample = _file_ref(front.get("sample"), base, draft)
    if isinstance(sample, Mapping):
        draft.sample = dict(sample)
    elif sample is not None:
        draft.note("`sample` is not a mapping (a file reference?): not carried")
    _inputs(front.get("inputs"), draft)
    draft.body = _body(body, _template_format(front.get("template")), draft)
    for var in sorted(template_variables(draft.body) - set(draft.inputs)):
        kind = json_type(draft.sample[var]) if var in draft.sample else "string"
        draft.inputs[var] = {"type": kind, "required": True}
        if var not in draft.sample:
            draft.note(f"input `{var}` was not declared: declared as a required {kind}")
    carried = {k: front[k] for k in ("name", "authors", "outputs", "tags", "base") if k in front}
    if isinstance(meta, Mapping):
        carried["metadata"] = meta
    if carried:
        draft.metadata["prompty"] = carried
        draft.note("kept under metadata.prompty: " + ", ".join(f"`{k}`" for k in carried))
    return draft


def _file_ref(value: Any, base: Path | None, draft: Draft) -> Any:
    """`${file:sample.json}`: the JSON file beside the prompt (bounded; no absolute path, `..`
    or symlink on the way: `${file:/home/me/creds.json}` copied that file into the prompt)."""
    match = _FILE_REF.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return value
    path = beside(base, match.group(1)) if base is not None else None
    if path is None or not path.is_file():
        draft.note(f"`{value}` (a file reference) not found beside the prompt: not carried")
        return None
    try:
        return json.loads(read_source(path, []))
    except (ValueError, Refused) as err:
        draft.note(f"`{value}` is not a JSON file ({err}): not carried")
        return None


def _model(model: Any, default: str | None, draft: Draft) -> None:
    if isinstance(model, str):  # v2 shorthand: `model: gpt-4o`
        model = {"id": model}
    model = mapping(model, "`model`")
    config = model.get("configuration") or model.get("connection")
    if isinstance(config, str):
        raise Refused(f"model.configuration is a reference ({config}): not supported")
    config = mapping(config, "model.configuration")
    provider = str(model.get("provider") or config.get("type") or "")
    provider = _PROVIDERS.get(provider, provider)
    name = model.get("id") or config.get("model") or config.get("name")
    if not name and (config.get("azure_deployment") or config.get("deployment")):
        deployment = config.get("azure_deployment") or config.get("deployment")
        draft.note(f"Azure deployment {deployment!r} is not a model id: --model used")
    if isinstance(name, str) and name.startswith("${"):
        draft.note(f"model {name!r} is an environment reference: --model used")
        name = None
    params = dict(mapping(model.get("parameters") or model.get("options"), "model.parameters"))
    api = str(model.get("api") or model.get("apiType") or "chat").lower()
    if api not in ("chat", "completion", "responses"):
        raise Refused(f"an `{api}` prompt, not a chat prompt: promptreg renders chat and text")
    if name and not provider and default and "/" in default:
        provider = default.partition("/")[0]
        draft.note(f"model {name!r} names no provider: provider {provider!r} from --model")
    spec = f"{provider}/{name}" if provider and name else None
    if spec is None and default is None:
        raise Refused(
            "the model block names no model id (an Azure deployment or an environment "
            "reference is not one): pass --model PROVIDER/NAME"
        )
    model_of(spec, default, draft, params)
    left = {k: v for k, v in model.items() if k not in ("id", "provider", "parameters", "options")}
    if left:
        draft.metadata.setdefault("prompty", {})["model"] = left
        draft.note("model connection settings (api, configuration) kept under metadata.prompty")


def _inputs(inputs: Any, draft: Draft) -> None:
    if inputs is None:
        return
    if isinstance(inputs, str):
        raise Refused(f"`inputs` is a reference ({inputs}): not supported")
    if isinstance(inputs, list):  # v2: [{name, kind, default, required, description}]
        pairs = [(str(mapping(i, "an input").get("name")), i) for i in inputs]
    else:
        pairs = [(str(k), v) for k, v in mapping(inputs, "`inputs`").items()]
    for name, decl in pairs:
        decl = decl if isinstance(decl, Mapping) else {"default": decl}
        kind = TYPES.get(str(decl.get("type") or decl.get("kind") or "").lower())
        if kind is None:
            sample = draft.sample.get(name, decl.get("default", decl.get("sample")))
            kind = json_type(sample) if sample is not None else "string"
        out: dict[str, Any] = {"type": kind}
        if "default" in decl and decl["default"] is not None:
            out["default"] = decl["default"]
        elif name not in draft.sample and kind in ("array", "object"):
            out["default"] = [] if kind == "array" else {}  # Prompty loops over nothing
        else:
            out["required"] = True  # Prompty would print nothing; promptreg asks for it
        if isinstance(decl.get("description"), str):
            out["description"] = decl["description"]
        draft.inputs[name] = out


def _template_format(template: Any) -> str:
    if template is None:
        return "jinja2"
    if isinstance(template, str):
        return template.lower()
    block = mapping(template, "`template`")
    fmt = block.get("format") or block.get("type") or "jinja2"
    if isinstance(fmt, Mapping):
        fmt = fmt.get("kind", "jinja2")
    return str(fmt).lower()


def _body(body: str, fmt: str, draft: Draft) -> str:
    if fmt in ("mustache", "handlebars"):
        body = _ROLE_LINE.sub(lambda m: '{{role "' + _role(m.group(1), draft) + '"}}', body)
        translation = translate(body, partials=lambda _: None, edges=False)
        for note in translation.notes:
            draft.note(note)
        return translation.source
    if fmt not in ("jinja2", "jinja"):
        raise Refused(f"template format {fmt!r} is not supported (jinja2 and mustache are)")
    body = _ROLE_LINE.sub(lambda m: _role(m.group(1), draft) + ":", body)
    body = _VALUE_ROLE.sub(_role_choice, body)
    if not _ROLE_LINE.search(body):
        body = "system:\n" + body
    return spaced_prints(body)


def _role(word: str, draft: Draft) -> str:
    role = word.lower()
    if role in ("function", "tool"):
        raise Refused(f"a `{word}:` message has no promptreg equivalent (tool results)")
    if role == "developer":
        draft.note("the `developer` role became `system`")
        return "system"
    return role


def _role_choice(match: re.Match[str]) -> str:
    """`{{ item.role }}:` -> marker lines under `{% if %}`: the structure stays the
    template's, and a role value promptreg does not know falls to `user`."""
    value = match.group(1)
    return (
        f'{{% if {value} == "system" %}}\nsystem:\n'
        f'{{% elif {value} == "assistant" %}}\nassistant:\n'
        "{% else %}\nuser:\n{% endif %}"
    )
