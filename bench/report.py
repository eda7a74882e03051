"""The Markdown report: notes on the run, the table, and its place in RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

from common import RESULTS, ROOT, Row, Settings
from registry_repo import REGISTRY_VERSION
from synthetic import GENERATOR_VERSION

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


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


def code_state() -> tuple[str, int]:
    """The measured promptreg: `HEAD` plus how many of its files differ (the working tree is
    shared), and the newest mtime under promptreg/, to tell whether it changed during the run."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "promptreg"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
    except OSError:
        head, changed = "unknown", []
    described = f"{head or 'unknown'} + {len(changed)} uncommitted file(s) in promptreg/"
    newest = max((f.stat().st_mtime_ns for f in (ROOT / "promptreg").rglob("*.py")), default=0)
    return described, newest


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def report(
    rows: list[Row],
    s: Settings,
    built: dict[str, bool],
    load_before: str,
    code_before: int,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    code, code_after = code_state()
    if code_after != code_before:
        code += " (**changed during the run**: rows may mix versions, run again)"
    notes = [
        f"Date: {now}",
        f"promptreg measured: {code}",
        f"Machine: {machine()}",
        f"Load average (1, 5, 15 min) before / after: {load_before} / {load_average()}",
        f"Synthetic repo: {s.count:,} prompts, generator v{GENERATOR_VERSION}"
        + (" (rebuilt this run)" if built.get("repo") else ""),
        f"Registry repo: the same prompts + {5 * s.count:,} deployment tags (packed), "
        f"registry generator v{REGISTRY_VERSION}"
        + (" (rebuilt this run)" if built.get("registry") else ""),
        "Hooks repo: the same prompts + a commit with `.pre-commit-config.yaml` (BASE) + a commit "
        "changing and bumping every prompt (HEAD); `repo: local` hooks, `language: unsupported`, "
        "run from this checkout's .venv: no hook environment is installed or measured"
        + (" (rebuilt this run)" if built.get("hooks") else ""),
        "Evals repo: the same prompts, one of them with a 1,000-case dataset and 3 metrics, "
        "python runners in the copy" + (" (rebuilt this run)" if built.get("evals") else ""),
        f"Process rows: median of {s.process_runs} run(s) after a warm-up "
        f"({s.startup_runs} runs for start-up rows). Render rows: median of {s.batches} "
        f"batches of up to {s.per_batch} renders (fewer for slow alternatives, ~50 ms a batch).",
        f"Hook and eval rows: median of {s.process_runs} whole runs after a warm-up; the "
        + (
            f"200 ms-a-request eval: median of {s.slow_eval_runs} runs, no warm-up."
            if s.slow_eval_runs
            else "200 ms-a-request eval was skipped (--quick)."
        ),
        f"Registry rows: first `get` median of {s.startup_runs} fresh processes (one sample "
        f"each, the three measured in rotating order); further `get` median over "
        f"{s.further} prompts; `get_all` median of {s.process_runs}; code cache = "
        "`.git/promptreg/code`, cold = deleted before each process.",
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
