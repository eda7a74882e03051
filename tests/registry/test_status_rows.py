"""`promptreg status` and `promptreg log` row by row, through the library: what each marker
means, and what the JSON carries. A wrong marker sends a reviewer to the wrong fix (bump a
version that needs none, or trust a release tag that is not one)."""

from __future__ import annotations

import pytest

from promptreg.errors import PromptFileError
from promptreg.registry import Registry
from promptreg.registry.history import log, status
from tests.conftest import VALID_PROMPT, Workspace, commit, git

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")


def _rows(ws: Workspace) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    with Registry(ws.root) as reg:
        return {r.name: (r.tree_version, r.markers) for r in status(reg)}


def test_each_marker_says_what_the_tree_is_against_the_tags(repo: Workspace, run):
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0
    repo.prompt("gone", VALID_PROMPT.replace("You triage", "You go"))
    commit(repo, "gone")
    assert run("promote", "gone", "--to", "dev").code == 0
    (repo.prompts / "gone.prompt").unlink()  # deployed, no longer in the tree
    repo.prompt("broken", "---\nversion: [\n---\nx\n")  # in the tree, does not load
    repo.prompt("other", VALID_PROMPT.replace("You triage", "You sort"))  # never released
    assert _rows(repo) == {
        "broken": (None, ("invalid",)),
        "gone": (None, ("not in working tree",)),
        "other": ("1.0.0", ("unreleased",)),
        "triage": ("1.0.0", ()),
    }
    with Registry(repo.root) as reg:
        broken = next(r for r in status(reg) if r.name == "broken")
    assert broken.to_json()["working_tree"] == {"version": None, "content_hash": None}
    # hand-made release tags for the tree's version, lightweight or annotated by hand: not
    # releases, even on the very commit and content
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    rejected = ("1.1.0", ("release tag rejected (see `promptreg verify`)", "ahead of prod"))
    git(repo.root, "tag", "prompts/triage@v1.1.0")
    assert _rows(repo)["triage"] == rejected
    git(repo.root, "tag", "-d", "prompts/triage@v1.1.0")
    git(repo.root, "tag", "-a", "-m", "release triage 1.1.0", "prompts/triage@v1.1.0")
    assert _rows(repo)["triage"] == rejected


def test_ahead_is_against_the_last_environment_only(repo: Workspace, run):
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0  # releases 1.0.0
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    for env in ("dev", "staging"):
        assert run("promote", "triage", "--to", env).code == 0
    assert _rows(repo)["triage"] == ("1.1.0", ("ahead of prod",))  # staging has it already
    assert run("promote", "triage", "--to", "prod").code == 0
    assert _rows(repo)["triage"] == ("1.1.0", ())  # equal: not ahead
    repo.prompt("triage", VALID_PROMPT)  # 1.0.0 again: released, behind prod
    assert _rows(repo)["triage"] == ("1.0.0", ())


def test_a_status_row_as_json(repo: Workspace, run):
    assert run("promote", "triage", "--to", "dev").code == 0
    with Registry(repo.root) as reg:
        (row,) = status(reg)
        tree_hash = reg.project.load("triage").content_hash
        dev = reg.get("triage@dev").deployment
    assert dev is not None
    assert row.to_json() == {
        "name": "triage",
        "working_tree": {"version": "1.0.0", "content_hash": tree_hash},
        "environments": {
            "dev": {"version": "1.0.0", "seq": 1, "tag": "prompts/triage@dev/000001",
                    "date": dev.date},
            "staging": None,
            "prod": None,
        },
        "markers": [],
    }  # fmt: skip


def test_log_versions_at_each_commit(repo: Workspace):
    repo.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 2"))
    commit(repo, "a number, not a version")
    repo.prompt("triage", "---\nversion: [\n---\nx\n")
    commit(repo, "broken front-matter")
    repo.prompt("triage", "no front-matter at all\n")
    commit(repo, "no front-matter")
    repo.prompt("triage", "---\n- a list\n---\nx\n")
    commit(repo, "a list for front-matter")
    git(repo.root, "rm", "-q", "prompts/triage.prompt")
    commit(repo, "deleted")
    repo.write("prompts/partials/tone.j2", "Be kind.\n")
    commit(repo, "the partial only, once the prompt is gone")
    with Registry(repo.root) as reg:
        entries = log(reg, "triage")
    assert [(e.subject, e.version) for e in entries] == [
        ("deleted", None),
        ("a list for front-matter", None),
        ("no front-matter", None),
        ("broken front-matter", None),
        ("a number, not a version", None),
        ("add triage", "1.0.0"),
    ]
    head = git(repo.root, "rev-parse", "HEAD~1").strip()
    assert entries[0].to_json() == {
        "commit": head,
        "author": entries[0].author,
        "date": entries[0].date,
        "subject": "deleted",
        "version": None,
    }
    assert entries[0].author and entries[0].date.startswith("20")


def test_log_follows_the_partials_of_a_prompt_that_reads(repo: Workspace):
    """Even one that could not be served (an undeclared variable): log shows a file's past."""
    repo.prompt("triage", VALID_PROMPT.replace("{{ ticket }}", "{{ ticket }} {{ undeclared }}"))
    commit(repo, "an undeclared variable")
    repo.write("prompts/partials/tone.j2", "Be kind.\n")
    commit(repo, "tone")
    with Registry(repo.root) as reg:
        with pytest.raises(PromptFileError):
            reg.project.load("triage")  # not servable
        subjects = [e.subject for e in log(reg, "triage")]
    assert subjects == ["tone", "an undeclared variable", "add triage"]


def test_log_of_a_repository_without_commits_is_empty(ws: Workspace, isolated_git: None):
    git(ws.root, "init", "-q")
    ws.prompt("triage")
    with Registry(ws.root) as reg:
        assert log(reg, "triage") == []
