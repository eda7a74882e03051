"""Finding the repository without a git process, checked against what git itself says, in
every layout promptreg reads: a work tree, a subdirectory of one, a linked worktree, a
submodule-style `.git` file, a bare repository, and no repository at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptreg.codecache import code_cache_for
from promptreg.project.config import find_root
from promptreg.registry.gitstore import GitStore
from promptreg.repository import find_repository, work_tree_root
from tests.conftest import Workspace, commit, git


def _git_says(cwd: Path) -> tuple[Path, Path, Path]:
    """(top level, git dir, common dir) as `git rev-parse` reports them, resolved."""
    out = git(cwd, "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir")
    top, git_dir, common = out.splitlines()
    common_dir = Path(common) if Path(common).is_absolute() else cwd / common
    return Path(top).resolve(), Path(git_dir).resolve(), common_dir.resolve()


def _found(start: Path) -> tuple[Path, Path, Path]:
    repository = find_repository(start.resolve())
    assert repository is not None
    assert not repository.bare
    return repository.root.resolve(), repository.git_dir.resolve(), repository.common_dir.resolve()


@pytest.mark.usefixtures("isolated_git")
def test_a_work_tree_and_a_directory_inside_it(repo: Workspace):
    assert _found(repo.root) == _git_says(repo.root)
    inside = repo.prompts / "deep"
    inside.mkdir()
    assert _found(inside) == _git_says(inside)
    assert work_tree_root(inside.resolve()) == repo.root.resolve()
    assert find_repository(inside.resolve(), walk=False) is None  # not its root


@pytest.mark.usefixtures("isolated_git")
def test_a_linked_worktree_reads_refs_where_the_main_repository_keeps_them(
    repo: Workspace, tmp_path: Path
):
    linked = tmp_path / "linked"
    git(repo.root, "worktree", "add", "-q", str(linked))
    root, git_dir, common = _found(linked)
    assert (root, git_dir, common) == _git_says(linked)
    assert common == (repo.root / ".git").resolve()
    assert git_dir != common  # the worktree's own HEAD and index live apart
    store = GitStore(linked)
    assert store.root.resolve() == linked.resolve()
    assert store.common_dir.resolve() == common
    git(repo.root, "tag", "-a", "-m", "m", "prompts/triage@v1.0.0")  # made in the main tree
    assert [t.name for t in store.tags("prompts/")] == ["prompts/triage@v1.0.0"]
    store.close()
    cache = code_cache_for(linked.resolve())
    if cache is not None:  # (no cache without a usable key)
        assert cache.directory.resolve() == git_dir / "promptreg" / "code"


@pytest.mark.usefixtures("isolated_git")
def test_a_git_file_pointing_elsewhere_like_a_submodule(repo: Workspace, tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "--separate-git-dir", str(tmp_path / "elsewhere.git"))
    (work / "x.txt").write_text("x\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "x")
    assert (work / ".git").is_file()
    assert _found(work) == _git_says(work)
    assert _found(work)[1] == (tmp_path / "elsewhere.git").resolve()


@pytest.mark.usefixtures("isolated_git")
def test_a_bare_repository(repo: Workspace, tmp_path: Path):
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(bare))
    found = find_repository(bare)
    assert found is not None and found.bare
    assert found.root == found.git_dir == found.common_dir == bare
    assert GitStore(bare).bare


def test_no_repository_and_broken_git_files(tmp_path: Path):
    if work_tree_root(tmp_path) is None:  # (unless the temporary directory is in a repository)
        assert find_repository(tmp_path) is None
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / ".git").write_text("not a gitdir line\n", encoding="utf-8")
    assert find_repository(lonely) is None  # git is asked instead
    (lonely / ".git").write_text("gitdir: ./missing\n", encoding="utf-8")
    assert find_repository(lonely) is None
    assert work_tree_root(lonely) == lonely  # still where the work tree is


@pytest.mark.usefixtures("isolated_git")
def test_the_project_root_is_the_config_else_the_work_tree(repo: Workspace):
    nested = repo.prompts / "a" / "b"
    nested.mkdir(parents=True)
    assert find_root(nested) == repo.root.resolve()  # promptreg.yaml is there
    (repo.root / "promptreg.yaml").unlink()
    commit(repo, "no config")
    assert find_root(nested) == repo.root.resolve()  # the work tree's root
    (repo.prompts / "promptreg.yaml").write_text("prompts_dir: .\n", encoding="utf-8")
    assert find_root(nested) == repo.prompts.resolve()  # the nearest config wins
