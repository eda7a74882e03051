"""promptreg benchmarks: `make bench` (`.venv/bin/python bench/run.py`).

Builds a synthetic, committed repository of 2,000 prompts under bench/.work/ (rebuilt when the
generator changes), then measures promptreg against plain alternatives in the same run and
prints a Markdown table. Missing a goal is reported in the table, not as a failure: the exit
status is non-zero only when something is broken (no venv, or promptreg fails on the synthetic
prompts, which are all valid by construction).

    .venv/bin/python bench/run.py            # full run (~3 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # fewer repetitions
    .venv/bin/python bench/run.py --write    # also rewrite the table in bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from synthetic import GENERATOR_VERSION, ensure_repo
from timing import RunFailed, Timing, process_env, time_process

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH / "RESULTS.md"
ENV = process_env(WORK / "pycache")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


class BenchError(Exception):
    """A real failure: the bench cannot measure what it promises."""


@dataclass(frozen=True)
class Settings:
    count: int
    process_runs: int
    startup_runs: int
    batches: int
    per_batch: int
    write: bool


@dataclass(frozen=True)
class Row:
    what: str
    ours: float | None  # seconds
    alt_label: str
    alt: float | str | None  # seconds, or why there is no number
    goal: float | None = None  # seconds
    unit: str = "auto"  # "us" for per-render rows

    def cells(self) -> list[str]:
        ours = _fmt(self.ours, self.unit)
        alt = self.alt if isinstance(self.alt, str) else _fmt(self.alt, self.unit)
        if isinstance(self.alt, float) and self.ours is not None and self.alt > 0:
            ratio = f"{self.ours / self.alt:.2f}×"
        else:
            ratio = "—"
        goal = f"< {_fmt(self.goal, self.unit)}" if self.goal is not None else "—"
        if self.goal is None or self.ours is None:
            met = "—"
        else:
            met = "yes" if self.ours < self.goal else "**no**"
        return [self.what, ours, self.alt_label, alt, ratio, goal, met]


def _fmt(seconds: float | None, unit: str) -> str:
    if seconds is None:
        return "—"
    if unit == "us" or seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


# -- setup -------------------------------------------------------------------------------------


def venv_tools() -> tuple[Path, Path]:
    python, promptreg = VENV_BIN / "python", VENV_BIN / "promptreg"
    for tool in (python, promptreg):
        if not os.access(tool, os.X_OK):
            raise BenchError(
                f"{tool} is missing: run `make bench` (or `make test`) once to create the venv "
                "and install promptreg into it"
            )
    return python, promptreg


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip() + ", "
                break
    except OSError:
        pass
    return (
        f"{model}{os.cpu_count()} CPUs; Python {platform.python_version()} "
        f"({platform.python_implementation()}); {platform.platform()}"
    )


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


# -- measurements ------------------------------------------------------------------------------


def alt_process(cmd: list[str], cwd: Path, runs: int) -> float | str:
    """An alternative's median, or why it failed (an alternative never fails the bench)."""
    try:
        return time_process(cmd, cwd, runs, env=ENV).median
    except RunFailed as err:
        return f"failed (exit {err.code})"


def ours_process(cmd: list[str], cwd: Path, runs: int) -> Timing:
    try:
        return time_process(cmd, cwd, runs, env=ENV)
    except RunFailed as err:
        raise BenchError(str(err)) from None


def validate_rows(python: Path, promptreg: Path, repo: Path, s: Settings) -> list[Row]:
    ours = ours_process([str(promptreg), "validate"], repo, s.process_runs).median
    what = f"`promptreg validate`, {s.count:,} prompts (process)"
    goal = 2.0 if s.count == 2000 else None
    alternatives = [
        ("ruamel.yaml round-trip read of front-matter", "read_ruamel.py"),
        ("PyYAML CSafeLoader read of front-matter (floor)", "read_csafe.py"),
        ("plain jinja2 parse + compile of every body", "compile_jinja.py"),
    ]
    rows = []
    for label, script in alternatives:
        cmd = [str(python), str(BENCH / "plain" / script), str(repo)]
        rows.append(Row(what, ours, label, alt_process(cmd, repo, s.process_runs), goal))
    return rows


