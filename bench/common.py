"""What every bench section shares: paths, settings, the table row, the run context, and the
registration of sections (see the top of run.py for how to add one)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timing import RunFailed, Timing, process_env, time_process

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH / "RESULTS.md"
# pre-commit keeps its store (a sqlite db; nothing is installed for `language: unsupported`)
# under bench/.work/, not in ~/.cache.
ENV = {**process_env(WORK / "pycache"), "PRE_COMMIT_HOME": str(WORK / "pre-commit")}


class BenchError(Exception):
    """A real failure: the bench cannot measure what it promises."""


@dataclass(frozen=True)
class Settings:
    count: int
    process_runs: int
    startup_runs: int
    batches: int
    per_batch: int
    further: int  # prompts looked up one by one in a warm registry
    gitpython: int  # of those, how many GitPython also reads (~30 ms each)
    slow_eval_runs: int  # runs of the ~13 s eval with a 200 ms runner (0: skipped)
    write: bool
    quick: bool = False
    only: tuple[str, ...] = ()  # section names; empty: all


@dataclass(frozen=True)
class Row:
    what: str
    ours: float | None  # seconds
    alt_label: str
    alt: float | str | None  # seconds, or why there is no number
    goal: float | None = None  # seconds
    unit: str = "auto"  # "us" for per-render rows

    def cells(self) -> list[str]:
        ours = fmt(self.ours, self.unit)
        alt = self.alt if isinstance(self.alt, str) else fmt(self.alt, self.unit)
        if isinstance(self.alt, float) and self.ours is not None and self.alt > 0:
            ratio = f"{self.ours / self.alt:.2f}×"
        else:
            ratio = "—"
        goal = f"< {fmt(self.goal, self.unit)}" if self.goal is not None else "—"
        if self.goal is None or self.ours is None:
            met = "—"
        else:
            met = "yes" if self.ours < self.goal else "**no**"
        return [self.what, ours, self.alt_label, alt, ratio, goal, met]


def fmt(seconds: float | None, unit: str) -> str:
    if seconds is None:
        return "—"
    if unit == "us" or seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 10e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


@dataclass
class Context:
    """What a section gets: the tools, the settings, the synthetic repository, and the other
    bench repositories, built on first use (`repo("registry")`) and reused after."""

    python: Path
    promptreg: Path
    settings: Settings
    repo_root: Path
    manifest: dict[str, str]
    built: dict[str, bool] = field(default_factory=dict)
    _repos: dict[str, Any] = field(default_factory=dict)

    def repo(self, kind: str) -> Any:
        """The `registry`, `hooks`, `evals` or `bulk` repository (see its module)."""
        if kind not in self._repos:
            self._repos[kind], self.built[kind] = _ensure(self, kind)
            print(f"{kind}: built={self.built[kind]}", file=sys.stderr)
        return self._repos[kind]


def _ensure(ctx: Context, kind: str) -> tuple[Any, bool]:
    count = ctx.settings.count
    if kind == "registry":
        from registry_repo import ensure_registry

        return ensure_registry(WORK, ctx.repo_root, count)
    if kind == "hooks":
        from hooks_repo import ensure_hooks_repo

        return ensure_hooks_repo(WORK, ctx.repo_root, ctx.python)
    if kind == "evals":
        from evals_repo import ensure_evals_repo

        return ensure_evals_repo(WORK, ctx.repo_root, ctx.manifest["without_include"])
    if kind == "bulk":
        from bulk_repo import ensure_bulk_repo

        return ensure_bulk_repo(WORK, ctx.repo_root, count), False
    raise BenchError(f"no bench repository {kind!r}")


# -- sections ----------------------------------------------------------------------------------

Rows = Callable[[Context], list[Row]]


@dataclass(frozen=True)
class Section:
    name: str
    rows: Rows


SECTIONS: list[Section] = []


def section(name: str) -> Callable[[Rows], Rows]:
    """Register `rows(ctx) -> list[Row]` as the bench section `name` (run in the order
    registered; `run.py --only NAME` runs some)."""

    def register(rows: Rows) -> Rows:
        if any(s.name == name for s in SECTIONS):
            raise BenchError(f"two bench sections named {name!r}")
        SECTIONS.append(Section(name, rows))
        return rows

    return register


# -- running things ----------------------------------------------------------------------------


def venv_tools() -> tuple[Path, Path]:
    python, promptreg = VENV_BIN / "python", VENV_BIN / "promptreg"
    for tool in (python, promptreg):
        if not os.access(tool, os.X_OK):
            raise BenchError(
                f"{tool} is missing: run `make bench` (or `make test`) once to create the venv "
                "and install promptreg into it"
            )
    return python, promptreg


def alt_process(cmd: list[str], cwd: Path, runs: int) -> float | str:
    """An alternative's median, or why it failed (an alternative never fails the bench)."""
    try:
        return time_process(cmd, cwd, runs, env=ENV).median
    except RunFailed as err:
        return f"failed (exit {err.code})"


def ours_process(
    cmd: list[str], cwd: Path, runs: int, before: Callable[[], object] | None = None
) -> Timing:
    try:
        return time_process(cmd, cwd, runs, env=ENV, before=before)
    except RunFailed as err:
        raise BenchError(str(err)) from None


def check_validate_clean(promptreg: Path, repo: Path) -> None:
    """The synthetic prompts are valid by construction: anything else is a real failure."""
    cmd = [str(promptreg), "validate"]
    proc = subprocess.run(cmd, cwd=repo, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(
            f"`promptreg validate` exited {proc.returncode} on the synthetic repository "
            f"({repo}): the generator or promptreg is broken.\n"
            + (proc.stdout + proc.stderr)[-3000:]
        )
