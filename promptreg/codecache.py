"""Analysed templates kept on disk (see analysis.py), so neither a restarted application nor
the next `promptreg validate` compiles a template it has compiled before.

Compiling a prompt's template (parse + generate + Python compile) costs ~1 ms; loading it back
costs ~50 µs. The key covers everything the entry depends on: the template's text, its name
and file name (they are baked into tracebacks), Jinja's and Python's versions, and the format.
Entries are written atomically and never changed; an unreadable one is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

import jinja2

from promptreg._atomic import atomic_write

FORMAT = "2"


class CodeCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def key(*parts: str) -> str:
        """The entry for everything in `parts` (with the versions the entry depends on)."""
        h = hashlib.sha256()
        for part in (FORMAT, jinja2.__version__, sys.version, *parts):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()

    def load(self, key: str) -> bytes | None:
        try:
            return (self.directory / key[:2] / key[2:]).read_bytes()
        except OSError:
            return None

    def store(self, key: str, data: bytes) -> None:
        # A cache that cannot be written is only slower, never wrong.
        with contextlib.suppress(Exception):
            if not self.directory.is_dir():
                self.directory.mkdir(parents=True)
                # Outside a git directory (a project in a repository's subfolder) git would
                # list the cache as untracked files: it ignores itself.
                (self.directory / ".gitignore").write_text("*\n", encoding="utf-8")
            atomic_write(self.directory / key[:2] / key[2:], data, durable=False)


def code_cache_for(root: Path) -> CodeCache | None:
    """Where a project keeps analysed templates: inside its git directory (never committed),
    else `.promptreg/cache/code`. `PROMPTREG_NO_CACHE=1` turns the cache off."""
    if os.environ.get("PROMPTREG_NO_CACHE"):
        return None
    dot_git = root / ".git"
    if dot_git.is_dir():
        return CodeCache(dot_git / "promptreg" / "code")
    if dot_git.is_file():  # a worktree or submodule: `gitdir: <path>`
        line = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if line.startswith("gitdir:"):
            return CodeCache((root / line[len("gitdir:") :].strip()) / "promptreg" / "code")
    return CodeCache(root / ".promptreg" / "cache" / "code")
