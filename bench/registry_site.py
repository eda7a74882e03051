"""Bench rows of issue 11: `promptreg site` on the registry repository (2,000 prompts, 10,000
deployment tags; see registry_repo.py).

(Named registry_site.py, not site.py: a `site` module beside run.py would shadow Python's own
`site` module for every import run.py makes.)

- From scratch: no output directory and no site cache (`.git/promptreg/site/`), the code
  cache warm. Goal < 10 s.
- After one promotion: the previous run's site and cache in place, then
  `promptreg promote PROMOTED --to dev --version V` (untimed, alternating V so that each
  creates a tag). Goal < 2 s, and only the pages that show the promotion are rewritten: the
  catalog, the environments, the audit log and the promoted prompt's page (checked on every
  run from `--json`; the bench fails otherwise).

Run alone with `.venv/bin/python bench/registry_site.py` (prints the rows), or from run.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from common import ENV, WORK, BenchError, Context, Row, Settings, section, venv_tools
from registry_repo import RegistryRepo, ensure_registry, reset_bench_tags
from synthetic import ensure_repo
from timing import RunFailed, run_once, time_runs

SCRATCH_GOAL = 10.0
PROMOTION_GOAL = 2.0


def site_rows(promptreg: Path, repo: RegistryRepo, s: Settings) -> list[Row]:
    root = repo.root
    out = WORK / "site-output"
    cache = root / ".git" / "promptreg" / "site"
    cmd = [str(promptreg), "site", "-o", str(out), "--json"]
    runs = max(1, min(s.process_runs, 3))

    def clear() -> None:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)

    first, second = repo.versions
    promotions = 0

    def promote() -> None:
        nonlocal promotions
        version = second if promotions % 2 == 0 else first
        promotions += 1
        run_once(
            [str(promptreg), "promote", repo.promoted, "--to", "dev", "--version", version],
            root,
            ENV,
        )

    listing = ["git", "for-each-ref", "--format=%(refname)%00%(contents)", "refs/tags/prompts/"]
    try:
        reset_bench_tags(repo)
        scratch = time_runs(lambda i: cmd, root, runs, env=ENV, warmup=0, before=clear)
        floor = time_runs(lambda i: listing, root, runs, env=ENV)
        again = time_runs(lambda i: cmd, root, runs, env=ENV, warmup=1, before=promote)
        written = _written(cmd, root, promote)
    except RunFailed as err:
        raise BenchError(str(err)) from None
    finally:
        reset_bench_tags(repo)
        clear()
    expected = sorted(
        ["audit.html", "environments.html", "index.html", f"prompts/{repo.promoted}.html"]
    )
    if written != expected:
        raise BenchError(f"after one promotion the site rewrote {written}, not {expected}")
    return [
        Row(
            f"`promptreg site`, {repo.count:,} prompts, {repo.count * 5:,} deployment tags, "
            "from scratch (no site, no site cache; process)",
            scratch.median,
            "`git for-each-ref` of every tag with its message (process)",
            floor.median,
            SCRATCH_GOAL,
        ),
        Row(
            "`promptreg site` again after one `promote` (rewrites the 4 pages that show it; "
            "process)",
            again.median,
            "`git for-each-ref` of every tag with its message (process)",
            floor.median,
            PROMOTION_GOAL,
        ),
    ]


def _written(cmd: list[str], root: Path, promote: object) -> list[str]:
    """Pages the site rewrites after one more promotion, from its `--json` report."""
    assert callable(promote)
    promote()
    proc = subprocess.run(cmd, cwd=root, env=ENV, capture_output=True, text=True, check=True)
    return sorted(json.loads(proc.stdout)["written"])


@section("site")
def _site(ctx: Context) -> list[Row]:
    return site_rows(ctx.promptreg, ctx.repo("registry"), ctx.settings)


def main(argv: list[str] | None = None) -> int:
    from report import table
    from run import parse_args  # run.py imports this module to register the section

    s = parse_args(argv)
    _, promptreg = venv_tools()
    base, _, _ = ensure_repo(WORK, s.count)
    repo, _ = ensure_registry(WORK, base, s.count)
    try:
        rows = site_rows(promptreg, repo, s)
    except BenchError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
