"""The persistent `git cat-file --batch` reader on the paths a small read never takes: a request
bigger than a pipe buffer (written by a second thread while the answers are read), objects
bigger than one, and a process that dies between reads. Checked against `git cat-file`."""

from __future__ import annotations

import os
import subprocess

import pytest

from promptreg.errors import GitError
from promptreg.registry.catfile import _PIPE_SAFE, BatchReader
from promptreg.registry.gitstore import GitStore
from promptreg.repository import git_env
from tests.conftest import Workspace, commit, git

BIG = 3 * 1024 * 1024  # far past a 64 KiB pipe buffer, both ways


@pytest.fixture
def many(repo: Workspace) -> Workspace:
    """300 small files and one big one, committed."""
    for n in range(300):
        repo.write(f"data/f{n:03}.txt", f"file {n}\n" * (n % 7 + 1))
    repo.write("data/big.bin", os.urandom(BIG))
    commit(repo, "many files")
    return repo


def _git_cat(repo: Workspace, spec: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", spec], cwd=repo.root, capture_output=True, check=True
    ).stdout


def test_a_request_bigger_than_the_pipe_buffer_reads_every_object(many: Workspace):
    head = git(many.root, "rev-parse", "HEAD").strip()
    specs = [f"{head}:data/f{n:03}.txt" for n in range(300)] + [f"{head}:data/nope.txt"]
    assert len("".join(s + "\n" for s in specs).encode()) > _PIPE_SAFE  # the threaded path
    reader = BatchReader(many.root, git_env())
    try:
        found = reader.read_typed(specs)
    finally:
        reader.close()
    assert found[-1] is None  # missing, in its place
    assert [f[0] if f else None for f in found[:-1]] == ["blob"] * 300
    assert [f[1] for f in found[:3] if f] == [_git_cat(many, s) for s in specs[:3]]
    assert found[299] == ("blob", _git_cat(many, specs[299]))


def test_objects_bigger_than_the_pipe_buffer_come_whole_between_small_ones(many: Workspace):
    head = git(many.root, "rev-parse", "HEAD").strip()
    specs = [f"{head}:data/f000.txt", f"{head}:data/big.bin", f"{head}:data/f001.txt"] * 3
    with GitStore(many.root) as store:
        blobs = store.read_blobs(specs)
        big = _git_cat(many, f"{head}:data/big.bin")
        assert len(big) == BIG
        assert blobs[1] == blobs[4] == blobs[7] == big
        assert blobs[0] == _git_cat(many, specs[0]) and blobs[2] == _git_cat(many, specs[2])
        assert store.object_types([f"{head}:data", head]) == ["tree", "commit"]


def test_a_name_that_would_inject_a_request_is_refused_and_the_process_lives_on(
    many: Workspace,
):
    head = git(many.root, "rev-parse", "HEAD").strip()
    with GitStore(many.root) as store:
        assert store.read(head, "data/f000.txt") == b"file 0\n"
        for bad in (f"{head}:data/f000.txt\n{head}", f"{head}:../x", f"{head}:./data/f000.txt"):
            with pytest.raises(GitError, match="invalid object name"):
                store.read_objects([f"{head}:data/f001.txt", bad])
        assert store.read(head, "data/f001.txt") == b"file 1\n" * 2


def test_a_batch_process_that_died_is_replaced_on_the_next_read(many: Workspace):
    head = git(many.root, "rev-parse", "HEAD").strip()
    reader = BatchReader(many.root, git_env())
    try:
        assert reader.read_typed([f"{head}:data/f000.txt"])[0] == ("blob", b"file 0\n")
        process = reader._batch
        assert process is not None
        process.kill()
        process.wait()
        # the dead process is noticed (poll) and a new one started: no error for the caller
        assert reader.read_typed([f"{head}:data/f002.txt"])[0] == ("blob", b"file 2\n" * 3)
        assert reader._batch is not process
    finally:
        reader.close()
