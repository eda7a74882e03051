"""Release, promote and rollback: what each reports (`--json`), and each refusal, in words that
say what to do. Real repositories; the deploy functions called as the CLI calls them."""

from __future__ import annotations

import json

import pytest

from promptreg.errors import DeployError, PromptNotFoundError, UsageError
from promptreg.registry import Registry
from promptreg.registry.deploy import promote
from promptreg.registry.release import release
from promptreg.registry.rollback import rollback
from promptreg.registry.tags import read_message
from tests.conftest import VALID_PROMPT, Workspace, commit, git

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")
V120 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.2.0").replace("tickets.", "tickets?")
NO_GATE = {"gate": lambda prompt, current: ()}


def rev(ws: Workspace, name: str) -> str:
    return git(ws.root, "rev-parse", name).strip()


def message(ws: Workspace, tag: str) -> dict:
    text = git(ws.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{tag}")
    return read_message(text)


def test_release_reports_what_it_tagged(repo: Workspace, run):
    head = rev(repo, "HEAD")
    first = run("release", "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out) == {
        "released": [
            {
                "name": "triage",
                "version": "1.0.0",
                "tag": "prompts/triage@v1.0.0",
                "commit": head,
                "created": True,
                "note": None,
            }
        ]
    }
    again = json.loads(run("release", "triage", "--json").out)["released"][0]
    assert (again["created"], again["commit"]) == (False, head)
    assert message(repo, "prompts/triage@v1.0.0")["path"] == "prompts/triage.prompt"


def test_release_says_when_the_working_tree_differs_from_head(repo: Workspace):
    repo.prompt("triage", V110)  # not committed
    with Registry(repo.root) as reg:
        [released] = release(reg, ["triage"])
    assert (released.version, released.created) == ("1.0.0", True)
    assert released.note == (
        "the working tree has uncommitted changes to this prompt: released HEAD's"
    )
    git(repo.root, "checkout", "--", "prompts/triage.prompt")
    repo.prompt("other", VALID_PROMPT)
    commit(repo, "other")
    repo.prompt("triage", "---\nversion: [\n")
    with Registry(repo.root) as reg:
        found = {r.name: r.note for r in release(reg, [])}
    assert found == {
        "other": None,
        "triage": "the working tree copy differs from HEAD (and does not load): released HEAD's",
    }


def test_a_rejected_release_tag_is_never_moved(repo: Workspace):
    git(repo.root, "tag", "prompts/triage@v1.0.0")  # lightweight, by hand
    with Registry(repo.root) as reg, pytest.raises(DeployError) as err:
        release(reg, ["triage"])
    assert str(err.value).startswith("nothing released: 1 of 1 prompt(s) cannot be released")
    assert str(err.value).endswith(
        "triage: the release tag prompts/triage@v1.0.0 is rejected (a lightweight tag (it points "
        "at a commit), not a release) and a tag is never moved: bump the version (e.g. "
        "`promptreg bump triage`), commit, and release again"
    )
    assert rev(repo, "prompts/triage@v1.0.0") == rev(repo, "HEAD")  # left as it was


def test_an_empty_repository_has_nothing_to_release(ws: Workspace, isolated_git):
    git(ws.root, "init", "-q")
    with Registry(ws.root) as reg, pytest.raises(DeployError) as err:
        release(reg, ["triage"])
    assert str(err.value) == "the repository has no commits yet: commit your prompts first"


def test_promote_reports_what_it_did_and_records_it(repo: Workspace, run):
    head = rev(repo, "HEAD")
    dev = json.loads(run("promote", "triage", "--to", "dev", "--json").out)
    assert dev == {
        "name": "triage",
        "env": "dev",
        "tag": "prompts/triage@dev/000001",
        "version": "1.0.0",
        "commit": head,
        "action": "promote",
        "previous": None,
        "pushed_to": None,
        "attempts": 1,
        "released": {
            "name": "triage",
            "version": "1.0.0",
            "tag": "prompts/triage@v1.0.0",
            "commit": head,
            "created": True,
            "note": None,
        },
        "notes": [],
    }
    recorded = message(repo, "prompts/triage@dev/000001")
    assert (recorded["action"], recorded["commit"], recorded["forced"]) == ("promote", head, False)
    assert recorded["path"] == "prompts/triage.prompt" and recorded["previous"] is None
    assert "overrides" not in recorded


def test_nothing_is_done_when_the_environment_already_runs_it(repo: Workspace):
    with Registry(repo.root) as reg:
        promote(reg, "triage", to="dev", **NO_GATE)
        same = promote(reg, "triage", to="dev", **NO_GATE)
    assert (same.tag, same.previous, same.action) == (None, "prompts/triage@dev/000001", "promote")
    assert same.notes == (
        "dev already runs triage 1.0.0 (prompts/triage@dev/000001): nothing to do",
    )
    assert same.released is not None and same.released.created is False


def test_promotion_follows_the_environments_in_order(repo: Workspace):
    with Registry(repo.root) as reg:
        with pytest.raises(DeployError) as err:
            promote(reg, "triage", to="staging", **NO_GATE)
        assert str(err.value) == (
            "triage 1.0.0 is not what dev runs (dev runs nothing yet): promote it to dev first. "
            "To override, add --force --reason '<why>' (the override is recorded in the tag)."
        )
        promote(reg, "triage", to="dev", **NO_GATE)
        promote(reg, "triage", to="staging", **NO_GATE)
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    with Registry(repo.root) as reg:
        promote(reg, "triage", to="dev", **NO_GATE)
        forced = promote(
            reg, "triage", to="prod", force=True, reason="hotfix",
            gate=lambda prompt, current: ("evals: below threshold",),
        )  # fmt: skip
    assert forced.notes == (
        "overridden: triage 1.1.0 is not what staging runs (staging runs 1.0.0): promote it "
        "to staging first",
        "overridden: evals: below threshold",
    )
    recorded = message(repo, "prompts/triage@prod/000001")
    assert (recorded["forced"], recorded["reason"]) == (True, "hotfix")
    assert recorded["overrides"] == [n.removeprefix("overridden: ") for n in forced.notes]


def test_the_gate_sees_the_prompt_and_what_runs_now(repo: Workspace):
    seen = []

    def gate(prompt, current):
        seen.append((prompt.version, current.tag if current else None))
        return ()

    with Registry(repo.root) as reg:
        promote(reg, "triage", to="dev", gate=gate)
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    with Registry(repo.root) as reg:
        promote(reg, "triage", to="dev", gate=gate)
    assert seen == [("1.0.0", None), ("1.1.0", "prompts/triage@dev/000001")]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"version": "1.0.0", "from_env": "dev"}, "give --version or --from, not both"),
        ({"force": True}, "--force needs --reason"),
        ({"force": True, "reason": "  "}, "--force needs --reason"),
        ({"to": "qa"}, "environment 'qa' is not declared"),
        ({"from_env": "qa"}, "environment 'qa' is not declared"),
    ],
)
def test_promote_refuses_contradictory_options(repo: Workspace, kwargs, error):
    kwargs = {"to": "staging", **kwargs}
    with Registry(repo.root) as reg, pytest.raises(UsageError, match=error):
        promote(reg, "triage", **kwargs, **NO_GATE)