def render_rows(python: Path, repo: Path, manifest: dict[str, str], s: Settings) -> list[Row]:
    names = {"with include": manifest["with_include"], "no include": manifest["without_include"]}
    cmd = [str(python), str(BENCH / "renders.py"), str(repo), *names.values()]
    cmd += ["--batches", str(s.batches), "--per-batch", str(s.per_batch)]
    cmd += ["--work", str(WORK / "prompty")]
    proc = subprocess.run(cmd, cwd=BENCH, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"render timing failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    data = json.loads(proc.stdout)
    rows = []
    for kind, name in names.items():
        result = data[name]
        ours = result["promptreg"]["median"]
        what = f"`Prompt.render` ({kind}: {name}), per render"
        rows.append(Row(what, ours, "plain jinja2 `Template.render`", _median(result["jinja2"])))
        rows.append(Row(what, ours, "Prompty `prepare` (loaded once)", _median(result["prompty"])))
    return [Row(r.what, r.ours, r.alt_label, r.alt, 20e-6, "us") for r in rows]


def _median(result: dict[str, float] | str) -> float | str:
    return result if isinstance(result, str) else float(result["median"])


def startup_rows(python: Path, promptreg: Path, repo: Path, s: Settings) -> list[Row]:
    ours = ours_process([str(promptreg), "--version"], repo, s.startup_runs).median
    what = "`promptreg --version` cold start (process)"
    alts = {
        code: alt_process([str(python), "-c", code], repo, s.startup_runs)
        for code in ("pass", "import click", "import jinja2, yaml")
    }
    rows = [Row(what, ours, f"`python -c {c!r}`", alt, 0.150) for c, alt in alts.items()]
    for code in ("import promptreg", "from promptreg import Project"):
        mine = ours_process([str(python), "-c", code], repo, s.startup_runs).median
        rows.append(
            Row(f"`python -c {code!r}` (process)", mine, "`python -c 'pass'`", alts["pass"])
        )
    return rows


def info_rows(promptreg: Path, repo: Path, manifest: dict[str, str], s: Settings) -> list[Row]:
    rows = []
    commands = [["list"], ["show", manifest["show"]], ["render", manifest["show"], "--sample"]]
    for args in commands:
        timing = ours_process([str(promptreg), *args], repo, s.process_runs)
        rows.append(Row(f"`promptreg {' '.join(args)}` (process)", timing.median, "—", None))
    return rows


# -- output ------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    header = [
        "what",
        "promptreg median",
        "plain alternative (same run)",
        "alternative median",
        "ratio",
        "goal",
        "met?",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def report(rows: list[Row], s: Settings, built: bool, load_before: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = [
        f"Date: {now}",
        f"Machine: {machine()}",
        f"Load average (1, 5, 15 min) before / after: {load_before} / {load_average()}",
        f"Synthetic repo: {s.count:,} prompts, generator v{GENERATOR_VERSION}"
        + (" (rebuilt this run)" if built else ""),
        f"Process rows: median of {s.process_runs} run(s) after a warm-up "
        f"({s.startup_runs} runs for start-up rows). Render rows: median of {s.batches} "
        f"batches of up to {s.per_batch} renders (fewer for slow alternatives, ~50 ms a batch).",
        "Ratio: promptreg / alternative (below 1 means promptreg is faster).",
    ]
    return "\n".join(f"- {n}" for n in notes) + "\n\n" + table(rows) + "\n"


def write_results(text: str) -> None:
    block = f"{BEGIN}\n{text}{END}"
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(new, encoding="utf-8")


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="prompts in the synthetic repo")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--runs", type=int, help="runs per process measurement (default 5)")
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {RESULTS}")
    args = parser.parse_args(argv)
    if args.n < 2:
        parser.error("--n must be at least 2")
    runs = args.runs or (3 if args.quick else 5)
    return Settings(
        count=args.n,
        process_runs=runs,
        startup_runs=10 if args.quick else 20,
        batches=15 if args.quick else 50,
        per_batch=1000,
        write=args.write,
    )


def main(argv: list[str] | None = None) -> int:
    s = parse_args(argv)
    load_before = load_average()
    try:
        python, promptreg = venv_tools()
        repo, manifest, built = ensure_repo(WORK, s.count)
        print(f"repo: {repo} ({'built' if built else 'reused'})", file=sys.stderr)
        check_validate_clean(promptreg, repo)
        rows = validate_rows(python, promptreg, repo, s)
        rows += render_rows(python, repo, manifest, s)
        rows += startup_rows(python, promptreg, repo, s)
        rows += info_rows(promptreg, repo, manifest, s)
    except (BenchError, subprocess.CalledProcessError) as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
    text = report(rows, s, built, load_before)
    print(text)
    if s.write:
        write_results(text)
        print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
