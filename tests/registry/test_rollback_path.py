"""A rollback goes back, never forward: through the real CLI on a real git repository."""

from __future__ import annotations

import json

from tests.conftest import Workspace, bump, commit


def _deploy_three(repo: Workspace, run) -> None:
    run("promote", "triage", "--to", "dev")
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage."))
    commit(repo, "1.1")
    run("promote", "triage", "--to", "dev")
    bump(repo, "triage", "1.2.0", ("You triage.", "Triage!"))
    commit(repo, "1.2")
    assert run("promote", "triage", "--to", "dev").code == 0


def _version(result) -> str:
    assert result.code == 0, result.err
    return str(json.loads(result.out)["version"])


def test_rolling_back_twice_goes_further_back_then_stops(repo: Workspace, run):
    _deploy_three(repo, run)
    assert _version(run("rollback", "triage", "--env", "dev", "--json")) == "1.1.0"
    # the bug: the second rollback re-deployed 1.2.0, the version just rolled back from
    assert _version(run("rollback", "triage", "--env", "dev", "--json")) == "1.0.0"
    third = run("rollback", "triage", "--env", "dev")
    assert third.code == 1
    assert "nothing earlier to roll back to" in third.err
    assert "never forward" in third.err


def test_an_explicit_target_that_was_rolled_back_from_is_refused(repo: Workspace, run):
    _deploy_three(repo, run)
    assert _version(run("rollback", "triage", "--env", "dev", "--json")) == "1.1.0"
    by_seq = run("rollback", "triage", "--env", "dev", "--to", "3")
    assert by_seq.code == 1 and "never forward" in by_seq.err
    assert "promptreg promote triage --to dev --version 1.2.0" in by_seq.err
    by_version = run("rollback", "triage", "--env", "dev", "--to", "1.2.0")
    assert by_version.code == 1 and "was rolled back from" in by_version.err
    # going forward is a promotion; after it, rolling back returns to what ran before it
    assert run("promote", "triage", "--to", "dev", "--version", "1.2.0").code == 0
    assert _version(run("rollback", "triage", "--env", "dev", "--json")) == "1.1.0"


def test_rolling_back_to_an_undeployed_newer_release_is_refused(repo: Workspace, run):
    run("release", "triage")
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage."))
    commit(repo, "1.1")
    run("release", "triage")
    run("promote", "triage", "--to", "dev", "--version", "1.0.0")
    forward = run("rollback", "triage", "--env", "dev", "--to", "1.1.0")
    assert forward.code == 1 and "newer than what dev runs (1.0.0)" in forward.err


def test_history_says_what_the_next_rollback_would_do(repo: Workspace, run):
    _deploy_three(repo, run)
    run("rollback", "triage", "--env", "dev")
    data = json.loads(run("history", "triage", "--json").out)
    assert data["next_rollback"]["dev"]["version"] == "1.0.0"
    assert data["next_rollback"]["dev"]["tag"] == "prompts/triage@dev/000001"
    assert "staging" not in data["next_rollback"]  # never deployed there: no rollback
    text = run("history", "triage", "--env", "dev").out
    assert "next rollback in dev: back to 1.0.0 (as in prompts/triage@dev/000001)" in text
    run("rollback", "triage", "--env", "dev")
    data = json.loads(run("history", "triage", "--env", "dev", "--json").out)
    assert data["next_rollback"] == {"dev": None}
    assert "next rollback in dev: none" in run("history", "triage", "--env", "dev").out
