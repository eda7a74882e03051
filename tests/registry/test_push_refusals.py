"""A push the remote refuses: `promote --push` says which tag could not be created and git's
own reason, at once (a refusal that is not a race is not retried); a remote
that takes every seq first (a promoter racing us each time) is given up on after a bounded
number of attempts."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptreg.registry.tagging import MAX_ATTEMPTS
from tests.conftest import Workspace, git


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    return bare


def _hook(remote: Path, body: str) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text('#!/bin/sh\necho push >> "$GIT_DIR/pushes"\n' + body, encoding="utf-8")
    hook.chmod(0o755)


def _pushes(remote: Path) -> int:
    return len((remote / "pushes").read_text(encoding="utf-8").splitlines())


def test_a_refused_push_names_the_tag_and_git_s_reason(repo: Workspace, remote: Path, run):
    _hook(remote, 'cat > /dev/null\necho "deployments are frozen" >&2\nexit 1\n')
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 1
    error = result.err.strip()
    # Not a race, so not retried: git's own lines, the hook's words among them (issue 8 §5).
    assert error.startswith(
        "promptreg: error: origin refused the push (not a race: nothing is retried):"
    ), error
    assert "remote: deployments are frozen" in error
    assert "prompts/triage@dev/000001 (pre-receive hook declined)" in error
    assert _pushes(remote) == 2  # and once more without the state ref (a host refusing it)
    assert git(repo.root, "tag", "--list", "prompts/triage@dev/*") == ""


def test_a_remote_that_wins_every_race_is_given_up_on(repo: Workspace, remote: Path, run):
    """Each push is beaten by a deployment of the same seq made on the remote (the pushed
    tag's own message, tagged by someone else): promote fetches it, takes the next seq, and
    stops after MAX_ATTEMPTS pushes."""
    _hook(
        remote,
        "read old new ref\n"
        "cat > /dev/null\n"
        'msg=$(git cat-file tag "$new" | sed "1,/^$/d")\n'
        'commit=$(git cat-file tag "$new" | sed -n "s/^object //p")\n'
        "unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        'obj=$(printf "object %s\\ntype commit\\ntag %s\\ntagger Bob <bob@example.com> '
        '1700000000 +0000\\n\\n%s\\n" "$commit" "${ref#refs/tags/}" "$msg" | git mktag)\n'
        'git update-ref "$ref" "$obj"\n',
    )
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 1
    assert f"gave up after {MAX_ATTEMPTS} attempts: dev keeps changing under us" in result.err
    assert _pushes(remote) == MAX_ATTEMPTS
    taken = git(remote, "tag", "--list", "prompts/triage@dev/*").split()
    assert taken == [f"prompts/triage@dev/{seq:06d}" for seq in range(1, MAX_ATTEMPTS + 1)]
