"""`promptreg rollback` as its user sees it, beyond the path back (test_rollback_path.py):
with `--push` it first learns what the team's remote runs and publishes there; `--sign`
signs the rollback's tag; the path back after a rollback to the oldest deployment; and what
"newer" means for a version `--to` names (semver precedence: build metadata does not count).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Workspace, bump, commit, git

TAGS = "prompts/triage@dev/*"


def _promote(repo: Workspace, run, version: str, old: str, new: str) -> None:
    bump(repo, "triage", version, (old, new))
    commit(repo, version)
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err


def _deploy_three(repo: Workspace, run) -> None:
    assert run("promote", "triage", "--to", "dev").code == 0
    _promote(repo, run, "1.1.0", "You triage tickets.", "You triage.")
    _promote(repo, run, "1.2.0", "You triage.", "Triage!")


def _rolled_back(result) -> dict:
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_rollback_with_push_rolls_back_what_the_remote_runs(
    repo: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """This clone last saw 1.1.0 in dev; a teammate has since deployed 1.2.0 there. The
    rollback fetches first, so it rolls 1.2.0 back (to 1.1.0, as a new seq after the
    teammate's), and pushes its tag to the remote."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    assert run("promote", "triage", "--to", "dev", "--push").code == 0
    _promote(repo, run, "1.1.0", "You triage tickets.", "You triage.")
    git(repo.root, "push", "-q", "origin", "main", "prompts/triage@dev/000002")
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(bare), str(teammate))
    git(teammate, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    mate = Workspace(teammate)
    bump(mate, "triage", "1.2.0", ("You triage.", "Triage!"))
    commit(mate, "1.2")
    monkeypatch.chdir(teammate)
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 0, result.err
    monkeypatch.chdir(repo.root)
    assert git(repo.root, "tag", "--list", TAGS).split() == [
        "prompts/triage@dev/000001",
        "prompts/triage@dev/000002",
    ]
    done = _rolled_back(run("rollback", "triage", "--env", "dev", "--push", "--json"))
    assert (done["version"], done["tag"]) == ("1.1.0", "prompts/triage@dev/000004")
    on_remote = git(bare, "tag", "--list", TAGS).split()
    assert on_remote[-1] == "prompts/triage@dev/000004" and len(on_remote) == 4


def test_a_rollback_to_the_oldest_deployment_leaves_nothing_earlier(repo: Workspace, run):
    _deploy_three(repo, run)
    assert _rolled_back(run("rollback", "triage", "--env", "dev", "--to", "1", "--json"))[
        "version"
    ] == ("1.0.0")
    again = run("rollback", "triage", "--env", "dev")
    assert again.code == 1
    assert "nothing earlier to roll back to" in again.err, again.err


def test_back_to_what_ran_before_an_older_version_was_promoted(repo: Workspace, run):
    """1.1.0 ran, then 1.0.0 was promoted again (a forward step, by promote): rolling back
    to 1.1.0 goes back along the path, although its version number is higher."""
    _deploy_three(repo, run)
    forced = run(
        "promote", "triage", "--to", "dev", "--version", "1.0.0", "--force", "--reason", "old"
    )
    assert forced.code == 0, forced.err
    done = _rolled_back(run("rollback", "triage", "--env", "dev", "--to", "1.2.0", "--json"))
    assert done["version"] == "1.2.0"


def test_a_release_equal_in_precedence_is_not_newer(repo: Workspace, run):
    """`1.0.0+b` and `1.0.0+a` differ only in build metadata, which semver precedence
    ignores: a rollback to the other one is not a step forward."""
    bump(repo, "triage", "1.0.0+b", ("You triage tickets.", "You sort tickets."))
    commit(repo, "build b")
    assert run("release", "triage").code == 0
    bump(repo, "triage", "1.0.0+a", ("You sort tickets.", "You triage tickets."))
    commit(repo, "build a")
    assert run("promote", "triage", "--to", "dev").code == 0
    done = _rolled_back(run("rollback", "triage", "--env", "dev", "--to", "1.0.0+b", "--json"))
    assert done["version"] == "1.0.0+b"


def test_rollback_with_sign_signs_its_tag(repo: Workspace, run, tmp_path: Path):
    key = tmp_path / "ada"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", str(key)], check=True
    )
    git(repo.root, "config", "gpg.format", "ssh")
    git(repo.root, "config", "user.signingkey", str(key))
    _deploy_three(repo, run)
    done = _rolled_back(run("rollback", "triage", "--env", "dev", "--sign", "--json"))
    assert not _signed(repo, "prompts/triage@dev/000003")
    assert _signed(repo, done["tag"])


def _signed(ws: Workspace, tag: str) -> bool:
    return "-----BEGIN SSH SIGNATURE-----" in git(ws.root, "cat-file", "tag", tag)
