"""The gate: `check_gate` on each problem kind, `promptreg check`, and the comparison with
the version deployed to an environment through the real git registry."""

from __future__ import annotations

import json

import pytest

from promptreg.evals.dataset import sha256_of
from promptreg.evals.gate import baseline_scores, check_gate
from promptreg.evals.provenance import tree_source
from promptreg.project.project import Project
from tests.conftest import Workspace, commit, git
from tests.evals_support import CASES, EVAL_PROMPT, LABELLER, eval_project, jsonl, python_runner

TWO_METRICS = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: accuracy, kind: exact, threshold: 0.8}\n    - {name: tone, kind: similarity}\n",
)


def _prompt(ws: Workspace, scores: str | None, content_hash: str | None = "FRESH") -> Project:
    """prompts/triage.prompt with these recorded scores, measured on its dataset (written
    here, its hash recorded); FRESH is replaced by its real hash."""
    ws.prompt("triage", TWO_METRICS)
    ws.write("evals/triage.jsonl", jsonl(CASES))
    project = Project.open()
    real = project.load("triage").content_hash
    extra = f"  dataset_hash: {sha256_of(jsonl(CASES).encode())}\n"
    if scores is not None:
        extra += f"  scores: {scores}\n"
    if content_hash is not None:
        extra += f"  content_hash: {real if content_hash == 'FRESH' else content_hash}\n"
    ws.prompt("triage", TWO_METRICS.replace("---\nuser:", extra + "---\nuser:"))
    return project


OTHER_HASH = "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("scores", "content_hash", "baseline", "tolerance", "expected"),
    [
        ("{accuracy: 0.9, tone: 0.4}", "FRESH", None, 0.0, []),
        ("{accuracy: 0.8, tone: 0.4}", "FRESH", None, 0.0, []),  # at the threshold passes
        (
            None,
            None,
            None,
            0.0,
            [("missing", None, "no scores recorded: run `promptreg eval triage --write`")],
        ),
        (
            "{accuracy: 0.9}",
            "FRESH",
            None,
            0.0,
            [("missing", "tone", "no score recorded for `tone`")],
        ),
        (
            "{accuracy: 0.9, tone: 0.4}",
            OTHER_HASH,
            None,
            0.0,
            [
                (
                    "stale",
                    None,
                    "scores were measured on other content (the body, a partial or the model changed since): run `promptreg eval triage --write`",
                )
            ],
        ),
        (
            "{accuracy: 0.9, tone: 0.4}",
            None,
            None,
            0.0,
            [
                (
                    "stale",
                    None,
                    "scores were recorded without a content hash: run `promptreg eval triage --write`",
                )
            ],
        ),
        (
            "{accuracy: 0.7, tone: 0.4}",
            "FRESH",
            None,
            0.0,
            [("below threshold", "accuracy", "`accuracy` 0.7 is below its threshold 0.8")],
        ),
        (
            "{accuracy: 0.9, tone: 0.4}",
            "FRESH",
            {"accuracy": 0.93, "tone": 0.4},
            0.0,
            [
                (
                    "regressed",
                    "accuracy",
                    "`accuracy` 0.9 is 0.03 below the deployed version's 0.93 (tolerance 0)",
                )
            ],
        ),
        ("{accuracy: 0.9, tone: 0.4}", "FRESH", {"accuracy": 0.93}, 0.03, []),  # within tolerance
        ("{accuracy: 0.92, tone: 0.4}", "FRESH", {"accuracy": 0.93}, 0.01, []),  # float-safe
        ("{accuracy: 0.9, tone: 0.5}", "FRESH", {"accuracy": 0.8, "gone": 1.0}, 0.0, []),
        (
            "{accuracy: 0.7, tone: 0.4}",
            OTHER_HASH,
            {"accuracy": 0.9, "tone": 0.6},
            0.1,
            [
                (
                    "stale",
                    None,
                    "scores were measured on other content (the body, a partial or the model changed since): run `promptreg eval triage --write`",
                ),
                ("below threshold", "accuracy", "`accuracy` 0.7 is below its threshold 0.8"),
                (
                    "regressed",
                    "accuracy",
                    "`accuracy` 0.7 is 0.2 below the deployed version's 0.9 (tolerance 0.1)",
                ),
                (
                    "regressed",
                    "tone",
                    "`tone` 0.4 is 0.2 below the deployed version's 0.6 (tolerance 0.1)",
                ),
            ],
        ),
    ],
)
def test_check_gate(ws: Workspace, scores, content_hash, baseline, tolerance, expected):
    project = _prompt(ws, scores, content_hash)
    result = check_gate(
        project.load("triage"), source=tree_source(project), baseline=baseline, tolerance=tolerance
    )
    assert [(p.kind, p.metric, p.message) for p in result.problems] == expected
    assert result.ok is (not expected)
    codes = {"missing": "PR072 ", "stale": "PR072 ", "below threshold": "PR073 "}
    assert result.reasons == tuple(f"{codes.get(k, '')}{k}: {m}" for k, _, m in expected)


