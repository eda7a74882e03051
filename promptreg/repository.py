"""Where the git repository is: the one way promptreg finds it (the project root, the git store,
the code cache), and the environment every git process of a store runs with.

Found without a git process (~2 ms saved on every start) for the usual layouts: a bare
repository, a work tree with a `.git` directory, and a `.git` file (`gitdir: <path>`: a linked
worktree or a submodule), whose git directory's `commondir` names where refs and objects
live. Anything else is left to git (`GitStore` asks `git rev-parse`).

Hooks run with `GIT_DIR`, `GIT_INDEX_FILE` and friends set by git for *their* repository; a
store opened on an explicit path drops them so it talks about the repository it was given.
"""

from __future__ import annotations

import os
from pathlib import Path

from promptreg._record import record

# Variables that tell git which repository to use; everything else (identity, SSH, config)
# passes through.
_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    return env


@record(frozen=True)
class Repository:
    """`root`: the work tree (the repository itself when bare); `git_dir`: this work tree's
    git directory (`.git`, or `<common>/worktrees/<name>` for a linked worktree); `common_dir`:
    where refs and objects live."""

    root: Path
    git_dir: Path
    common_dir: Path
    bare: bool


def remote_arg(remote: str) -> str:
    """`remote` as git's `<repository>` argument; a UsageError if git would read it as an
    option (`--upload-pack=cmd` runs cmd) or it holds a newline or NUL. `remote:` in
    promptreg.yaml is checked the same way when the file is read."""
    if not remote or remote.startswith("-") or any(c in remote for c in "\n\0"):
        from promptreg.errors import UsageError

        raise UsageError(f"{remote!r} is not a remote name or URL")
    return remote


def work_tree_root(start: Path) -> Path | None:
    """The nearest of `start` and its ancestors holding `.git` (a directory or a file)."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def find_repository(start: Path, *, walk: bool = True) -> Repository | None:
    """The repository `start` is in (`walk`) or whose root it is (not `walk`), or None when
    there is none or its layout is not one of the usual ones."""
    if _is_bare(start):
        return Repository(start, start, start, True)
    root = work_tree_root(start) if walk else (start if (start / ".git").exists() else None)
    if root is None:
        return None
    dot_git = root / ".git"
    if dot_git.is_dir():
        git_dir = dot_git
    else:
        try:
            line = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if not line.startswith("gitdir:"):
            return None
        git_dir = (root / line[len("gitdir:") :].strip()).resolve()
        if not git_dir.is_dir():
            return None
    return Repository(root, git_dir, _common_dir(git_dir), False)


def _is_bare(start: Path) -> bool:
    return (start / "HEAD").is_file() and (start / "objects").is_dir() and (start / "refs").is_dir()


def _common_dir(git_dir: Path) -> Path:
    """Where refs and objects live: `git_dir` itself, unless its `commondir` file names the
    main git directory (a linked worktree's)."""
    try:
        named = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return git_dir
    return (git_dir / named).resolve() if named else git_dir
