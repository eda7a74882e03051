"""Red-team cases for pushes the remote refuses (issue 8 §5: "a process that fails does not
blame a race that does not exist"): a bulk `promote --push` whose push a pre-receive hook
declined was retried 25 times and said the remote "keeps changing under us". Every retry
loop (single and bulk promote, rollback, sync) retries only a real race (a ref of ours that
moved on the remote) and otherwise stops at once with git's own refusal text. The remotes are
real: a bare repository with hooks, also served by `git daemon` on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from promptreg.registry.remote import lost_a_race
from tests.conftest import Workspace, commit, git
from tests.remote_servers import GitDaemon


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    repo.prompt("other")
    commit(repo, "another prompt")
    git(repo.root, "push", "-q", "origin", "main")
    return bare


def _hook(remote: Path, name: str, body: str) -> Path:
    """A hook that counts its runs in `$GIT_DIR/runs` and then does `body`."""
    hook = remote / "hooks" / name
    hook.write_text('#!/bin/sh\necho run >> "$GIT_DIR/runs"\n' + body)
    hook.chmod(0o755)
    return remote / "runs"


def _runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


DECLINE = 'cat > /dev/null\necho "deploys are frozen until Monday" >&2\nexit 1\n'
# A protected namespace: the update hook refuses deployment tags one by one.
PROTECT = (
    'case "$1" in refs/tags/prompts/*@dev/*) echo "protected: $1" >&2; exit 1;; esac\nexit 0\n'
)

COMMANDS = {
    "bulk": ("promote", "triage", "other", "--to", "dev"),
    "all": ("promote", "--all", "--to", "dev"),
    "single": ("promote", "triage", "--to", "dev"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("hook", "body", "said"),
    [
        ("pre-receive", DECLINE, "deploys are frozen until Monday"),
        ("update", PROTECT, "protected: refs/tags/prompts/"),
    ],
)
def test_a_push_the_remote_refuses_is_not_retried(
    repo: Workspace, remote: Path, run, command: str, hook: str, body: str, said: str
):
    runs = _hook(remote, hook, body)
    started = time.monotonic()
    result = run(*COMMANDS[command])
    assert result.code == 1
    assert "keeps changing" not in result.err and "gave up after" not in result.err
    assert "refused the push (not a race" in result.err
    assert said in result.err  # the hook's own words, as git relayed them
    assert "hook declined" in result.err
    # At most one more push: the one without the state ref, for a host that refuses only it.
    assert _runs(runs) <= (2 if hook == "pre-receive" else 6)
    assert time.monotonic() - started < 10
    assert git(remote, "tag", "--list", "prompts/*@dev/*") == ""
    assert git(repo.root, "tag", "--list", "prompts/*@dev/*") == ""  # nothing half made


def test_a_lock_left_on_the_server_is_not_a_race(repo: Workspace, remote: Path, run):
    # The remote's ref transaction cannot lock the tag ("File exists"): a dead process's
    # lock, which no retry clears. Once blamed on a race, 25 times over.
    lock = remote / "refs" / "tags" / "prompts" / "triage@dev" / "000001.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")
    result = run("promote", "triage", "other", "--to", "dev")
    assert result.code == 1 and "keeps changing" not in result.err
    assert "not a race" in result.err and "000001.lock" in result.err


def test_sync_of_a_refused_push_stops_at_once(repo: Workspace, remote: Path, run):
    assert run("promote", "triage", "other", "--to", "dev", "--no-push").code == 0
    runs = _hook(remote, "pre-receive", DECLINE)
    result = run("sync")
    assert result.code == 1 and "keeps changing" not in result.err
    assert "deploys are frozen until Monday" in result.err and _runs(runs) <= 2


def test_rollback_of_a_refused_push_stops_at_once(repo: Workspace, remote: Path, run):
    from tests.conftest import bump

    assert run("promote", "triage", "--to", "dev").code == 0
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage tickets well."))
    commit(repo, "1.1.0")
    git(repo.root, "push", "-q", "origin", "main")
    assert run("promote", "triage", "--to", "dev").code == 0
    runs = _hook(remote, "pre-receive", DECLINE)
    result = run("rollback", "triage", "--env", "dev")
    assert result.code == 1 and "keeps changing" not in result.err
    assert "deploys are frozen until Monday" in result.err and _runs(runs) <= 2


def test_a_refusal_over_git_daemon_on_loopback(repo: Workspace, remote: Path, tmp_path: Path, run):
    runs = _hook(remote, "pre-receive", DECLINE)
    daemon = GitDaemon(tmp_path)
    try:
        git(repo.root, "remote", "set-url", "origin", daemon.url("remote.git"))
        result = run("promote", "triage", "other", "--to", "dev")
    finally:
        daemon.stop()
    assert result.code == 1 and "keeps changing" not in result.err
    assert "deploys are frozen until Monday" in result.err and _runs(runs) <= 2


def test_a_real_race_is_still_retried(repo: Workspace, remote: Path, run):
    # The pre-receive hook plays a racer once: it takes triage@dev/000001 itself.
    _hook(
        remote,
        "pre-receive",
        "cat > /dev/null\n"
        'if [ ! -f "$GIT_DIR/raced" ]; then\n'
        '  touch "$GIT_DIR/raced"\n'
        "  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        "  git update-ref refs/tags/prompts/triage@dev/000001 refs/heads/main\n"
        "fi\n",
    )
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert "prompts/triage@dev/000002" in git(remote, "tag", "--list", "prompts/*")


@pytest.mark.parametrize(
    ("stderr", "race"),
    [
        (" ! [rejected]        a -> prompts/t@dev/000001 (already exists)", True),
        (" ! [rejected]        a -> refs/promptreg/state (stale info)", True),
        (" ! [rejected]        main -> main (fetch first)", True),
        (" ! [remote rejected] a -> b (pre-receive hook declined)", False),
        (" ! [remote rejected] a -> b (hook declined)", False),
        (" ! [remote rejected] a -> b (deny updating a hidden ref)", False),
        (" ! [remote rejected] a -> b (atomic transaction failed)", False),
        (" ! [rejected] a -> b (atomic push failed)", False),
        (
            "remote: error: cannot lock ref 'refs/tags/x': reference already exists\n"
            " ! [remote rejected] a -> b (atomic transaction failed)",
            True,
        ),
        (
            "remote: error: cannot lock ref 'refs/tags/x': Unable to create '/r/x.lock': File "
            "exists.\n ! [remote rejected] a -> b (atomic transaction failed)",
            False,
        ),
        ("error: failed to push some refs to 'x'", False),
        ("", False),
        # a hook cannot pass its refusal off as a race by printing git's words in its text:
        (
            "remote: ! [rejected] (already exists)\n ! [remote rejected] a -> b (hook declined)",
            False,
        ),
    ],
)
def test_which_rejections_are_races(stderr: str, race: bool):
    assert lost_a_race(stderr) is race


def test_the_same_push_rejected_twice_is_not_a_race(repo: Workspace, remote: Path, run):
    """A remote that has the tag but hides it from fetches: the push is rejected as if raced
    ("already exists"), the fetch brings nothing, and the next attempt would push the very same
    names. That is no race to retry 25 times: it stops at the second rejection, with git's words."""
    git(remote, "config", "uploadpack.hideRefs", "refs/tags/prompts/")
    git(remote, "update-ref", "refs/tags/prompts/triage@dev/000001", "refs/heads/main")
    result = run("promote", "triage", "other", "--to", "dev")
    assert result.code == 1, result.err
    assert "rejected it twice" in result.err and "already exists" in result.err, result.err
    assert not git(repo.root, "tag", "--list", "prompts/*@dev/*").strip()  # nothing made here
