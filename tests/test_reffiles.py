"""Refs read from git's files (reffiles.py) are exactly what `git for-each-ref` lists, or None.

The first `get` of an application lists its prompt's deployment tags without a git process.
That listing decides which tag an environment runs, so it is compared with git's own on
real repositories: packed and loose refs mixed, a loose ref overriding a packed one, peeled
lines, deletions; and every case the reader does not vouch for (a ref being written, a
symbolic ref, a worktree, a reftable repository, ...) must answer None, so that git is asked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.registry.gitstore import GitStore
from promptreg.registry.reffiles import MAX_REFS, refs_from_files
from tests.conftest import Workspace, commit, git

DIR = "prompts/triage@prod/"
PATTERNS = [DIR, "prompts/triage@dev/"]


def by_git(root: Path, patterns: list[str]) -> list[tuple[str, str, str]]:
    out = git(
        root,
        "for-each-ref",
        "--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)",
        *(f"refs/tags/{p}" for p in patterns),
    )
    return [tuple(line.split("\0")) for line in out.splitlines() if line]  # type: ignore[misc]


def by_files(root: Path, patterns: list[str]) -> list[tuple[str, str, str]] | None:
    with GitStore(root) as store:
        return refs_from_files(store.git_dir, store.common_dir, patterns, store.object_types)


def tag(root: Path, name: str, *, annotated: bool = True, target: str = "HEAD") -> None:
    if annotated:
        git(root, "tag", "-a", "-m", f"message of {name}", name, target)
    else:
        git(root, "tag", name, target)


def test_packed_and_loose_refs_mixed_are_listed_as_git_lists_them(repo: Workspace):
    root = repo.root
    for seq in range(1, 4):
        tag(root, f"{DIR}{seq:06d}")
    tag(root, f"{DIR}000004", annotated=False)  # a lightweight tag: type commit
    tag(root, "prompts/triage@dev/000001")
    git(root, "pack-refs", "--all")
    tag(root, f"{DIR}000005")  # loose, beside the packed ones
    repo.write("prompts/triage.prompt", repo.prompts.joinpath("triage.prompt").read_text() + "x")
    second = commit(repo, "second")
    git(root, "tag", "-f", "-a", "-m", "moved", f"{DIR}000002", second)  # loose overrides packed
    git(root, "tag", "-d", f"{DIR}000003")  # deleted from packed-refs
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    git(root, "update-ref", f"refs/tags/{DIR}000006", tree)  # points at a tree
    packed = (root / ".git" / "packed-refs").read_text()
    assert f"refs/tags/{DIR}000001\n^" in packed  # peeled lines are there to be skipped
    expected = by_git(root, PATTERNS)
    assert [kind for *_, kind in expected] == ["tag", "tag", "tag", "commit", "tag", "tree"]
    assert by_files(root, PATTERNS) == expected
    assert by_files(root, [DIR]) == by_git(root, [DIR])
    assert by_files(root, ["prompts/nobody@prod/"]) == [] == by_git(root, ["prompts/nobody@prod/"])


_OPS = st.lists(
    st.tuples(st.sampled_from(["annotated", "light", "pack", "delete", "move"]), st.integers(1, 4)),
    min_size=1,
    max_size=8,
)


@given(_OPS)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_history_of_tag_writes_and_packs_reads_as_git_reads_it(repo: Workspace, ops):
    root = repo.root
    for ref in by_git(root, [DIR]):
        git(root, "update-ref", "-d", f"refs/tags/{ref[0]}")
    for op, seq in ops:
        name = f"{DIR}{seq:06d}"
        exists = any(r[0] == name for r in by_git(root, [DIR]))
        if op == "pack":
            git(root, "pack-refs", "--all", "--prune")
        elif op == "delete" and exists:
            git(root, "tag", "-d", name)
        elif op == "move" and exists:
            git(root, "tag", "-f", "-a", "-m", f"moved {seq}", name, "HEAD")
        elif op in ("annotated", "light") and not exists:
            tag(root, name, annotated=op == "annotated")
        listed = by_files(root, [DIR])
        assert listed is not None  # a plain repository: the reader must answer
        assert listed == by_git(root, [DIR])


def write_loose(root: Path, name: str, content: bytes) -> None:
    path = root / ".git" / "refs" / "tags" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda r: write_loose(r, f"{DIR}000002.lock", b""), id="a ref being written"),
        pytest.param(lambda r: (r / ".git" / "packed-refs.lock").write_bytes(b""), id="packing"),
        pytest.param(
            lambda r: git(r, "symbolic-ref", f"refs/tags/{DIR}000002", f"refs/tags/{DIR}000001"),
            id="a symbolic ref",
        ),
        pytest.param(
            lambda r: os.symlink("000001", r / ".git" / "refs" / "tags" / DIR / "000002"),
            id="a symlink",
        ),
        pytest.param(lambda r: tag(r, f"{DIR}000002/nested"), id="a ref nested deeper"),
        pytest.param(
            lambda r: write_loose(r, f"{DIR}000002", head(r).encode() + b" trailing\n"),
            id="content that is not one object id",
        ),
        pytest.param(lambda r: write_loose(r, f"{DIR}000002", b"0" * 40 + b"\n"), id="missing"),
        pytest.param(lambda r: write_loose(r, f"{DIR}.hidden", b"x\n"), id="a name git refuses"),
        pytest.param(lambda r: (r / ".git" / "reftable").mkdir(), id="reftable"),
        pytest.param(
            lambda r: git(r, "config", "extensions.worktreeConfig", "true"), id="extensions"
        ),
        pytest.param(lambda r: (r / ".git" / "hEAD").write_bytes(b""), id="case-insensitive"),
    ],
)
def test_what_the_reader_does_not_vouch_for_is_left_to_git(repo: Workspace, make):
    tag(repo.root, f"{DIR}000001")
    assert by_files(repo.root, [DIR]) == by_git(repo.root, [DIR])  # before: it answers
    make(repo.root)
    assert by_files(repo.root, [DIR]) is None


def test_a_packed_line_git_did_not_write_is_left_to_git(repo: Workspace):
    tag(repo.root, f"{DIR}000001")
    git(repo.root, "pack-refs", "--all")
    packed = repo.root / ".git" / "packed-refs"
    text = packed.read_text()
    packed.write_text(text.replace(f" refs/tags/{DIR}000001", f"  refs/tags/{DIR}000001"))
    assert by_files(repo.root, [DIR]) is None


def test_a_linked_worktree_is_left_to_git(repo: Workspace, tmp_path: Path):
    tag(repo.root, f"{DIR}000001")
    other = tmp_path / "other"
    git(repo.root, "worktree", "add", "-q", "--detach", str(other))
    assert by_files(other, [DIR]) is None
    with GitStore(other) as store:  # and the store's listing is git's
        assert store.ref_objects(DIR) == by_git(repo.root, [DIR])


def test_many_refs_and_globs_are_left_to_git(repo: Workspace):
    for seq in range(1, MAX_REFS + 2):
        write_loose(repo.root, f"{DIR}{seq:06d}", head(repo.root).encode() + b"\n")
    assert by_files(repo.root, [DIR]) is None
    assert by_files(repo.root, ["prompts/triage@*/"]) is None
    assert by_files(repo.root, ["prompts/"]) is None  # directories below: not a leaf
    with GitStore(repo.root) as store:
        assert store.ref_objects(DIR) == by_git(repo.root, [DIR])
