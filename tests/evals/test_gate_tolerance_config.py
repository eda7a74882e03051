"""`evals.tolerance` in promptreg.yaml is the tolerance `promote` and the pre-push hook apply
when they compare scores with what the environment runs (`gate_at_commit`)."""

from __future__ import annotations

import pytest

from promptreg.evals.dataset import sha256_of
from promptreg.evals.gate import gate_at_commit
from promptreg.project.project import Project
from promptreg.registry import Registry
from tests.conftest import Workspace, commit, git
from tests.evals_support import CASES, EVAL_PROMPT, jsonl


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize(
    ("tolerance", "reasons"),
    [
        ("0.3", ()),
        (
            "0.2",
            ("regressed: `accuracy` 0.6 is 0.3 below the deployed version's 0.9 (tolerance 0.2)",),
        ),
    ],
)
def test_the_configured_tolerance_decides_a_regression(
    ws: Workspace, tolerance: str, reasons: tuple[str, ...]
):
    ws.write("promptreg.yaml", f"prompts_dir: prompts\nevals:\n  tolerance: {tolerance}\n")
    git(ws.root, "init", "-q")
    ws.prompt("triage", EVAL_PROMPT)
    ws.write("evals/triage.jsonl", jsonl(CASES))
    fresh = Project.open().load("triage").content_hash
    block = (
        f"  scores: {{accuracy: 0.6}}\n  content_hash: {fresh}\n"
        f"  dataset_hash: {sha256_of(jsonl(CASES).encode())}\n"
    )
    ws.prompt("triage", EVAL_PROMPT.replace("---\nuser:", block + "---\nuser:"))
    head = commit(ws, "triage with scores")
    with Registry(ws.root) as reg:
        triage = reg.load_at(head, "triage")
        assert gate_at_commit(reg, triage, "prod", {"accuracy": 0.9}).reasons == reasons