def test_no_metrics_is_missing(ws: Workspace):
    ws.prompt("plain")
    project = Project.open()
    result = check_gate(project.load("plain"), source=tree_source(project))
    assert result.reasons == ("PR072 missing: no eval metrics declared (evals.metrics)",)


# -- promptreg check ----------------------------------------------------------------------------


def test_check_all_skips_prompts_without_evals_and_names_each_failure(ws: Workspace, run):
    _prompt(ws, "{accuracy: 0.7, tone: 0.4}")
    ws.prompt("plain")
    ws.prompt("broken", "---\nversion: 1\n---\nhi\n")
    result = run("check")
    assert result.code == 1
    assert result.out.splitlines() == [
        "FAIL  broken",
        "      invalid: prompts/broken.prompt:2:1: PR024 version: must be a semver string such as "
        "1.4.0, not an integer 1 (and 1 more finding) (run `promptreg validate`)",
        "FAIL  triage",
        "      PR073 below threshold: `accuracy` 0.7 is below its threshold 0.8",
    ]
    assert result.err == "2 prompts checked, 2 failing; 1 without evals skipped\n"
    named = run("check", "plain", "--json")
    assert named.code == 1  # a prompt named explicitly must have evals
    data = json.loads(named.out)
    assert data == {
        "ok": False,
        "against": None,
        "tolerance": 0.0,
        "prompts": [
            {
                "name": "plain",
                "ok": False,
                "problems": [
                    {
                        "kind": "missing",
                        "code": "PR072",
                        "metric": None,
                        "message": "no eval metrics declared (evals.metrics)",
                    }
                ],
                "scores": {},
                "baseline": None,
            }
        ],
        "skipped": [],
    }


def test_check_passes(ws: Workspace, run):
    _prompt(ws, "{accuracy: 0.9, tone: 0.4}")
    result = run("check", "triage")
    assert (result.code, result.out) == (0, "ok    triage  accuracy 0.9, tone 0.4\n")
    assert result.err == "1 prompt checked, all pass\n"


def test_against_an_unknown_environment(ws: Workspace, run):
    _prompt(ws, "{accuracy: 0.9, tone: 0.4}")
    result = run("check", "--against", "qa")
    assert result.code == 2
    assert result.err == (
        "promptreg: error: 'qa' is not an environment (promptreg.yaml lists dev, staging, prod)\n"
    )


# -- against what is deployed, through the real git registry -----------------------------------


@pytest.mark.usefixtures("isolated_git")
def test_regression_against_the_deployed_version(ws: Workspace, run):
    git(ws.root, "init", "-q")
    ws.write("promptreg.yaml", "evals: {tolerance: 0.1}\n")
    eval_project(ws)
    good = python_runner(ws, LABELLER)
    assert run("eval", "triage", "--runner", good, "--write").code == 0
    commit(ws, "triage with scores")
    project = Project.open()
    assert baseline_scores(project, "triage", "dev") is None  # nothing deployed yet
    promoted = run("promote", "triage", "--to", "dev")
    assert promoted.code == 0, promoted.err
    assert baseline_scores(Project.open(), "triage", "dev") == {"accuracy": 0.75}

    # the next version answers worse: 0.5 instead of 0.75, more than the tolerance of 0.1
    body = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    (ws.prompts / "triage.prompt").write_text(
        body.replace("version: 1.0.0", "version: 1.1.0").replace("Label this", "Label the"),
        encoding="utf-8",
    )
    worse = python_runner(
        ws,
        LABELLER.replace(
            "return ticket",
            "return 'billing' if 'billing' in ticket else ticket + '!'\n    return ticket",
        ),
    )
    result = run("eval", "triage", "--runner", worse, "--write", "--compare", "dev")
    assert result.code == 1  # 0.25 is below the threshold 0.5 too
    assert result.out.splitlines()[1].split()[-2:] == ["DEV", "DELTA"]
    assert result.out.splitlines()[2].split()[-2:] == ["0.7500", "-0.5000"]
    data = json.loads(run("eval", "triage", "--runner", worse, "--compare", "dev", "--json").out)
    assert data["compare"] == {"env": "dev", "found": True}
    assert (data["metrics"][0]["baseline"], data["metrics"][0]["delta"]) == (0.75, -0.5)

    check = run("check", "triage", "--against", "dev")
    assert check.code == 1
    assert check.out.splitlines()[1:] == [
        "      PR073 below threshold: `accuracy` 0.25 is below its threshold 0.5",
        "      regressed: `accuracy` 0.25 is 0.5 below the deployed version's 0.75 (tolerance 0.1)",
    ]
    # without --against, only the version's own scores count
    assert "regressed" not in run("check", "triage").out
    nothing = run("eval", "triage", "--runner", worse, "--compare", "prod")
    assert "(nothing is deployed to prod: no scores to compare with)" in nothing.out
