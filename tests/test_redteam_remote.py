"""Red-team attacks on the shared remote: a remote argument never becomes a git option."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from promptreg.errors import UsageError
from promptreg.registry.gitstore import GitStore
from promptreg.registry.remote import choose_remote, fetch, ls_remote
from tests.conftest import Result, Workspace, git


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    return bare


def _hostile(tmp_path: Path) -> tuple[str, Path]:
    flag = tmp_path / "pwned"
    return f"--upload-pack=touch {flag};", flag


@pytest.mark.parametrize(
    "argv",
    [
        ("sync", "--", "{remote}"),
        ("sync", "--dry-run", "--", "{remote}"),
    ],
)
def test_a_remote_named_like_an_option_runs_nothing(
    repo: Workspace,
    remote: Path,
    tmp_path: Path,
    run: Callable[..., Result],
    argv: tuple[str, ...],
) -> None:
    """`promptreg sync -- '--upload-pack=touch x;'` ran `touch x` (git read the remote as an
    option)."""
    hostile, flag = _hostile(tmp_path)
    result = run(*(a.format(remote=hostile) for a in argv))
    assert not flag.exists()
    assert result.code in (1, 2) and "is not a remote name or URL" in result.err
    assert git(repo.root, "tag", "--list", "prompts/triage@dev/*") == ""


@pytest.mark.parametrize("bad", ["--upload-pack=x", "-o", "", "a\nb", "a\0b"])
def test_every_network_call_of_the_store_checks_its_remote(repo: Workspace, bad: str) -> None:
    store = GitStore(repo.root)
    try:
        with pytest.raises(UsageError):
            choose_remote(store, explicit=bad, no_push=False, configured=None, push_default=True)
        with pytest.raises(UsageError):
            fetch(store, bad, ["refs/tags/prompts/*:refs/tags/prompts/*"])
        with pytest.raises(UsageError):
            ls_remote(store, bad, ["refs/tags/prompts/"])
        with pytest.raises(UsageError):
            store.fetch_tag_patterns(bad, ["prompts/*"])
        with pytest.raises(UsageError):
            store.push(bad, ["refs/heads/main"])
    finally:
        store.close()
