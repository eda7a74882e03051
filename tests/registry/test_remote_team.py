"""A team on one remote (issue 10 §1): two clones of one bare remote, real git."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Workspace, bump, commit, git


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    return bare


@pytest.fixture
def other(remote: Path, tmp_path: Path) -> Path:
    """A second clone of the remote: a teammate."""
    clone = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    return clone


def _tags(where: Path) -> list[str]:
    return git(where, "tag", "--list", "prompts/*").split()


def _state(remote: Path) -> str:
    return git(remote, "log", "-1", "--format=%B", "refs/promptreg/state")


def test_promote_pushes_by_default_with_the_state_ref(repo: Workspace, remote: Path, run):
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert "pushed to origin" in result.out
    assert _tags(remote) == ["prompts/triage@dev/000001", "prompts/triage@v1.0.0"]
    obj = git(repo.root, "rev-parse", "refs/tags/prompts/triage@dev/000001").strip()
    assert _state(remote).splitlines()[2] == f"triage dev 000001 {obj}"


def test_no_push_keeps_it_local_and_config_can_say_so(repo: Workspace, remote: Path, run):
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    assert _tags(remote) == []
    (repo.root / "promptreg.yaml").write_text("prompts_dir: prompts\npush: false\n")
    assert run("promote", "triage", "--to", "staging").code == 0
    assert _tags(remote) == []
    result = run("promote", "triage", "--to", "dev", "--push", "--no-push")
    assert result.code == 2


def test_promote_push_of_a_local_only_deployment_pushes_it(repo: Workspace, remote: Path, run):
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 0, result.err
    assert "pushed prompts/triage@dev/000001 to origin" in result.err
    assert "prompts/triage@dev/000001" in _tags(remote)
    again = run("promote", "triage", "--to", "dev")
    assert "and origin has it" in again.err


def test_two_clones_colliding_on_a_seq_are_settled_by_sync(
    repo: Workspace, remote: Path, other: Path, run, monkeypatch: pytest.MonkeyPatch
):
    # Bob deploys 1.0.0 to dev and pushes; we deploy a changed 1.1.0 offline: both seq 1.
    monkeypatch.chdir(other)
    assert run("promote", "triage", "--to", "dev").code == 0
    monkeypatch.chdir(repo.root)
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage tickets well."))
    commit(repo, "1.1.0")
    git(repo.root, "push", "-q", "origin", "main")
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    ours = git(repo.root, "rev-parse", "refs/tags/prompts/triage@dev/000001").strip()
    result = run("sync")
    assert result.code == 0, result.err
    assert "re-created prompts/triage@dev/000001 as prompts/triage@dev/000002" in result.out
    # The local tag never moved; the remote runs what we deployed, under the next seq.
    assert git(repo.root, "rev-parse", "refs/tags/prompts/triage@dev/000001").strip() == ours
    assert "prompts/triage@dev/000002" in _tags(remote)
    message = git(remote, "tag", "-l", "--format=%(contents)", "prompts/triage@dev/000002")
    assert f"replaces: prompts/triage@dev/000001 {ours}" in message
    # Bob fetches and runs 1.1.0 through the read model; a second sync has nothing to do.
    monkeypatch.chdir(other)
    git(other, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    shown = json.loads(run("history", "triage", "--env", "dev", "--json").out)
    assert [d["version"] for d in shown["deployments"]] == ["1.1.0", "1.0.0"]
    monkeypatch.chdir(repo.root)
    assert "nothing to push" in run("sync").out


def test_sync_refuses_a_release_that_differs_on_the_remote(
    repo: Workspace, remote: Path, other: Path, run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(other)
    assert run("release").code == 0
    git(other, "push", "-q", "origin", "refs/tags/prompts/triage@v1.0.0")
    monkeypatch.chdir(repo.root)
    (repo.root / "notes.txt").write_text("x")
    commit(repo, "another commit")
    git(repo.root, "tag", "-a", "-m", "hand-made", "prompts/triage@v1.0.0")
    result = run("sync", "--json")
    assert result.code == 1, result.err
    assert [c["tag"] for c in json.loads(result.out)["conflicts"]] == ["prompts/triage@v1.0.0"]


def test_a_remote_that_is_down_is_named_and_nothing_is_half_made(
    repo: Workspace, remote: Path, run
):
    shutil.rmtree(remote)
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 1
    assert "cannot reach remote 'origin'" in result.err
    assert "nothing was deployed" in result.err
    assert "Traceback" not in result.err
    assert not git(repo.root, "tag", "--list", "prompts/triage@dev/*").split()
    # Kept local on purpose, then synced once the remote is back.
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    down = run("sync")
    assert down.code == 1 and "every local tag is kept" in down.err
    git(remote.parent, "init", "-q", "--bare", str(remote))
    git(repo.root, "push", "-q", "origin", "main")
    assert run("sync").code == 0
    assert _tags(remote) == ["prompts/triage@dev/000001", "prompts/triage@v1.0.0"]
    assert "triage dev 000001" in _state(remote)


def test_sync_repairs_a_missing_state_ref(repo: Workspace, remote: Path, run):
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    git(repo.root, "push", "-q", "origin", "refs/tags/prompts/*:refs/tags/prompts/*")
    result = run("sync")
    assert "state ref on origin: created" in result.out
    assert "triage dev 000001" in _state(remote)
    assert run("sync").out.strip().startswith("nothing to push")


def test_status_and_history_mark_local_only_and_newer_on_the_remote(
    repo: Workspace, remote: Path, other: Path, run, monkeypatch: pytest.MonkeyPatch
):
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    history = run("history", "triage", "--env", "dev")
    assert "promote (local only)" in history.out
    status = run("status")
    assert "1.0.0*" in status.out and "runs only in this clone" in status.out
    data = json.loads(run("status", "--json").out)
    assert data["remote"]["local_only"] == ["prompts/triage@dev/000001"]
    assert run("sync").code == 0
    assert "local only" not in run("history", "triage", "--env", "dev").out
    # Bob promotes to staging; we have not fetched it: the remote is newer there.
    monkeypatch.chdir(other)
    git(other, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    assert run("promote", "triage", "--to", "staging").code == 0
    monkeypatch.chdir(repo.root)
    shown = json.loads(run("status", "--json").out)["remote"]
    assert shown["newer_on_remote"] == {"triage@staging": 1}
    assert "origin is newer: triage@staging has deployment 1" in run("status").out
    offline = run("status", "--offline")
    assert "offline: origin not asked" in offline.err


def test_status_with_the_remote_down_shows_this_clone(repo: Workspace, remote: Path, run):
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    shutil.rmtree(remote)
    result = run("status")
    assert result.code == 0
    assert "cannot reach remote 'origin'" in result.err
    assert "1.0.0" in result.out


def test_a_host_that_refuses_the_state_ref_still_takes_the_deployment(
    repo: Workspace, remote: Path, run
):
    hook = remote / "hooks" / "update"
    hook.write_text(
        '#!/bin/sh\ncase "$1" in refs/heads/*|refs/tags/*) exit 0;; esac\n'
        'echo "only branches and tags here" >&2\nexit 1\n'
    )
    hook.chmod(0o755)
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert _tags(remote) == ["prompts/triage@dev/000001", "prompts/triage@v1.0.0"]
    assert "refs/promptreg/state" not in git(remote, "for-each-ref")


@pytest.mark.parametrize("transport", ["file", "git", "http"])
def test_promote_and_sync_over_each_transport(
    repo: Workspace, remote: Path, tmp_path: Path, run, transport: str
):
    from tests.remote_servers import GitDaemon, HttpBackend

    server: GitDaemon | HttpBackend | None = None
    if transport == "file":
        url = remote.as_uri()
    elif transport == "git":
        server = GitDaemon(tmp_path)
        url = server.url("remote.git")
    else:
        server = HttpBackend(tmp_path)
        url = server.url("remote.git")
    try:
        git(repo.root, "remote", "set-url", "origin", url)
        assert run("promote", "triage", "--to", "dev").code == 0
        assert run("promote", "triage", "--to", "staging", "--no-push").code == 0
        assert "pushed prompts/triage@staging/000001" in run("sync").out
        assert "triage staging 000001" in _state(remote)
        assert _tags(remote) == [
            "prompts/triage@dev/000001",
            "prompts/triage@staging/000001",
            "prompts/triage@v1.0.0",
        ]
    finally:
        if server is not None:
            server.stop()
    if server is not None:  # stopped: the remote is down
        result = run("promote", "triage", "--to", "prod")
        assert result.code == 1 and "cannot reach remote 'origin'" in result.err


def test_a_recreated_deployment_steps_over_a_name_a_stray_local_tag_took(
    repo: Workspace, remote: Path, other: Path, run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(other)
    assert run("promote", "triage", "--to", "dev").code == 0
    monkeypatch.chdir(repo.root)
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage tickets well."))
    commit(repo, "1.1.0")
    git(repo.root, "push", "-q", "origin", "main")
    assert run("promote", "triage", "--to", "dev", "--no-push").code == 0
    git(repo.root, "tag", "prompts/triage@dev/000002")  # lightweight: does not count
    result = run("sync", "--json")
    assert result.code == 1  # the stray tag stays unpushed, and says why
    data = json.loads(result.out)
    assert data["settled"] == [
        {"tag": "prompts/triage@dev/000001", "recreated_as": "prompts/triage@dev/000003"}
    ]
    assert [s["tag"] for s in data["skipped"]] == ["prompts/triage@dev/000002"]
    assert "prompts/triage@dev/000003" in _tags(remote)


def test_a_batch_promotion_that_loses_a_race_retries_with_the_state_ref(
    repo: Workspace, remote: Path, run
):
    """The remote's pre-receive hook plays a racer: on the first push it takes
    prompts/triage@dev/000001 itself (after promote fetched), so the atomic push of the batch
    and the state ref is rejected; promote fetches and lands both on the next seqs."""
    repo.prompt("other")
    commit(repo, "another prompt")
    git(repo.root, "push", "-q", "origin", "main")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "cat > /dev/null\n"
        'if [ ! -f "$GIT_DIR/raced" ]; then\n'
        '  touch "$GIT_DIR/raced"\n'
        "  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        "  git update-ref refs/tags/prompts/triage@dev/000001 refs/heads/main\n"
        "fi\n"
    )
    hook.chmod(0o755)
    result = run("promote", "triage", "other", "--to", "dev", "--json")
    assert result.code == 0, result.err
    done = {p["name"]: p for p in json.loads(result.out)["promoted"]}
    assert done["triage"]["tag"] == "prompts/triage@dev/000002"  # stepped over the racer's
    assert done["triage"]["attempts"] == done["other"]["attempts"] == 2
    state = _state(remote)
    assert "triage dev 000002" in state and "other dev 000001" in state
