"""Red-team cases for the bytes of tag messages one read holds (issue 8 §5, bounded work):
each tag object was capped (64 KB) but not all of them together, so `get_all`, `status` and
`history` of a repository where someone pushed many big tags held them all at once. The tag
objects of one read are now held to `catfile.MAX_TAGS_TOTAL_BYTES` together; over it, a
`GitError` (exit 1) that says so, never a traceback. Real git repositories; the limit is set
small here so that a few tags reach it."""

from __future__ import annotations

import pytest

from promptreg.errors import GitError, PromptregError
from promptreg.registry import Registry, catfile
from tests.conftest import Workspace, git

PADDING = "x" * 3000


@pytest.fixture
def tagged(repo: Workspace) -> Workspace:
    """Three deployments to dev, and thirty hand-made annotated tags of 3 KB messages under
    the prompt's deployment namespace (pushed by anyone: they do not count, but are read)."""
    for _ in range(3):
        git(repo.root, "tag", "-a", "-m", "junk", "tmp")
        git(repo.root, "tag", "-d", "tmp")
    for env in ("dev",):
        assert _promote(repo, env)
    for i in range(30):
        git(repo.root, "tag", "-a", "-m", f"{i} {PADDING}", f"prompts/triage@dev/{i + 100:06d}")
    return repo


def _promote(ws: Workspace, env: str) -> bool:
    from promptreg.cli import main

    return main(["promote", "triage", "--to", env, "--no-push"]) == 0


def test_the_tags_of_one_read_are_bounded_together(
    tagged: Workspace, run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", 32 * 1024)  # ~10 of those tags
    with pytest.raises(GitError, match="the tags read hold more than"):
        Registry(tagged.root).get_all("dev")
    for args in (("status", "--offline"), ("history", "triage", "--offline")):
        result = run(*args)
        assert result.code == 1, result.err
        assert "the tags read hold more than" in result.err
        assert "internal error" not in result.err and "Traceback" not in result.err


def test_within_the_bound_the_same_reads_work(
    tagged: Workspace, run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", 1024 * 1024)
    assert set(Registry(tagged.root).get_all("dev")) == {"triage"}
    assert run("status", "--offline").code == 0
    assert run("history", "triage", "--offline").code == 0


def test_the_reader_still_works_after_refusing(tagged: Workspace, monkeypatch: pytest.MonkeyPatch):
    # Refusing stops the shared `git cat-file` process mid-answer; the next read starts one.
    registry = Registry(tagged.root)
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", 32 * 1024)
    with pytest.raises(PromptregError):
        registry.get_all("dev")
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", 1024 * 1024)
    assert Registry(tagged.root).get("triage@dev").version == "1.0.0"


def test_the_default_bound(monkeypatch: pytest.MonkeyPatch):
    assert catfile.MAX_TAGS_TOTAL_BYTES == 128 * 1024 * 1024
    assert catfile.MAX_TAG_BYTES == 64 * 1024


def test_the_bound_is_the_bytes_read_exactly(tagged: Workspace, monkeypatch: pytest.MonkeyPatch):
    """Reading exactly the limit is within it; one byte less is over. The bytes are those of
    the tag objects of the environment read (the deployments and the hand-made tags)."""
    listed = git(
        tagged.root,
        "for-each-ref",
        "--format=%(objecttype) %(objectsize)",
        "refs/tags/prompts/*@dev/*",
    )
    total = sum(
        int(size) for kind, size in (line.split() for line in listed.splitlines()) if kind == "tag"
    )
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", total)
    assert set(Registry(tagged.root).get_all("dev")) == {"triage"}
    monkeypatch.setattr(catfile, "MAX_TAGS_TOTAL_BYTES", total - 1)
    with pytest.raises(GitError, match="the tags read hold more than"):
        Registry(tagged.root).get_all("dev")
