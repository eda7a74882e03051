"""Each reason the evals gate calls scores stale names the metric it is about and the
front-matter field it is recorded in: the pre-commit hook puts its finding on that field's
line, and `check --json` reports the metric. Checked field by field for every file change."""

from __future__ import annotations

import hashlib

import pytest

from promptreg.evals.gate import GateProblem, check_gate
from promptreg.evals.provenance import Source
from promptreg.project.project import Project
from tests.conftest import Workspace
from tests.evals_support import CASES, EVAL_PROMPT, eval_project, jsonl

SCHEMAS = {"evals/a.json": b'{"type": "string"}', "evals/b.json": b'{"type": "object"}'}
PROMPT = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n"
    "    - {name: shape_a, kind: json_schema, schema: evals/a.json}\n"
    "    - {name: shape_b, kind: json_schema, schema: evals/b.json}\n",
)
RERUN = ": run `promptreg eval triage --write`"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _stale(ws: Workspace, metric_files: str | None, files: dict[str, bytes]) -> list[GateProblem]:
    """The stale problems of PROMPT with fresh content and dataset hashes, `metric_files` as
    recorded (YAML, None: not recorded), the metric files read from `files`."""
    eval_project(ws, PROMPT)
    fresh = Project.open().load("triage").content_hash
    block = (
        f"  scores: {{accuracy: 0.9, shape_a: 1, shape_b: 1}}\n  content_hash: {fresh}\n"
        f"  dataset_hash: {_sha(jsonl(CASES).encode())}\n"
    )
    if metric_files is not None:
        block += f"  metric_files: {metric_files}\n"
    ws.prompt("triage", PROMPT.replace("---\nuser:", block + "---\nuser:"))
    every = {"evals/triage.jsonl": jsonl(CASES).encode(), **files}
    source = Source(every.get, "prompts", "a test state")
    result = check_gate(Project.open().load("triage"), source=source)
    return [p for p in result.problems if p.kind == "stale"]


def _recorded(**digests: str) -> str:
    return "{" + ", ".join(f"evals/{k}.json: {v}" for k, v in digests.items()) + "}"


def test_fresh_metric_files_are_not_stale(ws: Workspace):
    recorded = _recorded(a=_sha(SCHEMAS["evals/a.json"]), b=_sha(SCHEMAS["evals/b.json"]))
    assert _stale(ws, recorded, SCHEMAS) == []


def test_scores_without_metric_file_hashes_point_at_the_scores(ws: Workspace):
    assert _stale(ws, None, SCHEMAS) == [
        GateProblem(
            "stale",
            None,
            "the scores were recorded without hashes of the files metrics read "
            "(evals/a.json, evals/b.json)" + RERUN,
            ("scores",),
        )
    ]


@pytest.mark.parametrize(
    ("recorded", "files", "expected"),
    [
        (
            _recorded(a=_sha(SCHEMAS["evals/a.json"])),
            SCHEMAS,
            (
                "shape_b",
                "metric `shape_b` reads evals/b.json, which the scores were not measured with",
                ("metric_files",),
            ),
        ),
        (
            _recorded(a=_sha(SCHEMAS["evals/a.json"]), b=_sha(SCHEMAS["evals/b.json"])),
            {"evals/a.json": SCHEMAS["evals/a.json"]},
            (
                "shape_b",
                "evals/b.json, which a metric read, is not in a test state",
                ("metric_files", "evals/b.json"),
            ),
        ),
        (
            _recorded(a=_sha(b"{}"), b=_sha(SCHEMAS["evals/b.json"])),
            SCHEMAS,
            (
                "shape_a",
                "evals/a.json, which a metric reads, changed since the scores were measured "
                f"(recorded {_sha(b'{}')[:19]}, now {_sha(SCHEMAS['evals/a.json'])[:19]})",
                ("metric_files", "evals/a.json"),
            ),
        ),
    ],
    ids=["not-recorded", "gone", "changed"],
)
def test_a_changed_metric_file_names_its_metric_and_field(
    ws: Workspace,
    recorded: str,
    files: dict[str, bytes],
    expected: tuple[str, str, tuple[str, ...]],
):
    metric, what, where = expected
    assert _stale(ws, recorded, files) == [GateProblem("stale", metric, what + RERUN, where)]
