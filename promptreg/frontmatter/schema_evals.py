"""The `evals:` block of a prompt's front-matter: dataset, metrics and their options, the
recorded scores and what they were measured on."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from promptreg.frontmatter.checks import Collector, Where, describe, is_number
from promptreg.frontmatter.spec import METRIC_KINDS, Evals, Metric, ModelSpec

_CONTENT_HASH = re.compile(r"sha256:[0-9a-f]{64}\Z")


def parse_evals(c: Collector, evals: Any, *, output_schema: Any = None) -> Evals | None:
    """The typed evals block, or None when it is absent or too broken to use. A `json_schema`
    metric without a `schema` of its own takes `output_schema`, the prompt's `output.schema`
    as JSON Schema (issue 12 §4), when there is one."""
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
        "metrics_hash",
        "metric_files",
        "runner",
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
        if (
            output_schema is not None
            and isinstance(m, dict)
            and m.get("kind") == "json_schema"
            and "schema" not in m
        ):
            m = {**m, "schema": output_schema}
        metric = _metric(bad, i, m, {x.name for x in metrics})
        if metric is not None:
            metrics.append(metric)
    scores = evals.get("scores", {})
    if not isinstance(scores, dict):
        bad(("scores",), f"must be a mapping of metric name to score, not {describe(scores)}")
        scores = {}
    declared = {m.name for m in metrics}
    for name, score in scores.items():
        if not is_number(score):
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
    metrics_hash = evals.get("metrics_hash")
    if metrics_hash is not None and not (
        isinstance(metrics_hash, str) and _CONTENT_HASH.match(metrics_hash)
    ):
        bad(("metrics_hash",), "must be `sha256:` and 64 lower-case hex digits")
    evaluated_model = evals.get("model")
    if evaluated_model is not None and not isinstance(evaluated_model, str):
        bad(
            ("model",),
            f"must be the model evaluated, provider/name, not {describe(evaluated_model)}",
        )
    metric_files = _metric_files(bad, evals.get("metric_files"))
    runner = _runner(bad, evals.get("runner"))
    evaluated_at = evals.get("evaluated_at")
    if evaluated_at is not None and not _is_timestamp(evaluated_at):
        bad(
            ("evaluated_at",),
            f"{evaluated_at!r} is not an ISO 8601 timestamp (2026-11-20T10:00:00Z)",
        )
    return Evals(
        dataset=dataset if isinstance(dataset, str) else None,
        metrics=tuple(metrics),
        scores={k: float(v) for k, v in scores.items() if is_number(v)},
        content_hash=content_hash if isinstance(content_hash, str) else None,
        evaluated_at=evaluated_at if isinstance(evaluated_at, str) else None,
        raw=evals,
        dataset_hash=dataset_hash if isinstance(dataset_hash, str) else None,
        metrics_hash=metrics_hash if isinstance(metrics_hash, str) else None,
        metric_files=metric_files,
        runner=runner,
    )


RUNNER_KEYS = ("kind", "model", "host", "command", "function")


def _metric_files(bad: Callable[[Where, str], None], value: Any) -> dict[str, str] | None:
    """`metric_files`: path (relative to the repository root) -> `sha256:<hex>`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        bad(("metric_files",), f"must be a mapping of path to sha256, not {describe(value)}")
        return {}
    files: dict[str, str] = {}
    for path, digest in value.items():
        if not isinstance(digest, str) or not _CONTENT_HASH.match(digest):
            bad(("metric_files", path), "must be `sha256:` and 64 lower-case hex digits")
        else:
            files[str(path)] = digest
    return files


def _runner(bad: Callable[[Where, str], None], value: Any) -> dict[str, Any] | None:
    """`runner`: what produced the scores, `{kind, model, host, command, function}`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        bad(("runner",), f"must be a mapping {{kind, model, …}}, not {describe(value)}")
        return {}
    ok = True
    for key, item in value.items():
        if key not in RUNNER_KEYS:
            bad(("runner", key), f"unknown key `{key}`; expected one of: {', '.join(RUNNER_KEYS)}")
            ok = False
        elif key == "model" and isinstance(item, list):
            if not item or not all(isinstance(m, str) and m for m in item):
                bad(("runner", key), "must be a model name, or a list of model names")
                ok = False
        elif not isinstance(item, str) or not item:
            bad(("runner", key), f"must be a non-empty string, not {describe(item)}")
            ok = False
    if value.get("kind") not in ("openai", "command", "python"):
        bad(("runner", "kind"), "must be openai, command or python")
        ok = False
    return dict(value) if ok else {}


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
    if threshold is not None and not (is_number(threshold) and 0 <= threshold <= 1):
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
        "scale": (lambda v: is_number(v) and v > 0, "a positive number (the rubric's top score)"),
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
