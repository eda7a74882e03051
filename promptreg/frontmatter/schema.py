"""Check parsed front-matter against the prompt schema and build a typed `PromptSpec`.

Every problem becomes a `Finding` at the line of the field at fault, and checking goes on past
the first problem so one run shows everything wrong with a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from promptreg._lazyre import DIGITS, LETTERS, is_word, lazy_pattern
from promptreg.findings import Finding
from promptreg.frontmatter.checks import (
    Collector,
    Where,
    describe,
    is_list,
    is_map,
    is_pos_int,
    is_str,
    not_json,
    value_has_type,
)
from promptreg.frontmatter.inputs import text_problem
from promptreg.frontmatter.spec import (
    INPUT_TYPES,
    MISSING,
    Budget,
    InputSpec,
    ModelSpec,
    PromptSpec,
)
from promptreg.frontmatter.yamldoc import YamlDoc
from promptreg.versions import is_semver

if TYPE_CHECKING:
    from promptreg.frontmatter.structured import OutputSpec, ToolSpec

TOP_LEVEL_KEYS = (
    "version",
    "description",
    "owners",
    "model",
    "inputs",
    "budget",
    "sample",
    "evals",
    "output",
    "tools",
    "whitespace",
    "metadata",
)


# Names Jinja gives a meaning of its own; an input called `loop` or `range` would be shadowed.
def input_name_problem(name: str) -> str | None:
    """Why `name` cannot name an input (None: it can): the PR023 rule, for other checks."""
    if not is_word(name, LETTERS, LETTERS + DIGITS + "_"):
        return "must be a letter then letters, digits or _"
    if name in RESERVED_INPUT_NAMES:
        return "is reserved by Jinja"
    return None


RESERVED_INPUT_NAMES = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "else",
        "elif",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "loop",
        "self",
        "super",
        "caller",
        "varargs",
        "kwargs",
        "range",
        "dict",
        "lipsum",
        "cycler",
        "joiner",
        "namespace",
    ]
)
_CONTENT_HASH = lazy_pattern(r"sha256:[0-9a-f]{64}\Z")


def parse_spec(doc: YamlDoc, path: str) -> tuple[PromptSpec | None, list[Finding]]:
    """Build the typed spec; on any finding the spec may be None (too broken to use)."""
    c = Collector(doc, path)
    data = doc.data
    if not isinstance(data, dict):
        c.add((), "PR013", f"front-matter must be a YAML mapping, not {describe(data)}")
        return None, c.findings
    c.known_keys((), data, TOP_LEVEL_KEYS)

    version = _version(c, data)
    description = data.get("description")
    if description is not None:
        c.typed(("description",), description, is_str, "a string")
    owners = data.get("owners", [])
    if c.typed(("owners",), owners, is_list, "a list of owner names"):
        for i, owner in enumerate(owners):
            c.typed(("owners", i), owner, is_str, "a string")
    model = _model(c, data)
    inputs = _inputs(c, data.get("inputs", {}))
    budget = _budget(c, data.get("budget"))
    sample = data.get("sample")
    if sample is not None and not c.typed(
        ("sample",), sample, is_map, "a mapping of input name to value"
    ):
        sample = None
    output: OutputSpec | None = None
    tools: tuple[ToolSpec, ...] = ()
    if "output" in data or "tools" in data:  # imported only then: it is off the runtime path
        from promptreg.frontmatter.structured import parse_output, parse_tools

        output = parse_output(c, data.get("output"))
        tools = parse_tools(c, data.get("tools"))
    evals = None
    if data.get("evals") is not None:  # (its schema is imported only then: issue 9)
        from promptreg.frontmatter.schema_evals import parse_evals

        schema = output.schema if output else None
        evals = parse_evals(c, data.get("evals"), output_schema=schema)
    whitespace = data.get("whitespace", "trim")
    if whitespace not in ("trim", "keep"):
        c.add(("whitespace",), "PR023", f"{whitespace!r}: use trim (the default) or keep")
        whitespace = "trim"
    metadata = data.get("metadata", {})
    c.typed(("metadata",), metadata, is_map, "a mapping")

    if c.findings or version is None:
        return None, c.findings
    spec = PromptSpec(
        version=version,
        model=model,
        inputs=inputs,
        description=description,
        owners=tuple(owners),
        budget=budget,
        sample=sample,
        evals=evals,
        output=output,
        tools=tools,
        whitespace=whitespace,
        metadata=metadata,
        raw=data,
    )
    return spec, c.findings


def _version(c: Collector, data: Mapping[str, Any]) -> str | None:
    if "version" not in data:
        c.add((), "PR021", "`version` is required (a semver string such as 0.1.0)")
        return None
    version = data["version"]
    if not isinstance(version, str):
        c.add(
            ("version",),
            "PR024",
            f"must be a semver string such as 1.4.0, not {describe(version)} {version!r}",
        )
        return None
    if not is_semver(version):
        c.add(("version",), "PR024", f"{version!r} is not semver (MAJOR.MINOR.PATCH, e.g. 1.4.0)")
        return None
    return version


def _model(c: Collector, data: Mapping[str, Any]) -> ModelSpec | None:
    if "model" not in data:
        c.add((), "PR021", "`model` is required: {provider, name, params}, with a pinned name")
        return None
    model = data["model"]
    if not c.typed(("model",), model, is_map, "a mapping {provider, name, params}"):
        return None
    c.known_keys(("model",), model, ("provider", "name", "params"))
    ok = True
    for key in ("provider", "name"):
        if key not in model:
            c.add(("model",), "PR021", f"`model.{key}` is required")
            ok = False
        elif not c.typed(("model", key), model[key], is_str, "a string") or not model[key]:
            ok = False
    params = model.get("params", {})
    if not c.typed(("model", "params"), params, is_map, "a mapping of API parameters"):
        ok = False
    else:
        problem = not_json(params, ("model", "params"))
        if problem is not None:
            c.add(problem[0], "PR023", problem[1])
            ok = False
    return ModelSpec(model["provider"], model["name"], params) if ok else None


def _inputs(c: Collector, inputs: Any) -> dict[str, InputSpec]:
    out: dict[str, InputSpec] = {}
    if not c.typed(("inputs",), inputs, is_map, "a mapping of input name to declaration"):
        return out
    for name, decl in inputs.items():
        where: Where = ("inputs", name)
        if not isinstance(name, str) or not is_word(name, LETTERS, LETTERS + DIGITS + "_"):
            c.add(where, "PR023", f"input name {name!r} must be a letter then letters, digits or _")
            continue
        if name in RESERVED_INPUT_NAMES:
            c.add(where, "PR023", f"input name `{name}` is reserved by Jinja; choose another")
            continue
        spec = _input(c, where, name, decl)
        if spec is not None:
            out[name] = spec
    return out


def _input(c: Collector, where: Where, name: str, decl: Any) -> InputSpec | None:
    if not c.typed(where, decl, is_map, "a mapping such as {type: string, required: true}"):
        return None
    c.known_keys(where, decl, ("type", "required", "default", "enum", "max_chars", "description"))
    type_name = decl.get("type")
    if type_name is None:
        c.add(where, "PR021", f"`type` is required: one of {', '.join(INPUT_TYPES)}")
        return None
    if type_name not in INPUT_TYPES:
        c.add(
            (*where, "type"),
            "PR023",
            f"{type_name!r} is not a type; use one of {', '.join(INPUT_TYPES)}",
        )
        return None
    required = decl.get("required", False)
    c.typed((*where, "required"), required, lambda v: isinstance(v, bool), "true or false")
    enum = decl.get("enum")
    if enum is not None:
        if not isinstance(enum, list) or not enum:
            c.add((*where, "enum"), "PR022", "must be a non-empty list of allowed values")
            enum = None
        else:
            for i, option in enumerate(enum):
                if not value_has_type(option, type_name):
                    c.add((*where, "enum", i), "PR025", f"{option!r} is not {type_name}")
    max_chars = decl.get("max_chars")
    if max_chars is not None:
        if type_name != "string":
            c.add((*where, "max_chars"), "PR025", f"applies to string inputs, not {type_name}")
        c.typed((*where, "max_chars"), max_chars, is_pos_int, "a positive integer")
    description = decl.get("description")
    if description is not None:
        c.typed((*where, "description"), description, is_str, "a string")
    default = decl.get("default", MISSING)
    if default is not MISSING:
        if required is True:
            c.add((*where, "default"), "PR025", "a required input cannot have a default: drop one")
        elif default is not None and not value_has_type(default, type_name):
            c.add((*where, "default"), "PR025", f"{default!r} is not {type_name}")
        elif enum is not None and default is not None and default not in enum:
            c.add((*where, "default"), "PR025", f"{default!r} is not one of the enum values")
        elif isinstance(max_chars, int) and isinstance(default, str) and len(default) > max_chars:
            c.add((*where, "default"), "PR025", f"is longer than max_chars ({max_chars})")
        elif (problem := text_problem(default)) is not None:  # as a given value would be
            c.add((*where, "default"), "PR025", problem)
    return InputSpec(
        name=name,
        type=type_name,
        required=required is True,
        default=default,
        enum=tuple(enum) if isinstance(enum, list) else None,
        max_chars=max_chars if is_pos_int(max_chars) else None,
        description=description if isinstance(description, str) else None,
    )


def _budget(c: Collector, budget: Any) -> Budget | None:
    if budget is None:
        return None
    if not c.typed(("budget",), budget, is_map, "a mapping {max_input_tokens, max_output_tokens}"):
        return None
    c.known_keys(("budget",), budget, ("max_input_tokens", "max_output_tokens"))
    values: dict[str, int | None] = {}
    for key in ("max_input_tokens", "max_output_tokens"):
        value = budget.get(key)
        ok = value is None or c.typed(("budget", key), value, is_pos_int, "a positive integer")
        values[key] = value if ok else None
    return Budget(values["max_input_tokens"], values["max_output_tokens"])
