"""Core rows (issue 2): `validate`, `render`, start-up and the informational commands, on the
synthetic repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common import (
    BENCH,
    ENV,
    WORK,
    BenchError,
    Context,
    Row,
    Settings,
    alt_process,
    check_validate_clean,
    ours_process,
    section,
)


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


@section("validate")
def _validate(ctx: Context) -> list[Row]:
    check_validate_clean(ctx.promptreg, ctx.repo_root)
    return validate_rows(ctx.python, ctx.promptreg, ctx.repo_root, ctx.settings)


@section("render")
def _render(ctx: Context) -> list[Row]:
    return render_rows(ctx.python, ctx.repo_root, ctx.manifest, ctx.settings)


@section("startup")
def _startup(ctx: Context) -> list[Row]:
    return startup_rows(ctx.python, ctx.promptreg, ctx.repo_root, ctx.settings)


@section("info")
def _info(ctx: Context) -> list[Row]:
    return info_rows(ctx.promptreg, ctx.repo_root, ctx.manifest, ctx.settings)