def test_promote_from_an_environment_takes_its_commit(repo: Workspace):
    with Registry(repo.root) as reg:
        with pytest.raises(DeployError) as err:
            promote(reg, "triage", to="staging", from_env="dev", **NO_GATE)
        assert str(err.value) == "triage has never been deployed to dev: nothing to promote"
        first = promote(reg, "triage", to="dev", **NO_GATE)
    repo.prompt("triage", V110)
    commit(repo, "1.1.0 at HEAD, not in dev")
    with Registry(repo.root) as reg:
        moved = promote(reg, "triage", to="staging", from_env="dev", **NO_GATE)
        with pytest.raises(PromptNotFoundError):
            promote(reg, "triage", to="staging", version="9.9.9", **NO_GATE)
    assert (moved.version, moved.commit, moved.released) == ("1.0.0", first.commit, None)


# -- rollback --------------------------------------------------------------------------------


@pytest.fixture
def three(repo: Workspace) -> Workspace:
    """dev ran 1.0.0 (seq 1), 1.1.0 (seq 2), then 1.2.0 (seq 3)."""
    for text in (None, V110, V120):
        if text is not None:
            repo.prompt("triage", text)
            commit(repo, "next")
        with Registry(repo.root) as reg:
            promote(reg, "triage", to="dev", **NO_GATE)
    return repo


