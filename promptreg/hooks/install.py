"""`promptreg install-hooks`: write the plain git hooks where git will run them.

The hooks directory is git's own answer (`git rev-parse --git-path hooks`), so `core.hooksPath`
and linked worktrees are respected. A hook that is already there is never overwritten
silently: an earlier promptreg hook is updated, anything else (a hand-written hook, the
pre-commit framework's) is refused, unless `force`, which moves it aside as a backup first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from promptreg._atomic import atomic_write
from promptreg.errors import PromptregError
from promptreg.gitstore import GitStore
from promptreg.hooks.scripts import NAMES, is_ours, script


class HookExistsError(PromptregError):
    """A hook that promptreg did not write is in the way."""


@dataclass(frozen=True)
class Installed:
    """One hook: where it is, what was done (`installed`, `updated`, `unchanged`,
    `replaced`) and, when replaced, where the old one went."""

    name: str
    path: Path
    action: str
    backup: Path | None = None


def hooks_dir(store: GitStore) -> Path:
    """Where git runs this repository's hooks from."""
    out = store.run("rev-parse", "--git-path", "hooks").strip()
    path = Path(out)
    return path if path.is_absolute() else store.root / path


def install_hooks(
    start: Path,
    *,
    force: bool = False,
    python: str | None = None,
    names: Sequence[str] = NAMES,
) -> list[Installed]:
    """Install the hooks `names` into the repository containing `start`, running promptreg
    with `python` (default: this interpreter). Checks every hook before writing any, so a
    refusal changes nothing. Raises `HookExistsError`."""
    with GitStore(start) as store:
        directory = hooks_dir(store)
    python = python or sys.executable
    plan = []
    foreign = []
    for name in names:
        path = directory / name
        text = script(name, python)
        current = _read(path)
        if current is None:
            plan.append((name, path, text, "installed"))
        elif current == text:
            plan.append((name, path, text, "unchanged"))
        elif is_ours(current):
            plan.append((name, path, text, "updated"))
        else:
            foreign.append(path)
            plan.append((name, path, text, "replaced"))
    if foreign and not force:
        listed = ", ".join(_shown(p) for p in foreign)
        raise HookExistsError(
            f"{listed}: a hook promptreg did not write is already there; not overwriting it. "
            "Call `promptreg hook <id>` from it yourself, or run `promptreg install-hooks "
            "--force` to install promptreg's and keep the old one as a backup"
        )
    done = []
    for name, path, text, action in plan:
        backup = None
        if action == "replaced":
            backup = _backup_path(path)
            os.replace(path, backup)
        if action != "unchanged":
            atomic_write(path, text.encode("utf-8"))
            path.chmod(0o755)
        done.append(Installed(name, path, action, backup))
    return done


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def _backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".promptreg-backup")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.promptreg-backup.{n}")
        n += 1
    return candidate


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
