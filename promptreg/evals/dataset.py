"""Golden datasets: `evals/<name>.jsonl`, one JSON object (a case) per line.

    {"id": "refund-1", "inputs": {"ticket": "I was charged twice"}, "expected": "billing",
     "human_score": 0.9, "tags": ["billing"]}

`id` (a string or integer, unique) and `inputs` (checked against the prompt's `inputs`, so a
case that could never render is caught before anything is paid for) are what a case needs;
`expected` is what `exact`, `contains`, `regex` and `similarity` compare with, `human_score`
(0–1) calibrates a judge, `tags` are free. Blank lines are skipped. Every problem names the
line it is on.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from promptreg.errors import DatasetError, InputError
from promptreg.frontmatter.checks import describe
from promptreg.frontmatter.inputs import resolve_inputs
from promptreg.frontmatter.spec import InputSpec, Metric
from promptreg.template.sources import read_regular

CASE_KEYS: Final = ("id", "inputs", "expected", "human_score", "tags")
# Metric kinds that compare the output with the case's `expected`.
_COMPARES: Final = ("exact", "contains", "regex", "similarity")


@dataclass(frozen=True)
class Case:
    """One line of a dataset. `expected` is None when the line has none (or has null)."""

    id: str
    inputs: Mapping[str, Any]
    expected: Any = None
    human_score: float | None = None
    tags: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class Dataset:
    path: Path
    shown: str
    sha256: str
    cases: tuple[Case, ...] = field(default=())


def sha256_of(data: bytes) -> str:
    """`sha256:<hex>` of a file's bytes: what `evals.dataset_hash` records."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def resolve_dataset_path(root: Path, relative: str) -> Path:
    """The dataset file `relative` names under the repository root. Raises ValueError when it
    leaves the repository."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"dataset {relative!r} is outside the repository")
    return path


def needs_expected(metric: Metric) -> bool:
    """Whether a metric compares the output with each case's `expected`."""
    return metric.kind in _COMPARES and not (metric.kind == "regex" and "pattern" in metric.options)


def parse_dataset(
    data: bytes, inputs: Mapping[str, InputSpec], metrics: Iterable[Metric] = ()
) -> tuple[list[Case], list[Problem]]:
    """Every case, and every problem (line and message). Cases with problems are left out."""
    comparing = [m for m in metrics if needs_expected(m)]
    data = data.removeprefix(b"\xef\xbb\xbf")  # a BOM some editors write
    cases: list[Case] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            case = _parse_line(raw, number, inputs, comparing)
        except _LineError as err:
            problems.append(Problem(number, err.message))
            continue
        if case.id in seen:
            problems.append(
                Problem(number, f"id {case.id!r} is already used on line {seen[case.id]}")
            )
            continue
        seen[case.id] = number
        cases.append(case)
    return cases, problems


def load_dataset(
    root: Path, relative: str, inputs: Mapping[str, InputSpec], metrics: Iterable[Metric] = ()
) -> Dataset:
    """Read and check a dataset. Raises `DatasetError` at the first malformed line (saying how
    many more there are), or when the file is missing."""
    try:
        path = resolve_dataset_path(root, relative)
        data = read_regular(path)
    except ValueError as err:
        raise DatasetError(str(err), field="evals.dataset") from None
    except OSError as err:
        raise DatasetError(
            f"cannot read the dataset {relative!r}: {err.strerror or err} "
            "(create it: one JSON case per line)",
            field="evals.dataset",
        ) from None
    cases, problems = parse_dataset(data, inputs, metrics)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DatasetError(first.message + more, path=relative, line=first.line)
    return Dataset(path=path, shown=relative, sha256=sha256_of(data), cases=tuple(cases))


class _LineError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parse_line(
    raw: bytes, number: int, inputs: Mapping[str, InputSpec], comparing: list[Metric]
) -> Case:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _LineError("not valid UTF-8") from None
    except json.JSONDecodeError as err:
        raise _LineError(f"not valid JSON: {err.msg} (column {err.colno})") from None
    if not isinstance(obj, dict):
        raise _LineError(f"a case must be a JSON object {{id, inputs, …}}, not {describe(obj)}")
    for key in obj:
        if key not in CASE_KEYS:
            hint = difflib.get_close_matches(key, CASE_KEYS, n=1)
            did = f"did you mean `{hint[0]}`? " if hint else ""
            raise _LineError(f"unknown key `{key}`; {did}expected {', '.join(CASE_KEYS)}")
    case_id = obj.get("id")
    if isinstance(case_id, int) and not isinstance(case_id, bool):
        case_id = str(case_id)
    if not isinstance(case_id, str) or not case_id:
        raise _LineError("`id` is required: a non-empty string (or an integer)")
    given = obj.get("inputs", {})
    if not isinstance(given, dict):
        raise _LineError(f"case {case_id!r}: `inputs` must be an object, not {describe(given)}")
    try:
        resolve_inputs(inputs, given)
    except InputError as err:
        raise _LineError(f"case {case_id!r}: input `{err.input_name}` {err.message}") from None
    expected = obj.get("expected")
    for metric in comparing:
        problem = _expected_problem(metric, expected)
        if problem:
            raise _LineError(f"case {case_id!r}: {problem}")
    human = obj.get("human_score")
    if human is not None and not (
        isinstance(human, int | float) and not isinstance(human, bool) and 0 <= human <= 1
    ):
        raise _LineError(f"case {case_id!r}: `human_score` must be a number from 0 to 1")
    tags = obj.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _LineError(f"case {case_id!r}: `tags` must be a list of strings")
    return Case(
        id=case_id,
        inputs=given,
        expected=expected,
        human_score=None if human is None else float(human),
        tags=tuple(tags),
        line=number,
    )


def _expected_problem(metric: Metric, expected: Any) -> str | None:
    what = f"metric `{metric.name}` ({metric.kind})"
    if expected is None:
        return f"no `expected`, which {what} compares the output with"
    if metric.kind == "regex" and isinstance(expected, str):
        try:
            re.compile(expected)
        except re.error as err:
            return f"`expected` is not a valid regular expression for {what}: {err}"
        return None
    if metric.kind == "exact" or isinstance(expected, str):
        return None
    if metric.kind == "contains" and (
        isinstance(expected, list) and expected and all(isinstance(e, str) for e in expected)
    ):
        return None
    need = "a string or a list of strings" if metric.kind == "contains" else "a string"
    return f"`expected` must be {need} for {what}, not {describe(expected)}"
