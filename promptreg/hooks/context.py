"""What every hook run starts from: the project, the repository, the two states compared."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from promptreg.errors import UsageError
from promptreg.hooks.revisions import (
    Sides,
    Snapshot,
    changed_files,
    open_store,
    relative_to,
    resolve_sides,
)
from promptreg.project.project import Project
from promptreg.registry.gitstore import GitStore


@dataclass
class HookContext:
    """`store` and `sides` are None outside a git repository; then `new` is the working tree
    and there is no `base`."""

    project: Project
    store: GitStore | None
    sides: Sides | None
    new: Snapshot
    base: Snapshot | None

    @property
    def root(self) -> Path:
        return self.store.root if self.store is not None else self.project.root

    def files(self, given: Sequence[str]) -> list[Path]:
        """The files to check: those given, else those changed from the base to the target."""
        if given:
            return [Path(os.path.abspath(f)) for f in given]
        if self.store is None or self.sides is None:
            return []
        return changed_files(self.store, self.sides)

    def rel(self, path: Path) -> str | None:
        """`path` relative to the repository root, or None when it is outside."""
        return relative_to(path, self.root)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> HookContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_context(
    project: Project,
    *,
    base: str | None = None,
    environ: Mapping[str, str] | None = None,
    need_git: bool = False,
) -> HookContext:
    """Open the repository around `project` and resolve the revisions to compare.
    Raises `UsageError` when `need_git` and there is no repository."""
    store = open_store(project.root)
    if store is None:
        if need_git or base is not None:
            raise UsageError(f"{project.root} is not inside a git repository")
        return HookContext(
            project, None, None, Snapshot(None, None, project.root, fallback=True), None
        )
    sides = resolve_sides(store, base, os.environ if environ is None else environ)
    new = Snapshot(store, sides.target, store.root, fallback=True)
    old = Snapshot(store, sides.base, store.root, fallback=False) if sides.base else None
    return HookContext(project, store, sides, new, old)
