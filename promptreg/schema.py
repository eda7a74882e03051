"""Check parsed front-matter against the prompt schema and build a typed `PromptSpec`.

Every problem becomes a `Finding` at the line of the field at fault, and checking goes on past
the first problem so one run shows everything wrong with a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from promptreg._yaml import YamlDoc
from promptreg.findings import Finding
from promptreg.spec import (
    INPUT_TYPES,
    METRIC_KINDS,
    MISSING,
    Budget,
    Evals,
    InputSpec,
    Metric,
    ModelSpec,
    PromptSpec,
)
from promptreg.versions import SEMVER

Where = tuple[str | int, ...]

TOP_LEVEL_KEYS = (
    "version",
    "description",
    "owners",
    "model",
    "inputs",
    "budget",
    "sample",
    "evals",
    "metadata",
)
_INPUT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# Names Jinja gives a meaning of its own; an input called `loop` or `range` would be shadowed.
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
_CONTENT_HASH = re.compile(r"sha256:[0-9a-f]{64}\Z")


def describe(value: Any) -> str:
    """A value's type in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def value_has_type(value: Any, type_name: str) -> bool:
    """Whether `value` is of the declared input type (booleans are not numbers)."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "array":
        return isinstance(value, list | tuple)
    if type_name == "object":
        return isinstance(value, dict)
    return False


def dotted(where: Where) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Collector:
    def __init__(self, doc: YamlDoc, path: str) -> None:
        self.doc = doc
        self.path = path
        self.findings: list[Finding] = []

    def add(self, where: Where, code: str, message: str) -> None:
        line, col = self.doc.position(where)
        prefix = f"{dotted(where)}: " if where else ""
        self.findings.append(Finding(self.path, line, col, code, prefix + message))

    def typed(self, where: Where, value: Any, check: Callable[[Any], bool], what: str) -> bool:
        if check(value):
            return True
        self.add(where, "PR022", f"must be {what}, not {describe(value)}")
        return False

    def known_keys(
        self, where: Where, data: Mapping[Any, Any], known: tuple[str, ...], code: str = "PR020"
    ) -> None:
        for key in data:
            if key not in known:
                import difflib  # only on the error path: it costs ~5 ms to import

                hint = difflib.get_close_matches(str(key), known, n=1)
                did = f"did you mean `{hint[0]}`? " if hint else ""
                self.add(
                    (*where, key),
                    code,
                    f"unknown key `{key}`; {did}expected one of: {', '.join(known)}",
                )


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_map(v: Any) -> bool:
    return isinstance(v, dict)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _is_pos_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_spec(doc: YamlDoc, path: str) -> tuple[PromptSpec | None, list[Finding]]:
    """Build the typed spec; on any finding the spec may be None (too broken to use)."""
    c = _Collector(doc, path)
    data = doc.data
    if not isinstance(data, dict):
        c.add((), "PR013", f"front-matter must be a YAML mapping, not {describe(data)}")
        return None, c.findings
    c.known_keys((), data, TOP_LEVEL_KEYS)

    version = _version(c, data)
    description = data.get("description")
    if description is not None:
        c.typed(("description",), description, _is_str, "a string")
    owners = data.get("owners", [])
    if c.typed(("owners",), owners, _is_list, "a list of owner names"):
        for i, owner in enumerate(owners):
            c.typed(("owners", i), owner, _is_str, "a string")
    model = _model(c, data)
    inputs = _inputs(c, data.get("inputs", {}))
    budget = _budget(c, data.get("budget"))
    sample = data.get("sample")
    if sample is not None and not c.typed(
        ("sample",), sample, _is_map, "a mapping of input name to value"
    ):
        sample = None
    evals = _evals(c, data.get("evals"))
    metadata = data.get("metadata", {})
    c.typed(("metadata",), metadata, _is_map, "a mapping")

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
        metadata=metadata,
        raw=data,
    )
    return spec, c.findings


def _version(c: _Collector, data: Mapping[str, Any]) -> str | None:
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
    if not SEMVER.match(version):
        c.add(("version",), "PR024", f"{version!r} is not semver (MAJOR.MINOR.PATCH, e.g. 1.4.0)")
        return None
    return version


def _model(c: _Collector, data: Mapping[str, Any]) -> ModelSpec | None:
    if "model" not in data:
        c.add((), "PR021", "`model` is required: {provider, name, params}, with a pinned name")
        return None
    model = data["model"]
    if not c.typed(("model",), model, _is_map, "a mapping {provider, name, params}"):
        return None
    c.known_keys(("model",), model, ("provider", "name", "params"))
    ok = True
    for key in ("provider", "name"):
        if key not in model:
            c.add(("model",), "PR021", f"`model.{key}` is required")
            ok = False
        elif not c.typed(("model", key), model[key], _is_str, "a string") or not model[key]:
            ok = False
    params = model.get("params", {})
    if not c.typed(("model", "params"), params, _is_map, "a mapping of API parameters"):
        ok = False
    return ModelSpec(model["provider"], model["name"], params) if ok else None


def _inputs(c: _Collector, inputs: Any) -> dict[str, InputSpec]:
    out: dict[str, InputSpec] = {}
    if not c.typed(("inputs",), inputs, _is_map, "a mapping of input name to declaration"):
        return out
    for name, decl in inputs.items():
        where: Where = ("inputs", name)
        if not isinstance(name, str) or not _INPUT_NAME.match(name):
            c.add(where, "PR023", f"input name {name!r} must be a letter then letters, digits or _")
            continue
        if name in RESERVED_INPUT_NAMES:
            c.add(where, "PR023", f"input name `{name}` is reserved by Jinja; choose another")
            continue
        spec = _input(c, where, name, decl)
        if spec is not None:
            out[name] = spec
    return out


def _input(c: _Collector, where: Where, name: str, decl: Any) -> InputSpec | None:
    if not c.typed(where, decl, _is_map, "a mapping such as {type: string, required: true}"):
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
        c.typed((*where, "max_chars"), max_chars, _is_pos_int, "a positive integer")
    description = decl.get("description")
    if description is not None:
        c.typed((*where, "description"), description, _is_str, "a string")
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
    return InputSpec(
        name=name,
        type=type_name,
        required=required is True,
        default=default,
        enum=tuple(enum) if isinstance(enum, list) else None,
        max_chars=max_chars if _is_pos_int(max_chars) else None,
        description=description if isinstance(description, str) else None,
    )


def _budget(c: _Collector, budget: Any) -> Budget | None:
    if budget is None:
        return None
    if not c.typed(("budget",), budget, _is_map, "a mapping {max_input_tokens, max_output_tokens}"):
        return None
    c.known_keys(("budget",), budget, ("max_input_tokens", "max_output_tokens"))
    values: dict[str, int | None] = {}
    for key in ("max_input_tokens", "max_output_tokens"):
        value = budget.get(key)
        ok = value is None or c.typed(("budget", key), value, _is_pos_int, "a positive integer")
        values[key] = value if ok else None
    return Budget(values["max_input_tokens"], values["max_output_tokens"])


def _evals(c: _Collector, evals: Any) -> Evals | None:
    if evals is None:
        return None
    if not isinstance(evals, dict):
        c.add(("evals",), "PR060", f"must be a mapping, not {describe(evals)}")
        return None
    known = (
        "dataset",
        "metrics",
        "scores",
        "content_hash",
        "dataset_hash",
        "evaluated_at",
        "model",
    )
    c.known_keys(("evals",), evals, known, code="PR060")

    def bad(where: Where, message: str) -> None:
        c.add(("evals", *where), "PR060", message)

    dataset = evals.get("dataset")
    if dataset is not None and not isinstance(dataset, str):
        bad(("dataset",), f"must be a path to a JSONL file, not {describe(dataset)}")
    metrics: list[Metric] = []
    raw_metrics = evals.get("metrics", [])
    if not isinstance(raw_metrics, list):
        bad(
            ("metrics",),
            f"must be a list of {{name, kind, threshold}}, not {describe(raw_metrics)}",
        )
        raw_metrics = []
    for i, m in enumerate(raw_metrics):
        metric = _metric(bad, i, m, {x.name for x in metrics})
        if metric is not None:
            metrics.append(metric)
    scores = evals.get("scores", {})
    if not isinstance(scores, dict):
        bad(("scores",), f"must be a mapping of metric name to score, not {describe(scores)}")
        scores = {}
    declared = {m.name for m in metrics}
    for name, score in scores.items():
        if not _is_number(score):
            bad(("scores", name), f"must be a number, not {describe(score)}")
        elif declared and name not in declared:
            bad(("scores", name), f"score for `{name}`, which is not a declared metric")
    content_hash = evals.get("content_hash")
    if content_hash is not None and not (
        isinstance(content_hash, str) and _CONTENT_HASH.match(content_hash)
    ):
        bad(("content_hash",), "must be `sha256:` and 64 lower-case hex digits")
    dataset_hash = evals.get("dataset_hash")
    if dataset_hash is not None and not (
        isinstance(dataset_hash, str) and _CONTENT_HASH.match(dataset_hash)
    ):
        bad(("dataset_hash",), "must be `sha256:` and 64 lower-case hex digits")
    evaluated_model = evals.get("model")
    if evaluated_model is not None and not isinstance(evaluated_model, str):
        bad(
            ("model",),
            f"must be the model evaluated, provider/name, not {describe(evaluated_model)}",
        )
    evaluated_at = evals.get("evaluated_at")
    if evaluated_at is not None and not _is_timestamp(evaluated_at):
        bad(
            ("evaluated_at",),
            f"{evaluated_at!r} is not an ISO 8601 timestamp (2026-11-20T10:00:00Z)",
        )
    return Evals(
        dataset=dataset if isinstance(dataset, str) else None,
        metrics=tuple(metrics),
        scores={k: float(v) for k, v in scores.items() if _is_number(v)},
        content_hash=content_hash if isinstance(content_hash, str) else None,
        evaluated_at=evaluated_at if isinstance(evaluated_at, str) else None,
        raw=evals,
    )


def _metric(bad: Callable[[Where, str], None], i: int, m: Any, seen: set[str]) -> Metric | None:
    where: Where = ("metrics", i)
    if not isinstance(m, dict):
        bad(where, f"must be a mapping {{name, kind, threshold}}, not {describe(m)}")
        return None
    name, kind, threshold = m.get("name"), m.get("kind"), m.get("threshold")
    if not isinstance(name, str) or not name:
        bad(where, "needs a `name` (a string)")
        return None
    if name in seen:
        bad((*where, "name"), f"metric `{name}` is declared twice")
        return None
    if kind not in METRIC_KINDS:
        bad((*where, "kind"), f"kind {kind!r} is not one of {', '.join(METRIC_KINDS)}")
        return None
    if threshold is not None and not (_is_number(threshold) and 0 <= threshold <= 1):
        bad((*where, "threshold"), f"must be a number from 0 to 1, not {threshold!r}")
        return None
    options = {k: v for k, v in m.items() if k not in ("name", "kind", "threshold")}
    if not _metric_options_ok(bad, where, kind, options):
        return None
    return Metric(name, kind, float(threshold) if threshold is not None else None, options)


_BOOL = (lambda v: isinstance(v, bool), "true or false")
# Each metric kind's options: option -> (check, what it must be). docs/evals.md explains them.
METRIC_OPTIONS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "exact": {"ignore_case": _BOOL, "strip": _BOOL},
    "contains": {"ignore_case": _BOOL},
    "regex": {
        "pattern": (lambda v: _is_regex(v), "a valid regular expression"),
        "ignore_case": _BOOL,
        "full_match": _BOOL,
    },
    "json_valid": {"strip_fences": _BOOL},
    "json_schema": {
        "schema": (
            lambda v: isinstance(v, dict | bool) or (isinstance(v, str) and bool(v)),
            "a JSON Schema (a mapping) or the path of a .json file",
        ),
        "strip_fences": _BOOL,
    },
    "similarity": {"ignore_case": _BOOL},
    "judge": {
        "rubric": (lambda v: isinstance(v, str) and bool(v), "the path of the rubric template"),
        "model": (
            lambda v: parse_model_ref(v) is not None,
            'a pinned model: "provider/name" or {provider, name, params}',
        ),
        "scale": (lambda v: _is_number(v) and v > 0, "a positive number (the rubric's top score)"),
    },
    "python": {
        "function": (
            lambda v: isinstance(v, str) and is_reference(v),
            '"module:function" (a module importable from the repository root)',
        )
    },
}
_REQUIRED_OPTIONS = {"json_schema": ("schema",), "judge": ("rubric",), "python": ("function",)}
_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*\Z")


def _metric_options_ok(
    bad: Callable[[Where, str], None], where: Where, kind: str, options: Mapping[str, Any]
) -> bool:
    allowed = METRIC_OPTIONS[kind]
    ok = True
    for key, value in options.items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            bad((*where, key), f"unknown option `{key}` for a `{kind}` metric; options: {known}")
            ok = False
        elif not allowed[key][0](value):
            bad((*where, key), f"must be {allowed[key][1]}, not {value!r}")
            ok = False
    for key in _REQUIRED_OPTIONS.get(kind, ()):
        if key not in options:
            bad(where, f"a `{kind}` metric needs `{key}`: {allowed[key][1]}")
            ok = False
    return ok


def _is_regex(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def is_reference(value: str) -> bool:
    """Whether `value` reads as `module.path:function`."""
    return _REFERENCE.match(value) is not None


def parse_model_ref(value: Any) -> ModelSpec | None:
    """A model named as `"provider/name"` or `{provider, name, params}`; None when malformed."""
    if isinstance(value, str):
        provider, sep, name = value.partition("/")
        return ModelSpec(provider, name, {}) if sep and provider and name else None
    if not isinstance(value, dict) or not set(value) <= {"provider", "name", "params"}:
        return None
    given, named, params = value.get("provider"), value.get("name"), value.get("params", {})
    if not (isinstance(given, str) and given and isinstance(named, str) and named):
        return None
    return ModelSpec(given, named, params) if isinstance(params, dict) else None


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
