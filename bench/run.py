"""promptreg benchmarks: `make bench` (`.venv/bin/python bench/run.py`).

Builds a synthetic, committed repository of 2,000 prompts under bench/.work/ (rebuilt when the
generator changes) and, when a section first asks for them, a registry copy with 10,000
deployment tags (registry_repo.py), a copy with a pre-commit config and a second commit that
changes and bumps every prompt (hooks_repo.py), a scratch copy with a 1,000-case eval dataset
(evals_repo.py) and a copy for bulk release/promote (bulk_repo.py); then measures promptreg
against plain alternatives in the same run and prints a Markdown table. Missing a goal is
reported in the table, not as a failure: the exit status is non-zero only when something is
broken (no venv, or promptreg fails on the synthetic prompts, which are valid by construction).

    .venv/bin/python bench/run.py                 # full run (~5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick         # fewer repetitions, no 200 ms-a-request eval
    .venv/bin/python bench/run.py --only start,bulk   # some sections only
    .venv/bin/python bench/run.py --write         # also rewrite the table in bench/RESULTS.md

Adding rows (the registration API). A section is a function from the run's `Context` to
table rows, registered under a name; sections run in the order they are registered, and
`--only` selects them by name. Put yours in its own module under bench/ and add the module's
name to `SECTION_MODULES` below (a missing module is skipped, so the hook can land first):

    # bench/fleet.py
    from common import Context, Row, ours_process, section

    @section("fleet")
    def fleet_rows(ctx: Context) -> list[Row]:
        repo = ctx.repo("registry")          # or build your own under common.WORK
        took = ours_process([str(ctx.promptreg), "status"], repo.root, ctx.settings.process_runs)
        return [Row("`promptreg status` (process)", took.median, "—", None, goal=1.0)]

`Row(what, ours, alt_label, alt, goal, unit)`: seconds (alt may be a string saying why there
is no number); `ctx.python` / `ctx.promptreg` are the venv's tools, `ctx.settings` the
repetitions (`process_runs`, `startup_runs`, `quick`), `ctx.repo_root` the synthetic
repository and `ctx.repo(kind)` the other bench repositories, built on first use.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from common import SECTIONS, WORK, BenchError, Context, Row, Settings, venv_tools
from report import code_state, load_average, report, write_results
from synthetic import ensure_repo

# Modules that register sections, in table order.
SECTION_MODULES = (
    "rows_core",
    "rows_start",
    "rows_registry",
    "rows_tools",
    "fleet",
    "registry_site",
)


def load_sections() -> None:
    for module in SECTION_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise  # the module is there but something it imports is not: a real error


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="prompts in the synthetic repo")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--runs", type=int, help="runs per process measurement (default 5)")
    parser.add_argument("--only", default="", help="comma-separated section names")
    parser.add_argument("--write", action="store_true", help="rewrite the table in RESULTS.md")
    args = parser.parse_args(argv)
    if args.n < 3:  # the registry rows promote prompt #2 and look up #0 and #1 first
        parser.error("--n must be at least 3")
    only = tuple(n.strip() for n in args.only.split(",") if n.strip())
    known = [s.name for s in SECTIONS]
    unknown = [n for n in only if n not in known]
    if unknown:
        parser.error(f"no section {', '.join(unknown)}; sections: {', '.join(known)}")
    if only and args.write:
        parser.error("--write rewrites the whole table: run every section for it")
    runs = args.runs or (3 if args.quick else 5)
    return Settings(
        count=args.n,
        process_runs=runs,
        startup_runs=10 if args.quick else 20,
        batches=15 if args.quick else 50,
        per_batch=1000,
        further=100 if args.quick else 300,
        gitpython=10 if args.quick else 30,
        slow_eval_runs=0 if args.quick else 3,
        write=args.write,
        quick=args.quick,
        only=only,
    )


def main(argv: list[str] | None = None) -> int:
    load_sections()
    s = parse_args(argv)
    load_before = load_average()
    code_before = code_state()[1]
    try:
        python, promptreg = venv_tools()
        repo, manifest, built = ensure_repo(WORK, s.count)
        print(f"repo: {repo} ({'built' if built else 'reused'})", file=sys.stderr)
        ctx = Context(python, promptreg, s, repo, manifest, {"repo": built})
        rows: list[Row] = []
        for sec in SECTIONS:
            if not s.only or sec.name in s.only:
                print(f"section {sec.name}", file=sys.stderr)
                rows += sec.rows(ctx)
    except (BenchError, subprocess.CalledProcessError) as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
    text = report(rows, s, ctx.built, load_before, code_before)
    print(text)
    if s.write:
        write_results(text)
        print("wrote bench/RESULTS.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
