"""Where the repository is, and the environment every git process of a store runs with.

Hooks run with `GIT_DIR`, `GIT_INDEX_FILE` and friends set by git for *their* repository; a
store opened on an explicit path drops them so it talks about the repository it was given.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def find_repository(start: Path) -> tuple[Path, Path, bool] | None:
    """(root, git directory, bare) for the usual layouts, found without a git process (~2 ms
    saved on every start): a work tree with a `.git` directory above `start`, or a bare
    repository at `start`. None for anything else (git itself is asked then)."""
    if (start / "HEAD").is_file() and (start / "objects").is_dir() and (start / "refs").is_dir():
        return start, start, True
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            if (dot_git / "commondir").exists():
                return None  # a linked worktree's git directory: let git resolve it
            return directory, dot_git, False
        if dot_git.exists():
            return None  # `.git` file: a worktree or a submodule
    return None