def test_rollback_returns_to_the_last_different_content(three: Workspace, run):
    rolled = json.loads(run("rollback", "triage", "--env", "dev", "--json").out)
    assert (rolled["version"], rolled["action"], rolled["tag"]) == (
        "1.1.0", "rollback", "prompts/triage@dev/000004",
    )  # fmt: skip
    assert (rolled["previous"], rolled["released"]) == ("prompts/triage@dev/000003", None)
    recorded = message(three, "prompts/triage@dev/000004")
    assert (recorded["action"], recorded["forced"]) == ("rollback", False)
    with Registry(three.root) as reg:
        by_seq = rollback(reg, "triage", env="dev", to="1", reason="back to the start")
    assert (by_seq.version, by_seq.tag) == ("1.0.0", "prompts/triage@dev/000005")
    assert message(three, "prompts/triage@dev/000005")["reason"] == "back to the start"


def test_rollback_refusals_say_what_exists(three: Workspace):
    git(three.root, "tag", "prompts/triage@dev/000004")  # lightweight: does not count
    with Registry(three.root) as reg:
        for to, error in (
            ("9", "triage has no deployment 9 in dev (deployments: 3, 2, 1)"),
            ("4", "prompts/triage@dev/000004 is not a deployment that counts: a lightweight tag"),
            ("3", "dev already runs triage 1.2.0 (prompts/triage@dev/000003)"),
            ("1.2.0", "dev already runs triage 1.2.0 (prompts/triage@dev/000003)"),
        ):
            with pytest.raises(DeployError) as err:
                rollback(reg, "triage", env="dev", to=to)
            assert str(err.value).startswith(error), str(err.value)
        with pytest.raises(DeployError) as err:
            rollback(reg, "triage", env="prod")
        assert str(err.value) == "triage has never been deployed to prod: nothing to roll back"
        with pytest.raises(UsageError):
            rollback(reg, "triage", env="qa")
        back = rollback(reg, "triage", env="dev", to="v1.1.0")
    assert (back.version, back.tag) == ("1.1.0", "prompts/triage@dev/000005")


def test_an_environment_that_ran_one_version_has_nothing_to_roll_back_to(repo: Workspace):
    with Registry(repo.root) as reg:
        promote(reg, "triage", to="dev", **NO_GATE)
        with pytest.raises(DeployError) as err:
            rollback(reg, "triage", env="dev")
    assert str(err.value) == "dev has only ever run triage 1.0.0: nothing to roll back to"


def test_a_non_ascii_seq_is_a_version_not_a_seq(three: Workspace):
    with Registry(three.root) as reg, pytest.raises(PromptNotFoundError):
        rollback(reg, "triage", env="dev", to="١")


def test_a_name_git_cannot_create_is_stepped_over_not_a_loop(repo: Workspace, run):
    """A stray tag `.../000001/x` makes `.../000001` impossible to create (a ref cannot be a
    file and a directory): promote takes the next seq, and the stray tag stays as it was."""
    git(repo.root, "tag", "prompts/triage@dev/000001/x")
    stray = rev(repo, "prompts/triage@dev/000001/x")
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert "prompts/triage@dev/000002" in result.out
    assert rev(repo, "prompts/triage@dev/000001/x") == stray
    with Registry(repo.root) as reg:
        assert reg.get("triage@dev").deployment.seq == 2


def test_the_tag_records_the_deployment_it_replaces_and_the_scores(three: Workspace):
    with Registry(three.root) as reg:
        rollback(reg, "triage", env="dev")
    assert message(three, "prompts/triage@dev/000004")["previous"] == "prompts/triage@dev/000003"
    assert message(three, "prompts/triage@dev/000002")["previous"] == "prompts/triage@dev/000001"
    assert message(three, "prompts/triage@dev/000001")["scores"] == {}
