"""Write a promptreg prompt file from what a converter worked out (a `Draft`).

One place decides what every imported file looks like: the front-matter in promptreg's key
order, inputs that are exactly the template's variables (a declared input the template never
uses is dropped, a used one nobody declared is added as a string, each with a note: `validate`
refuses both), a model that passes the pinning lint where promptreg knows a dated snapshot,
and a sample for every required input (made up when the source has none, and said so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
import jinja2.meta

from promptreg.formats.report import Refused
from promptreg.frontmatter._yaml import dump_yaml
from promptreg.frontmatter.pinning import pinned_snapshot, pinning_problem
from promptreg.names import name_problem
from promptreg.template.history_turns import chat_history
from promptreg.template.json_text import json_text
from promptreg.template.media import MediaTag

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z"
)
_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")
DEFAULT_VERSION = "1.0.0"


@dataclass
class Draft:
    name: str
    body: str
    model: dict[str, Any]
    version: str = DEFAULT_VERSION
    description: str | None = None
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    evals: dict[str, Any] | None = None
    output: dict[str, Any] | None = None  # promptreg's `output:` (issue 12 §4)
    tools: list[Any] | None = None  # promptreg's `tools:`, OpenAI's shape
    owners: list[str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # JSON Schemas of object and array inputs (from an input schema): a made-up sample
    # value follows them, so the sample reaches the fields the template reads.
    schemas: dict[str, Any] = field(default_factory=dict)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def prompt_name(stem: str, prefix: str = "") -> str:
    """A valid prompt name from a file's stem and folders (`__fixtures__/Customer Support`
    -> `fixtures/customer-support`)."""
    segments = [_segment(s) for s in prefix.split("/") if s.strip(" ._-")]
    full = "/".join([*segments, _segment(stem)])
    problem = name_problem(full)
    if problem:
        raise Refused(problem)
    return full


def _segment(text: str) -> str:
    segment = _NAME_CHARS.sub("-", text.lower()).strip("-._") or "prompt"
    # `basic.prompty.md`: a segment may not end in a prompt file's suffix
    segment = re.sub(r"(\.(prompty|prompt))+$", "", segment) or "prompt"
    return segment[:100]


def version_of(value: Any, draft: Draft) -> None:
    text = str(value) if isinstance(value, str | int | float) and value is not True else None
    if text and _SEMVER.match(text):
        draft.version = text
    elif text and re.fullmatch(r"\d+(\.\d+)?", text):
        parts = ([*text.split("."), "0", "0"])[:3]
        draft.version = ".".join(str(int(p)) for p in parts)
        draft.note(f"version {text!r} written as semver {draft.version}")
    else:
        draft.note(f"no semver version in the source: version set to {DEFAULT_VERSION}")


def model_of(
    text: Any, default: str | None, draft: Draft, params: dict[str, Any] | None = None
) -> None:
    """`provider/name` (Dotprompt, GitHub Models) as a promptreg model block."""
    spec = text if isinstance(text, str) and text.strip() else default
    if spec is None:
        raise Refused("the file names no model: pass --model PROVIDER/NAME")
    provider, sep, name = spec.strip().partition("/")
    if not sep or not provider or not name:
        if default is None or spec == default or "/" not in default:
            raise Refused(f"model {spec!r} names no provider: pass --model PROVIDER/NAME")
        provider, name = _provider_of(spec.strip()) or default.partition("/")[0], spec.strip()
        draft.note(f"model {spec!r} names no provider: provider {provider!r} assumed")
    if pinning_problem(provider, name):
        snapshot = pinned_snapshot(provider, name)
        if snapshot is not None:
            draft.note(f"model {provider}/{name} pinned to its snapshot {snapshot}")
            name = snapshot
        else:
            draft.note(
                f"model {provider}/{name} is not pinned: validate reports it until you pin a "
                "dated snapshot or list it under lint.allowed_models"
            )
    draft.model = {"provider": provider, "name": name}
    if params:
        draft.model["params"] = params


_KNOWN_PREFIXES = (
    ("gemini", "googleai"),
    ("gpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("claude", "anthropic"),
    ("mistral", "mistral"),
)


def _provider_of(name: str) -> str | None:
    """The provider of a model named without one, for the families everyone knows."""
    lowered = name.lower()
    return next((p for prefix, p in _KNOWN_PREFIXES if lowered.startswith(prefix)), None)


def finish(draft: Draft) -> str:
    """The prompt file's text, inputs reconciled with the template's variables."""
    used = template_variables(draft.body)
    for name in list(draft.inputs):
        if name not in used:
            del draft.inputs[name]
            draft.note(f"input `{name}` is declared but the template never uses it: left out")
    for name in sorted(used - set(draft.inputs)):
        draft.inputs[name] = {"type": "string", "required": True}
        draft.note(f"input `{name}` was not declared: declared as a required string")
    sample = {k: v for k, v in draft.sample.items() if k in draft.inputs}
    media = media_samples(draft.body)
    for name, decl in draft.inputs.items():
        shaped = name in draft.schemas and decl["type"] in ("object", "array")
        if (decl.get("required") or shaped) and name not in sample:
            sample[name] = example(draft.schemas[name], name) if shaped else _made_up(name, decl)
            if name in media and decl.get("type") == "string":
                sample[name] = media[name]
            draft.note(f"sample value for `{name}` made up: replace it with a real one")
    front: dict[str, Any] = {"version": draft.version}
    if draft.description:
        front["description"] = draft.description
    if draft.owners:
        front["owners"] = draft.owners
    front["model"] = draft.model
    if draft.inputs:
        front["inputs"] = draft.inputs
    if sample:
        front["sample"] = sample
    if draft.output:
        front["output"] = draft.output
    if draft.tools:
        front["tools"] = draft.tools
    if draft.evals:
        front["evals"] = draft.evals
    if draft.metadata:
        front["metadata"] = draft.metadata
    return "---\n" + dump_yaml(front) + "---\n" + draft.body


_PLAIN = jinja2.Environment(extensions=[MediaTag])
_PLAIN.filters["json"] = json_text  # the sandbox's own filters (Dotprompt's `{{json}}`)
_PLAIN.filters["chat_history"] = chat_history  # and its conversation


def template_variables(body: str) -> set[str]:
    """The variables a template reads from its inputs (Jinja's own analysis)."""
    try:
        return set(jinja2.meta.find_undeclared_variables(_PLAIN.parse(body))) - {
            "range",
            "lipsum",
            "dict",
            "cycler",
            "joiner",
            "namespace",
        }
    except jinja2.TemplateSyntaxError as err:
        raise Refused(f"the converted template does not parse: {err.message}") from None
    except (RecursionError, ValueError, MemoryError):
        raise Refused("the converted template is nested too deeply") from None


def media_samples(body: str) -> dict[str, str]:
    """Made-up values for names a `{% media url, type %}` reads: a url and an image type
    (`<photo>` is a url, but `<kind>` is no MIME type: the sample would not render)."""
    out: dict[str, str] = {}
    for call in _PLAIN.parse(body).find_all(jinja2.nodes.Call):
        if isinstance(call.node, jinja2.nodes.ExtensionAttribute) and len(call.args) == 2:
            url, kind = call.args
            if isinstance(url, jinja2.nodes.Name):
                out[url.name] = f"https://example.com/{url.name}.png"
            if isinstance(kind, jinja2.nodes.Name):
                out[kind.name] = "image/png"
    return out


def example(schema: Any, name: str, depth: int = 0) -> Any:
    """A value that fits a JSON Schema: for a made-up sample."""
    if not isinstance(schema, dict) or depth > 16:
        return f"<{name}>"
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), None)
    types = schema.get("type")
    kind = next((t for t in types if t != "null"), None) if isinstance(types, list) else types
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {str(k): example(v, str(k), depth + 1) for k, v in props.items()}
    if kind == "array":
        return [example(schema.get("items"), name, depth + 1)]
    return _made_up(name, {"type": kind or "string"})


def _made_up(name: str, decl: dict[str, Any]) -> Any:
    if decl.get("enum"):
        return decl["enum"][0]
    return {
        "string": f"<{name}>",
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
        "object": {},
    }.get(decl.get("type", "string"), f"<{name}>")
