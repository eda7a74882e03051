"""How `promote` creates a deployment's tag (tagging.py), as its user sees it: which seq it
takes next to the largest one and next to names taken by stray refs, what it does when
another promoter creates the same tag in the same moment (here, or after our push), and
that it refuses to publish a tag that would not count."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import promptreg.registry.tagging as tagging
from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from promptreg.registry.state_ref import read_state
from promptreg.registry.tags import MAX_SEQ
from tests.conftest import VALID_PROMPT, Workspace, commit, git

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")
DEV = "prompts/triage@dev/"


@pytest.fixture
def deployed(repo: Workspace, run) -> Workspace:
    """triage 1.0.0 deployed to dev (seq 1)."""
    assert run("promote", "triage", "--to", "dev").code == 0
    return repo


def head(ws: Workspace) -> str:
    return git(ws.root, "rev-parse", "HEAD").strip()


def copy_of_first(ws: Workspace, seq: int) -> None:
    """A valid deployment at `seq`: the first one's message on its commit, as a real
    annotated tag (its `previous` does not matter to the read model)."""
    message = git(ws.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{DEV}000001")
    with GitStore(ws.root) as store:
        store.create_tag(f"{DEV}{seq:06d}", head(ws), message)


def dev_tag(ws: Workspace) -> str:
    with Registry(ws.root) as reg:
        return reg.get("triage@dev").deployment.tag


def test_the_largest_seq_is_taken_when_it_is_the_next(deployed: Workspace, run):
    copy_of_first(deployed, MAX_SEQ - 1)
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert dev_tag(deployed) == f"{DEV}{MAX_SEQ}"


def test_above_the_largest_seq_promote_says_none_is_left(deployed: Workspace, run):
    copy_of_first(deployed, MAX_SEQ)
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 1
    assert result.err.strip() == (
        f"promptreg: error: no deployment seq is left above {MAX_SEQ}: seqs have at most "
        f"{len(str(MAX_SEQ))} digits (see `promptreg history` for the tags up there)"
    )


def test_a_seq_with_refs_nested_under_its_name_is_skipped(deployed: Workspace, run):
    """git cannot create `.../000002` where refs `.../000002/x/y` are: promote takes 3."""
    git(deployed.root, "tag", f"{DEV}000002/x/y", head(deployed))
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    assert run("promote", "triage", "--to", "dev").code == 0
    assert dev_tag(deployed) == f"{DEV}000003"


def _racing(
    monkeypatch: pytest.MonkeyPatch, ws: Workspace, racer: Callable[[str, str], None]
) -> list[str]:
    """Another promoter that, the first time promote has made its tag object, creates a tag
    of the same name first (`racer(tag, our_object)`), as a second `promptreg promote`
    running at the same moment would."""
    real = tagging.refuse_unless_it_counts
    raced: list[str] = []

    def judge_then_race(registry: Registry, tag: str, obj: str) -> None:
        real(registry, tag, obj)
        if not raced:
            racer(tag, obj)
            raced.append(tag)

    monkeypatch.setattr(tagging, "refuse_unless_it_counts", judge_then_race)
    return raced


def _their_deployment(ws: Workspace) -> Callable[[str, str], None]:
    """The racer deploys the same commit under that name, with the message we would write."""

    def racer(tag: str, obj: str) -> None:
        message = git(ws.root, "cat-file", "tag", obj).split("\n\n", 1)[1]
        with GitStore(ws.root) as store:
            store.create_tag(tag, head(ws), message)

    return racer


def test_a_seq_taken_meanwhile_here_is_stepped_over(
    deployed: Workspace, run, monkeypatch: pytest.MonkeyPatch
):
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    raced = _racing(monkeypatch, deployed, _their_deployment(deployed))
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 0, result.err
    assert raced == [f"{DEV}000002"]
    assert dev_tag(deployed) == f"{DEV}000003"
    message = git(deployed.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{DEV}000003")
    assert f"previous: {DEV}000002" in message  # re-read: it follows the racer's deployment


def test_a_local_tag_appearing_after_our_push_is_reported(
    deployed: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Pushed first: the remote has our tag. A different local tag of that name, made in
    between, is not overwritten and not taken for ours: promote says what to do."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(deployed.root, "remote", "add", "origin", str(bare))
    git(deployed.root, "push", "-q", "origin", "main", f"{DEV}000001")
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    _racing(monkeypatch, deployed, _their_deployment(deployed))
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 1
    tag = f"{DEV}000002"
    assert result.err.strip() == (
        f"promptreg: error: pushed {tag} to origin, but a different local tag of that name "
        "appeared meanwhile; run `git fetch --tags` and check `promptreg history`"
    )
    assert git(bare, "tag", "--list", tag).strip() == tag


def test_a_tag_signed_by_a_key_not_allowed_is_never_published(repo: Workspace, run, tmp_path: Path):
    keys = {}
    for who in ("ada", "eve"):
        key = tmp_path / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(key)],
            check=True,
        )
        keys[who] = key
    public = keys["ada"].with_suffix(".pub").read_text(encoding="utf-8").strip()
    repo.write(".promptreg/allowed_signers", f'ada@example.com namespaces="git" {public}\n')
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nsigning:\n  environments: [dev]\n"
        "  allowed_signers: .promptreg/allowed_signers\n",
    )
    commit(repo, "dev deployments must be signed by ada")
    git(repo.root, "config", "gpg.format", "ssh")
    git(repo.root, "config", "user.signingkey", str(keys["eve"]))
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 1
    error = result.err.strip()
    assert error.startswith(f"promptreg: error: {DEV}000001 would not count as a deployment (")
    assert error.endswith("); nothing was created")
    assert git(repo.root, "tag", "--list", f"{DEV}*") == ""


def test_a_state_ref_moved_meanwhile_is_built_on_not_overwritten(
    repo: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A teammate's `promote --push` of another prompt moves the remote's state ref between
    our fetch and our push: our push (with its lease) is refused on the state ref alone, the
    seq we chose stays free, and the retry adds our deployment to the teammate's state."""
    repo.prompt("other")
    commit(repo, "a second prompt")
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(bare), str(teammate))

    def racer(tag: str, obj: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "promptreg", "promote", "other", "--to", "dev", "--push"],
            cwd=teammate,
            check=True,
            capture_output=True,
        )

    raced = _racing(monkeypatch, repo, racer)
    result = run("promote", "triage", "--to", "dev", "--push", "--json")
    assert result.code == 0, result.err
    assert raced == [f"{DEV}000001"]
    assert json.loads(result.out)["tag"] == f"{DEV}000001"  # the seq was free: kept
    with GitStore(bare) as remote:
        found = read_state(remote)
        assert found is not None
        state = found[1]
        tags = {ref: obj for ref, obj, _ in remote.ref_objects("prompts/")}
    assert sorted(state) == [("other", "dev"), ("triage", "dev")]
    for entry in state.values():
        assert entry.seq == 1 and tags[entry.tag] == entry.object


def test_a_seq_the_remote_refuses_again_and_again_is_no_race(repo: Workspace, run, tmp_path: Path):
    """The remote has `prompts/triage@dev/000001` but hides it from fetches: the push is
    rejected as if raced, the fetch brings nothing, and the next seq is the same. Not a race to
    retry: one error naming the tag, git's words and where to look."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    git(bare, "config", "uploadpack.hideRefs", "refs/tags/prompts/")
    git(bare, "update-ref", "refs/tags/prompts/triage@dev/000001", "refs/heads/main")
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 1, result.err
    said = "cannot create prompts/triage@dev/000001, yet no tag of that name is listed ("
    assert said in result.err and "already exists" in result.err, result.err
    assert "check `git for-each-ref refs/tags/prompts/` and `promptreg verify`" in result.err
