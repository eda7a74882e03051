"""Import a Prompty file (`.prompty`, both generations) as a promptreg prompt.

The front-matter is read by the reader that serves `.prompty` files in place
(`frontmatter/prompty.py`, `prompty_fields.py`): one mapping of Prompty's v1 and v2 fields to
promptreg's (model and params, inputs, sample, tools, output, version, owners), so an imported
prompt and the same file in place can never disagree on them. What that reader reports as a
finding (PR084: a `base:`, tools from a file, a kind promptreg does not render) refuses the
import with the same message; a model name read from the environment (PR030) takes `--model`.
On top of it, the import's own policy, because the result renders by promptreg's rules rather
than Prompty's: an input with no default is required (Prompty prints a missing value as
nothing; promptreg asks for it), except a list or mapping nobody samples, which defaults to
empty; an Azure deployment name gives way to `--model`; a model is pinned to its snapshot.

The body stays Jinja (Prompty's default) or is translated from Mustache (`template:
mustache`). Role lines are rewritten the way Prompty reads them: `# System:`, `USER :` and
the like become promptreg's exact `system:`/`user:` markers, a body without one becomes a
system message, and a transcript line `{{ item.role }}:` (a role picked at render time, which
promptreg never lets a value do) becomes marker lines under `{% if %}`. Connection settings
and keys that change no request are kept under `metadata.prompty` and reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptreg.formats.hbs_jinja import translate
from promptreg.formats.promptfile import Draft, model_of, template_variables, version_of
from promptreg.formats.report import Refused
from promptreg.formats.source import split_document
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.checks import dotted, json_type
from promptreg.frontmatter.prompty import Translated, generation
from promptreg.frontmatter.prompty import translate as read_front
from promptreg.frontmatter.yamldoc import YamlDoc, YamlError
from promptreg.project.prompty import disk_reader
from promptreg.template.prompty_body import translate_body
from promptreg.template.text_lint import spaced_prints

# Prompty's role line: optional `#`, a role, optional spaces, a colon, alone on its line.
_ROLE_LINE = re.compile(
    r"^[ \t]*#?[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t]*$",
    re.I | re.M,
)
_VALUE_ROLE = re.compile(r"^[ \t]*\{\{-?\s*([A-Za-z_][\w.]*)\s*-?\}\}[ \t]*:[ \t]*$", re.M)
_INCLUDES = re.compile(r"\{%-?\s*(include|import|from|extends)\b")
_MODEL_KEYS = ("id", "provider", "parameters", "options")


def draft_prompty(
    text: str,
    *,
    name: str,
    default_model: str | None,
    notes: list[str],
    base: Path | None = None,
) -> Draft:
    """A Draft for Prompty source `text`; `base`: the file's folder, for `${file:...}`
    samples (read as in place: beside the file, no `..`, no symlink). Raises Refused."""
    front_text, body = split_document(text)
    doc = _front(front_text)
    # `${file:...}` is read beside the file, as in place (the reader takes the prompt's path)
    reader = disk_reader(base / "_.prompty") if base is not None else None
    translated = read_front(doc, reader)
    from_env = _findings(translated)
    _body_findings(body, translated)
    if _INCLUDES.search(body):
        raise Refused(
            "the body includes or extends another file ({% include %}): import that file as a "
            "partial first, or inline it"
        )
    front = translated.doc.data
    draft = Draft(name=name, body="", model={}, notes=notes)
    version_of(front.get("version"), draft)
    if isinstance(front.get("description"), str):
        draft.description = front["description"]
    if isinstance(front.get("owners"), list):
        draft.owners = list(front["owners"])
    _model(front.get("model"), doc.data, default_model, draft, from_env=from_env)
    sample = front.get("sample")
    if sample is None and isinstance(doc.data.get("sample"), str):
        draft.note(f"`sample` ({doc.data['sample']}) cannot be read beside the file: not carried")
    if isinstance(sample, Mapping):
        draft.sample = dict(sample)
    elif sample is not None:
        raise Refused("`sample` is not a mapping")
    _inputs(front.get("inputs"), draft)
    if front.get("tools"):
        if not isinstance(front["tools"], list):
            raise Refused("`tools` is not a list")
        draft.tools = list(front["tools"])
    if isinstance(front.get("output"), Mapping):
        draft.output = dict(front["output"])
    draft.body = _body(body, translated.engine, draft)
    for var in sorted(template_variables(draft.body) - set(draft.inputs)):
        kind = json_type(draft.sample[var]) if var in draft.sample else "string"
        draft.inputs[var] = {"type": kind, "required": True}
        if var not in draft.sample:
            draft.note(f"input `{var}` was not declared: declared as a required {kind}")
    _carry(doc.data, draft)
    return draft


def _front(front_text: str | None) -> YamlDoc:
    try:
        doc = read_yaml(front_text or "", line_offset=1)
    except YamlError as err:
        raise Refused(f"front-matter: line {err.line}: {err.message}") from None
    except RecursionError:
        raise Refused("front-matter: nested too deeply") from None
    if doc.data is None:  # `---\n---`: an empty front-matter is Prompty's shorthand
        return YamlDoc({}, doc.positions)
    if not isinstance(doc.data, Mapping):
        raise Refused("the front-matter is not a mapping")
    return doc


def _findings(translated: Translated) -> bool:
    """What the in-place reader reports refuses the import, with its message; True when the
    only trouble is a model name from the environment (PR030), which `--model` replaces."""
    from_env = False
    for where, code, message in translated.findings:
        if code == "PR030":
            from_env = True
            continue
        if where == ("sample",) and message.endswith("cannot be read"):
            continue  # test data, not the request: the import makes a sample up, and says so
        raise Refused((f"{dotted(where)}: " if where else "") + message)
    return from_env


def _body_findings(body: str, translated: Translated) -> None:
    """What the in-place reader refuses in the body (PR084: an image, a role promptreg does
    not send, role attributes) refuses the import too. Its PR085 (a value deciding a role) is
    not in a Jinja body: the import writes such a line as marker lines under `{% if %}`
    (`_role_choice`); a Mustache body has no such rewrite, so it is refused there too."""
    read = translate_body(body, generation=translated.generation, engine=translated.engine)
    for number, code, message in read.findings:
        if code == "PR084" or (code == "PR085" and translated.engine == "mustache"):
            raise Refused(f"body line {number}: {message}")


def _model(
    model: Any,
    source: Mapping[str, Any],
    default: str | None,
    draft: Draft,
    *,
    from_env: bool,
) -> None:
    """The model the in-place reader reads; `--model` where that is no model id (an Azure
    deployment name, an environment reference) or there is none."""
    model = model if isinstance(model, Mapping) else {}
    provider, name = model.get("provider"), model.get("name")
    params = model.get("params") or {}
    if not isinstance(params, Mapping):  # the in-place check (PR022) comes after the reader
        raise Refused("the model's parameters are not a mapping")
    params = dict(params)
    written = source.get("model")
    config = written.get("configuration") if isinstance(written, Mapping) else None
    deployment = isinstance(config, Mapping) and name == config.get("azure_deployment")
    if from_env:
        draft.note("the model name is an environment reference: --model used")
        provider = name = None
    elif deployment and name and default:
        draft.note(f"Azure deployment {name!r} is not a model id: --model used")
        provider = name = None
    elif deployment and name:
        draft.note(f"Azure deployment {name!r} read as the model name (pass --model to replace)")
    if name and not provider and default and "/" in default:
        provider = default.partition("/")[0]
    spec = f"{provider}/{name}" if provider and name else None
    if spec is None and default is None:
        raise Refused(
            "the model block names no model id (an Azure deployment or an environment "
            "reference is not one): pass --model PROVIDER/NAME"
        )
    model_of(spec, default, draft, params)


def _inputs(inputs: Any, draft: Draft) -> None:
    """The in-place inputs, made to render by promptreg's rules: a missing value is an error
    there, where Prompty prints nothing, so an input with no default is required (a list or
    mapping nobody samples defaults to empty: Prompty loops over nothing)."""
    if not isinstance(inputs, Mapping):
        return
    for name, decl in inputs.items():
        if not isinstance(decl, Mapping):
            continue
        kind = decl.get("type", "string")
        out: dict[str, Any] = {"type": kind}
        if decl.get("default") is not None:
            out["default"] = decl["default"]
        elif name not in draft.sample and kind in ("array", "object"):
            out["default"] = [] if kind == "array" else {}
        else:
            out["required"] = True
        for key in ("description", "enum"):
            if key in decl:
                out[key] = decl[key]
        draft.inputs[str(name)] = out


def _carry(source: Mapping[str, Any], draft: Draft) -> None:
    """Keys that change no request, kept under metadata.prompty (export writes them back)."""
    carried = {k: source[k] for k in ("name", "tags", "base") if k in source}
    if "outputs" in source and generation(source) == 1:  # v1: they only describe the result
        carried["outputs"] = source["outputs"]
    if isinstance(source.get("metadata"), Mapping):
        carried["metadata"] = source["metadata"]
    model = source.get("model")
    if isinstance(model, Mapping):
        left = {k: v for k, v in model.items() if k not in _MODEL_KEYS}
        if left:
            carried["model"] = left
    if carried:
        draft.metadata["prompty"] = carried
        draft.note("kept under metadata.prompty: " + ", ".join(f"`{k}`" for k in carried))


def _body(body: str, fmt: str, draft: Draft) -> str:
    if fmt == "mustache":
        lead = _text_first(body)
        body = _ROLE_LINE.sub(lambda m: '{{role "' + _role(m.group(1), draft) + '"}}', body)
        if lead:  # the Handlebars reader would make it a user message (Dotprompt's rule)
            body = '{{role "system"}}' + body
        translation = translate(body, partials=lambda _: None, edges=False, escapes=False)
        for note in translation.notes:
            draft.note(note)
        return translation.source
    if fmt not in ("jinja2", "jinja"):
        raise Refused(f"template format {fmt!r} is not supported (jinja2 and mustache are)")
    body = _ROLE_LINE.sub(lambda m: _role(m.group(1), draft) + ":", body)
    body = _VALUE_ROLE.sub(_role_choice, body)
    if _text_first(body):
        body = "system:\n" + body
    return spaced_prints(body)


# What renders nothing by itself: a statement, a comment, a section tag.
_SILENT = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{[#^/!].*?\}\}", re.S)


def _text_first(body: str) -> bool:
    """Whether text comes before the first role line (or there is none): Prompty sends it as
    a system message, in both template formats; blank lines before it make no message."""
    first = _ROLE_LINE.search(body)
    return first is None or _SILENT.sub("", body[: first.start()]).strip() != ""


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
