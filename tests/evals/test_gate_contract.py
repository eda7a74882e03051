"""The gate's answers, word for word where a reviewer reads them: the runner problem and what
to run, regressions on every metric, float noise that is not a regression, and the baseline
read from the project's own repository."""

from __future__ import annotations

import dataclasses

import pytest

from promptreg.evals.dataset import sha256_of
from promptreg.evals.gate import baseline_scores, check_gate
from promptreg.evals.provenance import tree_source
from promptreg.project.project import Project
from tests.conftest import Workspace, commit, git
from tests.evals_support import CASES, EVAL_PROMPT, jsonl

TWO = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: tone, kind: exact}\n    - {name: accuracy, kind: exact}\n",
)


def _fresh(ws: Workspace, text: str, extra: str = "", scores: str = "{accuracy: 0.9}") -> Project:
    """prompts/triage.prompt from `text`, its scores measured on this very content."""
    ws.prompt("triage", text)
    ws.write("evals/triage.jsonl", jsonl(CASES))
    project = Project.open()
    fresh = project.load("triage").content_hash
    block = (
        f"  scores: {scores}\n  content_hash: {fresh}\n"
        f"  dataset_hash: {sha256_of(jsonl(CASES).encode())}\n{extra}"
    )
    ws.prompt("triage", text.replace("---\nuser:", block + "---\nuser:"))
    return project


def _gate(project: Project, **kwargs):
    return check_gate(project.load("triage"), source=tree_source(project), **kwargs)


def test_the_runner_problem_says_what_to_run(ws: Workspace):
    result = _gate(_fresh(ws, EVAL_PROMPT), require_model_run="prod")
    (problem,) = result.problems
    assert problem.message == (
        "the scores do not record the runner that produced them (runner unknown); prod "
        "requires scores from a run of the pinned model (evals.require_model_run): run "
        "`promptreg eval triage --runner openai[:BASE_URL] --write`"
    )
    assert problem.where == ("runner",)  # the hook's finding points at `runner:`


def test_every_metric_is_compared_with_the_deployed_version(ws: Workspace):
    project = _fresh(ws, TWO, scores="{tone: 0.5, accuracy: 0.5}")
    result = _gate(project, baseline={"accuracy": 0.75})  # tone: nothing deployed to compare
    assert [(p.kind, p.metric) for p in result.problems] == [("regressed", "accuracy")]
    assert result.to_json()["baseline"] == {"accuracy": 0.75}
    assert _gate(project).to_json()["baseline"] is None


def test_a_difference_under_a_millionth_is_float_noise_not_a_regression(ws: Workspace):
    project = _fresh(ws, EVAL_PROMPT, scores="{accuracy: 0.7499999}")
    assert _gate(project, baseline={"accuracy": 0.75}).ok
    project = _fresh(ws, EVAL_PROMPT, scores="{accuracy: 0.749999}")
    assert not _gate(project, baseline={"accuracy": 0.75}).ok


@pytest.mark.usefixtures("isolated_git")
def test_the_baseline_is_read_from_the_project_s_repository(
    ws: Workspace, run, tmp_path, monkeypatch
):
    git(ws.root, "init", "-q")
    _fresh(ws, EVAL_PROMPT, scores="{accuracy: 0.8}")
    ws.prompt("plain")  # no evals at all
    commit(ws, "prompts")
    for name in ("triage", "plain"):
        assert run("promote", name, "--to", "dev", "--force", "--reason", "test").code == 0
    project = Project.open(ws.root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert baseline_scores(project, "triage", "dev") == {"accuracy": 0.8}
    assert baseline_scores(project, "plain", "dev") == {}  # deployed, recorded nothing
    assert baseline_scores(project, "triage", "prod") is None  # never deployed there


STALE_CASES = [
    # (what the evals block says instead, the field the problem points at, its message start)
    ("content_hash: sha256:" + "0" * 64, ("content_hash",), "scores were measured on other"),
    ("dataset_hash: sha256:" + "0" * 64, ("dataset_hash",), "the dataset evals/triage.jsonl changed"),
    ("dataset_hash: null", ("dataset",), "the scores were recorded without a hash of the dataset"),
    ("dataset: evals/gone.jsonl", ("dataset",), "the dataset evals/gone.jsonl is not in "),
    ("dataset: null", ("scores",), "the scores are bound to no dataset (`evals.dataset` is not"),
    ("metrics_hash: sha256:" + "0" * 64, ("metrics",), (
        "a metric's definition (kind or options; thresholds aside) changed since the scores "
        "were measured: run `promptreg eval triage --write`"
    )),
]  # fmt: skip


@pytest.mark.parametrize(("change", "where", "start"), STALE_CASES)
def test_each_stale_problem_points_at_its_field(ws: Workspace, change, where, start):
    project = _fresh(ws, EVAL_PROMPT)
    path = ws.prompts / "triage.prompt"
    key = change.split(":")[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [line for line in lines if not line.startswith(f"  {key}:")]
    at = lines.index("  scores: {accuracy: 0.9}\n")
    path.write_text("".join([*lines[:at], f"  {change}\n", *lines[at:]]), encoding="utf-8")
    problems = [p for p in _gate(project).problems if p.kind == "stale"]
    assert [(p.where, p.message[: len(start)]) for p in problems] == [(where, start)]


@pytest.mark.usefixtures("isolated_git")
def test_the_deploy_gate_compares_with_what_runs_there(ws: Workspace, run):
    from promptreg.evals.gate import deploy_gate, gate_at_commit
    from promptreg.registry import Registry

    git(ws.root, "init", "-q")
    _fresh(ws, EVAL_PROMPT, scores="{accuracy: 0.6}")
    ws.prompt("plain")
    commit(ws, "prompts")
    with Registry(ws.root) as reg:
        gate = deploy_gate(reg, "dev")
        plain = reg.load_at(git(ws.root, "rev-parse", "HEAD").strip(), "plain")
        assert gate(plain, None) == ()  # no metrics declared: nothing to gate
        triage = reg.load_at(git(ws.root, "rev-parse", "HEAD").strip(), "triage")
        assert gate(triage, None) == ()
        assert run("promote", "triage", "--to", "dev").code == 0
        current = reg.current("triage", "dev")
        assert current is not None
        better = dataclasses.replace(current, scores={"accuracy": 0.9})
        assert gate(triage, better) == (
            "regressed: `accuracy` 0.6 is 0.3 below the deployed version's 0.9 (tolerance 0)",
        )
        # a prompt not read from a commit: nothing it was measured on can be found
        unread = Project.open(ws.root).load("triage")
        reasons = gate_at_commit(reg, unread, "dev", {"accuracy": 0.9}).reasons
    assert reasons == (
        "PR072 stale: the dataset evals/triage.jsonl is not in an unknown commit: run "
        "`promptreg eval triage --write`",
        "regressed: `accuracy` 0.6 is 0.3 below the deployed version's 0.9 (tolerance 0)",
    )
