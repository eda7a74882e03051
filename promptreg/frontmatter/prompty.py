"""A `.prompty` front-matter read as promptreg's own (issue 12 §1), without converting the file.

Both generations of Microsoft Prompty are read in place:

- v1 (prompty 0.1.x, promptflow): `name`, `description`, `authors`, `version`, `model: {api,
  configuration: {type, azure_deployment | model | name}, parameters}`, `inputs: {name: {type,
  default, description}}`, `sample` (a mapping, or `${file:x.json}` beside the file), `template:
  jinja2 | mustache` (or `{type, parser}`);
- v2 (prompty 2.x): `kind`, `metadata: {authors, version, ...}`, `model: id | {id, provider,
  apiType, options}`, `inputs`/`outputs` as lists of `{name, kind, default, required,
  description}` (or mappings), `tools` (`kind: function` with `parameters` as a property list),
  `template: {format: {kind}, parser: {kind}}`.

The result is a front-matter in promptreg's shape (`version`, `description`, `owners`, `model`,
`inputs`, `sample`, `tools`, `output`), whose keys point back at the lines of the Prompty keys
they came from, so every finding names the line the user wrote. What cannot be carried (a
`base:` to inherit from, a connection, an environment variable in the model name) is a finding
with a rule code (PR084), or PR030 for a model name read from the environment: promptreg never
renders or serves something other than what the file says. Prompty's own keys that do not
change the request (`name`, `connection`, `apiType: chat`, `tags`) are accepted and ignored.

**Versions.** Prompty v1's schema has a top-level `version` (a string); v2 ignores keys it does
not know. promptreg reads `version:` at the top (both generations) or `metadata.version` (v2's
place for free data), and holds it to the same rules as a `.prompt` file's (semver, bumped when
the content hash changes: the hooks run unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from promptreg.frontmatter.prompty_fields import (
    FILE_REF,
    ReadFile,
    View,
    Where,
    read_inputs,
    read_outputs,
    read_sample,
    read_tools,
)
from promptreg.frontmatter.yamldoc import YamlDoc

_ENV_REF = re.compile(r"\$\{env:([^}:]*)(?::([^}]*))?\}")
_PROVIDERS: Final = {"azure_openai": "azure", "azure": "azure", "openai": "openai"}
# Prompty v2's portable option names -> the OpenAI parameter they stand for.
_OPTIONS: Final = {
    "maxOutputTokens": "max_tokens",
    "topP": "top_p",
    "topK": "top_k",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "stopSequences": "stop",
}


@dataclass
class Translated:
    """promptreg's view of a `.prompty` front-matter."""

    doc: YamlDoc
    generation: int
    engine: str
    findings: list[tuple[Where, str, str]] = field(default_factory=list)


def generation(data: Mapping[str, Any]) -> int:
    """2 for Prompty 2.x files (`kind`, `model.id`, list inputs, `template.format`), else 1."""
    model, template, inputs = data.get("model"), data.get("template"), data.get("inputs")
    if "kind" in data or "metadata" in data or isinstance(inputs, list):
        return 2
    if isinstance(model, str) or (isinstance(model, Mapping) and "id" in model):
        return 2
    return 2 if isinstance(template, Mapping) and "format" in template else 1


