"""Metric kinds: each scores one output for one case from 0 (worst) to 1 (best).

A run turns the prompt's `evals.metrics` into scorers once, up front (run.py's `_prepare`:
`cheap_scorer` here, `judge.judge_scorer` for a judge), so a bad regex, schema, rubric or
function is reported before anything is paid for. A scorer never raises: a case it cannot
score gets 0 with an `error` saying why, and the run goes on. The option tables live in
`frontmatter/schema_evals.py` (the front-matter check); docs/evals.md explains them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptreg.errors import UsageError
from promptreg.evals.dataset import Case
from promptreg.evals.pyref import load_callable
from promptreg.frontmatter.spec import Metric

_FENCE = re.compile(r"\A\s*```[\w+-]*[ \t]*\n(.*?)\n?```\s*\Z", re.S)


@dataclass(frozen=True)
class Score:
    """A case's score on one metric, why it lost points (`reason`), or why it could not be
    scored at all (`error`; the score is then 0)."""

    value: float
    reason: str | None = None
    error: str | None = None


Scorer = Callable[[str, Case], Score]


def short(text: str, limit: int = 60) -> str:
    """`text` as a repr cut to `limit` characters, for reasons and errors."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "…" + shown[-1]


def strip_fences(text: str) -> str:
    """The inside of a Markdown code fence (```json … ```), or `text` as it is."""
    match = _FENCE.match(text)
    return match.group(1) if match else text


def exact(options: Mapping[str, Any]) -> Scorer:
    ignore_case, strip = options.get("ignore_case", False), options.get("strip", True)

    def norm(text: str) -> str:
        text = text.strip() if strip else text
        return text.casefold() if ignore_case else text

    def score(output: str, case: Case) -> Score:
        expected = case.expected
        if isinstance(expected, str):
            if norm(output) == norm(expected):
                return Score(1.0)
            return Score(0.0, f"expected {short(expected)}, got {short(output)}")
        try:
            value = json.loads(strip_fences(output))
        except ValueError:
            return Score(0.0, "the output is not JSON, so it cannot equal the expected value")
        return Score(1.0) if value == expected else Score(0.0, "JSON differs from `expected`")

    return score


def contains(options: Mapping[str, Any]) -> Scorer:
    ignore_case = options.get("ignore_case", False)

    def score(output: str, case: Case) -> Score:
        wanted = [case.expected] if isinstance(case.expected, str) else list(case.expected)
        haystack = output.casefold() if ignore_case else output
        missing = [w for w in wanted if (w.casefold() if ignore_case else w) not in haystack]
        if not missing:
            return Score(1.0)
        return Score(
            (len(wanted) - len(missing)) / len(wanted),
            "missing " + ", ".join(short(m, 30) for m in missing),
        )

    return score


def regex(options: Mapping[str, Any]) -> Scorer:
    flags = re.IGNORECASE if options.get("ignore_case", False) else 0
    fixed = re.compile(options["pattern"], flags) if "pattern" in options else None
    full = options.get("full_match", False)

    def score(output: str, case: Case) -> Score:
        pattern = fixed or re.compile(case.expected, flags)
        found = pattern.fullmatch(output) if full else pattern.search(output)
        return Score(1.0) if found else Score(0.0, f"no match for /{pattern.pattern}/")

    return score


def json_valid(options: Mapping[str, Any]) -> Scorer:
    fences = options.get("strip_fences", False)

    def score(output: str, case: Case) -> Score:
        try:
            json.loads(strip_fences(output) if fences else output)
        except ValueError as err:
            return Score(0.0, f"not JSON: {err}")
        return Score(1.0)

    return score


def schema_validator(value: Any, root: Path, where: str) -> Any:
    """A jsonschema validator for a `schema` option: inline, or a JSON file under `root`.
    Raises `UsageError` when the file is missing or not a valid JSON Schema."""
    import jsonschema

    schema = _load_schema(value, root, where)
    try:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as err:
        raise UsageError(f"not a valid JSON Schema: {err.message}", field=where) from None
    return validator_class(schema)


def json_schema(options: Mapping[str, Any], root: Path, where: str) -> Scorer:
    import jsonschema

    validator = schema_validator(options["schema"], root, where)
    fences = options.get("strip_fences", False)

    def score(output: str, case: Case) -> Score:
        try:
            value = json.loads(strip_fences(output) if fences else output)
        except ValueError as err:
            return Score(0.0, f"not JSON: {err}")
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is None:
            return Score(1.0)
        at = "/".join(str(p) for p in error.absolute_path)
        return Score(0.0, f"{at or 'the output'}: {error.message}")

    return score


def _load_schema(value: Any, root: Path, where: str) -> Any:
    if not isinstance(value, str):
        return value
    path = (root / value).resolve()
    try:
        if not path.is_relative_to(root.resolve()):
            raise UsageError(f"schema {value!r} is outside the repository", field=where)
        return json.loads(path.read_bytes())
    except OSError as err:
        raise UsageError(f"cannot read schema {value!r}: {err.strerror}", field=where) from None
    except ValueError as err:
        raise UsageError(f"schema {value!r} is not JSON: {err}", field=where) from None


def similarity(options: Mapping[str, Any]) -> Scorer:
    ignore_case = options.get("ignore_case", True)

    def norm(text: str) -> str:
        text = " ".join(text.split())
        return text.casefold() if ignore_case else text

    def score(output: str, case: Case) -> Score:
        ratio = difflib.SequenceMatcher(None, norm(output), norm(case.expected), False).ratio()
        return Score(ratio, None if ratio == 1 else f"expected {short(case.expected)}")

    return score


def python(options: Mapping[str, Any], root: Path, where: str) -> Scorer:
    function = load_callable(options["function"], root, what=where)

    def score(output: str, case: Case) -> Score:
        try:
            result = function(output=output, expected=case.expected, inputs=dict(case.inputs))
        except Exception as err:  # the user's metric failed on this case: 0, and say why
            return Score(0.0, error=f"{type(err).__name__}: {err}")
        reason = None
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], str | None):
            result, reason = result
        if not isinstance(result, int | float) or not 0 <= result <= 1:
            return Score(0.0, error=f"returned {result!r}, not a number from 0 to 1")
        return Score(float(result), reason)

    return score


def cheap_scorer(metric: Metric, root: Path, where: str) -> Scorer:
    """A scorer for every kind but `judge` (see `judge.py`)."""
    options = metric.options
    if metric.kind == "json_schema":
        return json_schema(options, root, where + ".schema")
    if metric.kind == "python":
        return python(options, root, where + ".function")
    simple: dict[str, Callable[[Mapping[str, Any]], Scorer]] = {
        "exact": exact,
        "contains": contains,
        "regex": regex,
        "json_valid": json_valid,
        "similarity": similarity,
    }
    return simple[metric.kind](options)
