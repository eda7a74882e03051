"""The eval scores a deployment message records are the file's own, or the tag does not count.

`promote` copies the scores the prompt file records into the deployment message; `history`,
the bundle and the gate (the baseline the next promotion is held to) read them from there.
The read model compares the two on every tag: a message whose scores differ from the file at
its commit is a rejected tag, never a served deployment. A score that cannot be compared as
written (not finite: `.nan`, `.inf`) leaves the comparison out instead of refusing the tag.
"""

from __future__ import annotations

import json

import pytest

from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from tests.conftest import VALID_PROMPT, Workspace, commit, git

TAG1 = "prompts/triage@dev/000001"
TAG2 = "prompts/triage@dev/000002"


def with_scores(scores: str) -> str:
    return VALID_PROMPT.replace("sample:", f"evals:\n  scores: {scores}\nsample:")


def promoted(repo: Workspace, run, scores: str) -> str:
    """Commit triage recording `scores`, promote it to dev; the message promote wrote."""
    repo.prompt("triage", with_scores(scores))
    commit(repo, "scores")
    assert run("promote", "triage", "--to", "dev").code == 0
    return git(repo.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{TAG1}")


def served_tag(repo: Workspace) -> str | None:
    with Registry(repo.root) as reg:
        found = reg.current("triage", "dev")
        return found.tag if found is not None else None


def test_a_deployment_recording_the_files_scores_is_served(repo: Workspace, run):
    message = promoted(repo, run, "{accuracy: 0.9, recall: 1}")
    assert 'scores: {"accuracy": 0.9, "recall": 1.0}' in message
    assert served_tag(repo) == TAG1
    with Registry(repo.root) as reg:
        assert dict(reg.get("triage@dev").deployment.scores) == {"accuracy": 0.9, "recall": 1.0}
    code, report = verified(run)
    assert code == 0 and report["rejected"] == []


@pytest.mark.parametrize(
    ("edit", "shown"),
    [
        ('"accuracy": 0.99, ', "{'accuracy': 0.99, 'recall': 1.0}"),  # a number raised
        ("", "{'recall': 1.0}"),  # a score left out
    ],
)
def test_a_message_whose_scores_differ_from_the_file_is_rejected(
    repo: Workspace, run, edit: str, shown: str
):
    message = promoted(repo, run, "{accuracy: 0.9, recall: 1}")
    forged = message.replace('"accuracy": 0.9, ', edit)
    assert forged != message
    with GitStore(repo.root) as store:
        store.create_tag(TAG2, git(repo.root, "rev-parse", "HEAD").strip(), forged)
    assert served_tag(repo) == TAG1  # the lie never hides the deployment that counts
    code, report = verified(run)
    (rejected,) = report["rejected"]
    assert code == 1 and rejected["tag"] == TAG2
    reason = rejected["reason"]
    assert f"the message records scores {shown}, but prompts/triage.prompt at" in reason
    assert rejected["reason"].endswith("records {'accuracy': 0.9, 'recall': 1.0}")


@pytest.mark.parametrize("score", [".nan", ".inf", "-.inf"])
def test_a_file_recording_a_score_that_is_not_finite_deploys(repo: Workspace, run, score: str):
    """A not-a-number never equals itself: compared, it would reject the deployment promote
    itself just made."""
    message = promoted(repo, run, f"{{accuracy: {score}, recall: 0.5}}")
    assert f"accuracy: {score}\n" in message
    assert served_tag(repo) == TAG1
    code, report = verified(run)
    assert code == 0 and report["rejected"] == []


def verified(run) -> tuple[int, dict]:
    result = run("verify", "--json")
    return result.code, json.loads(result.out)