def translate(doc: YamlDoc, read_file: ReadFile | None = None) -> Translated:
    """promptreg's front-matter for the Prompty one in `doc`. `read_file(relative)` reads a
    file named by `${file:...}` beside the prompt (None: files cannot be read here)."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    gen = generation(data)
    view = View(doc)
    _version(view, data)
    if isinstance(data.get("description"), str):
        view.put("description", data["description"], ("description",))
    _owners(view, data)
    _model(view, data.get("model"), gen)
    read_inputs(view, data)
    read_sample(view, data, read_file)
    read_tools(view, data)
    if gen == 2:  # v1's `outputs` only describe the result; v2 sends them as the format
        read_outputs(view, data)
    engine = _engine(view, data.get("template"))
    _references(view, data, gen)
    if "base" in data:
        view.bad(
            ("base",),
            "PR084",
            "`base:` (inheriting another .prompty) is not supported: "
            "copy what it gives into this file",
        )
    return Translated(YamlDoc(view.data, view.positions), gen, engine, view.findings)


def _version(view: View, data: Mapping[str, Any]) -> None:
    metadata = data.get("metadata")
    inner = metadata.get("version") if isinstance(metadata, Mapping) else None
    if "version" in data:
        if inner is not None and inner != data["version"]:
            view.bad(
                ("metadata", "version"),
                "PR023",
                f"metadata.version {inner!r} differs from version {data['version']!r}",
            )
        view.put("version", data["version"], ("version",))
    elif inner is not None:
        view.put("version", inner, ("metadata", "version"))


def _owners(view: View, data: Mapping[str, Any]) -> None:
    metadata = data.get("metadata")
    origin: Where = ("authors",)
    authors = data.get("authors")
    if authors is None and isinstance(metadata, Mapping):
        authors, origin = metadata.get("authors"), ("metadata", "authors")
    if isinstance(authors, list) and all(isinstance(a, str) for a in authors):
        view.put("owners", authors, origin)


def _model(view: View, model: Any, gen: int) -> None:
    if model is None:
        return  # promptreg's own PR021 says `model` is required
    if isinstance(model, str):
        model = {"id": model}
    if not isinstance(model, Mapping):
        view.put("model", model, ("model",))  # promptreg's PR022 says what it must be
        return
    api = model.get("api", model.get("apiType", "chat"))
    if api not in ("chat", None):
        view.bad(
            ("model", "api" if "api" in model else "apiType"),
            "PR084",
            f"a `{api}` prompt is not a chat prompt: promptreg renders chat messages",
        )
    config = model.get("configuration")
    config = config if isinstance(config, Mapping) else {}
    name_at: Where
    provider_at: Where
    params_at: Where
    if gen == 2 or "id" in model:
        name, name_at = model.get("id"), ("model", "id")
        provider, provider_at = model.get("provider"), ("model", "provider")
        params, params_at = _options(model.get("options")), ("model", "options")
    else:
        key = next((k for k in ("azure_deployment", "model", "name") if k in config), None)
        name, name_at = (config.get(key), ("model", "configuration", key)) if key else (None, ())
        provider, provider_at = config.get("type"), ("model", "configuration", "type")
        params, params_at = model.get("parameters", {}), ("model", "parameters")
    out: dict[str, Any] = {}
    view.put("model", out, ("model",))
    if isinstance(provider, str):
        out["provider"] = _PROVIDERS.get(provider, provider)
        view.at(("model", "provider"), provider_at)
    elif name is not None:
        out["provider"] = "azure" if "azure_deployment" in config else "openai"
        view.at(("model", "provider"), name_at)
    if isinstance(name, str) and _ENV_REF.search(name):
        view.bad(
            name_at,
            "PR030",
            f"model name {name!r} comes from the environment, so it is not "
            "pinned: write the dated model name",
        )
    elif name is not None:
        out["name"] = name
        view.at(("model", "name"), name_at)
    if isinstance(params, Mapping):
        params = dict(params)
        tools = params.pop("tools", None)
        if isinstance(tools, str) and FILE_REF.match(tools.strip()):
            view.bad(
                (*params_at, "tools"),
                "PR084",
                "tools read from a file: write them in the "
                "prompt, so that a change to them is a change to the prompt (its content "
                "hash and version)",
            )
        elif tools is not None:
            view.put("tools", tools, (*params_at, "tools"))
        fmt = params.pop("response_format", None)
        if fmt is not None:
            _response_format(view, fmt, (*params_at, "response_format"))
    if params:
        out["params"] = params
        view.at(("model", "params"), params_at)


def _options(options: Any) -> Any:
    if not isinstance(options, Mapping):
        return options
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key == "additionalProperties" and isinstance(value, Mapping):
            out.update(value)
        else:
            out[_OPTIONS.get(str(key), str(key))] = value
    return out


def _response_format(view: View, fmt: Any, origin: Where) -> None:
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "text":
        return  # what a request without one asks for
    if kind == "json_object":
        view.put("output", {"format": "json"}, origin)
    elif kind == "json_schema" and isinstance(fmt.get("json_schema"), Mapping):
        inner = fmt["json_schema"]
        output = {"format": "json", "schema": inner.get("schema")}
        for key in ("name", "description", "strict"):
            if key in inner:
                output[key] = inner[key]
        view.put("output", output, origin)
    elif not _REFERENCE.match(fmt if isinstance(fmt, str) else ""):  # those: `_references`
        view.bad(
            origin,
            "PR084",
            "a `response_format` promptreg cannot read: write it as "
            "`{type: json_schema, json_schema: {name, schema}}` or `{type: json_object}`",
        )


# Prompty resolves a whole-string `${env:NAME}` or `${file:path}` anywhere in the front-matter
# when it loads the file (v1's `Prompty.normalize`); promptreg reads what the file says, so in
# what goes into the request that reference would be sent as text. A connection's (`api_key:
# ${env:...}`) and a sample's are not the request.
_REFERENCE = re.compile(r"\$\{(?:env|file):.*\}\Z", re.DOTALL)
_REQUEST: Final = (("model", "parameters"), ("model", "options"), ("inputs",), ("tools",))


def _references(view: View, data: Mapping[str, Any], gen: int) -> None:
    flagged = {where for where, _, _ in view.findings}
    for path in (*_REQUEST, ("outputs",)) if gen == 2 else _REQUEST:
        value: Any = data
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        stack: list[tuple[Where, Any]] = [(path, value)]
        while stack:
            where, value = stack.pop()
            if isinstance(value, Mapping):
                stack.extend(((*where, k), v) for k, v in value.items() if k != "description")
            elif isinstance(value, list):
                stack.extend(((*where, i), v) for i, v in enumerate(value))
            elif isinstance(value, str) and _REFERENCE.match(value) and where not in flagged:
                flagged.add(where)
                view.bad(
                    where,
                    "PR084",
                    f"{value!r}: Prompty reads it in when it loads the file, promptreg would "
                    "send the text as written: write the value itself in the prompt",
                )


def _engine(view: View, template: Any) -> str:
    """`jinja2` or `mustache`: the template format the body is written in."""
    kind: Any = "jinja2"
    if isinstance(template, str):
        kind = template
    elif isinstance(template, Mapping):
        fmt = template.get("format", template.get("type", "jinja2"))
        kind = fmt.get("kind", "jinja2") if isinstance(fmt, Mapping) else fmt
        parser = template.get("parser", "prompty")
        parser = parser.get("kind", "prompty") if isinstance(parser, Mapping) else parser
        if parser != "prompty":
            view.bad(
                ("template",),
                "PR084",
                f"parser {parser!r} is not Prompty's own: "
                "promptreg reads role lines as Prompty's `prompty` parser does",
            )
    if kind not in ("jinja2", "mustache"):
        view.bad(("template",), "PR084", f"template format {kind!r} is not jinja2 or mustache")
        return "jinja2"
    return str(kind)
