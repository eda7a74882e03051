"""Rows of the tools around the registry: pre-commit hooks (issue 4), evals (issue 5) and bulk
release/promote of a whole collection (issue 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bulk_repo import (
    PLAIN_BULK_TAGS,
    BulkRepo,
    delete_all_tags,
    delete_deployments,
    plain_tag_loop,
)
from common import (
    BENCH,
    ENV,
    VENV_BIN,
    BenchError,
    Context,
    Row,
    Settings,
    alt_process,
    ours_process,
    section,
)
from evals_repo import SLOW_S, EvalsRepo
from hooks_repo import HooksRepo
from timing import RunFailed, time_process

HOOK_GOAL = 3.0
EVAL_GOAL, SLOW_EVAL_GOAL, SLOW_JOBS = 2.0, 15.0, 16


def pre_commit_tool() -> Path:
    tool = VENV_BIN / "pre-commit"
    if not os.access(tool, os.X_OK):
        raise BenchError(f"{tool} is missing: `make bench` installs it (the `dev` extra)")
    return tool


def check_hook_ran(cmd: list[str], cwd: Path) -> None:
    """Run a pre-commit command once, untimed: it must pass and must have had files to check
    (pre-commit says "Skipped" and exits 0 when no file matched)."""
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Passed" not in out:
        raise BenchError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{out[-3000:]}")


def hook_rows(python: Path, promptreg: Path, repo: HooksRepo, s: Settings) -> list[Row]:
    """`pre-commit run` of promptreg's hooks (whole runs), and the hooks without pre-commit."""
    pre_commit, root, runs = pre_commit_tool(), repo.root, s.process_runs
    files = subprocess.run(
        ["git", "ls-files", "--", "prompts", "promptreg.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    ref_args = ["--from-ref", repo.base, "--to-ref", repo.head]
    validate_cmd = [str(pre_commit), "run", "promptreg-validate", "--all-files"]
    bump_cmd = [str(pre_commit), "run", "promptreg-version-bump", *ref_args]
    for cmd in (validate_cmd, bump_cmd):
        check_hook_ran(cmd, root)

    def noop(*args: str) -> float | str:
        return alt_process([str(pre_commit), "run", "bench-noop", *args], root, runs)

    rows = []
    what = f"`pre-commit run promptreg-validate --all-files`, {s.count:,} prompts (whole run)"
    ours = ours_process(validate_cmd, root, runs).median
    plain = alt_process([str(promptreg), "validate"], root, runs)
    rows.append(Row(what, ours, "`promptreg validate` (process, same repo)", plain, HOOK_GOAL))
    label = "`pre-commit run` of a no-op hook (`entry: true`), same files"
    rows.append(Row(what, ours, label, noop("--all-files"), HOOK_GOAL))
    direct = [str(python), "-m", "promptreg", "hook", "validate", *files]
    what = f"`promptreg hook validate FILES` ({len(files):,} files, process, no pre-commit)"
    ours = ours_process(direct, root, runs).median
    rows.append(Row(what, ours, "`promptreg validate` (process, same repo)", plain))

    diff = alt_process(["git", "diff", "--name-only", repo.base, repo.head], root, runs)
    what = (
        "`pre-commit run promptreg-version-bump --from-ref BASE --to-ref HEAD`, "
        f"{repo.prompts:,} prompts changed and bumped (whole run)"
    )
    ours = ours_process(bump_cmd, root, runs).median
    rows.append(Row(what, ours, "`git diff --name-only BASE HEAD` (process)", diff, HOOK_GOAL))
    rows.append(Row(what, ours, label.replace("files", "refs"), noop(*ref_args), HOOK_GOAL))
    direct = [str(promptreg), "hook", "version-bump", "--base", repo.base]
    what = f"`promptreg hook version-bump --base BASE`, {repo.prompts:,} prompts (process)"
    ours = ours_process(direct, root, runs).median
    rows.append(Row(what, ours, "`git diff --name-only BASE HEAD` (process)", diff, HOOK_GOAL))
    return rows


# -- evals (issue 5) ---------------------------------------------------------------------------


def eval_rows(python: Path, promptreg: Path, repo: EvalsRepo, s: Settings) -> list[Row]:
    """`promptreg eval` whole processes with python runners that do no work, or wait."""
    root, runs = repo.root, s.process_runs
    base = [str(promptreg), "eval", repo.target]
    instant = [*base, "--runner", "python:bench_runner:instant"]
    loop = [str(python), str(BENCH / "plain" / "eval_loop.py"), str(root), repo.target]
    plain = alt_process([*loop, "bench_runner:instant"], root, runs)
    label = "plain loop: jinja2 render + runner + the 3 metrics, 1 thread (process)"
    rows = []
    for args, cache in ((["--no-cache"], "no response cache"), ([], "response cache warm")):
        what = (
            f"`promptreg eval NAME --runner python:…:instant{' ' * bool(args)}{' '.join(args)}`, "
            f"{repo.cases:,} cases, 3 metrics (process; the runner answers at once; {cache})"
        )
        # Cache warm: the warm-up run fills it (it was deleted when the bench started).
        ours = ours_process([*instant, *args], root, runs).median
        rows.append(Row(what, ours, label, plain, EVAL_GOAL))
    what = (
        f"`promptreg eval NAME --runner python:…:slow --no-cache --jobs {SLOW_JOBS}`, "
        f"{repo.cases:,} cases, {SLOW_S * 1e3:.0f} ms a request (process)"
    )
    ideal = repo.cases * SLOW_S / SLOW_JOBS
    label = f"ideal: {repo.cases:,} × {SLOW_S} s / {SLOW_JOBS} (computed)"
    if s.slow_eval_runs == 0:
        print("evals: skipped the 200 ms-a-request eval row (--quick)", file=sys.stderr)
        return [*rows, Row(what, None, label, "skipped (--quick)", SLOW_EVAL_GOAL)]
    slow = [*base, "--runner", "python:bench_runner:slow", "--no-cache", "--jobs", str(SLOW_JOBS)]
    try:
        ours = time_process(slow, root, s.slow_eval_runs, env=ENV, warmup=0).median
    except RunFailed as err:
        raise BenchError(str(err)) from None
    return [*rows, Row(what, ours, label, ideal, SLOW_EVAL_GOAL)]


# -- bulk work on a whole collection (issue 13) ------------------------------------------------

RELEASE_NEW_GOAL, RELEASE_NOOP_GOAL, PROMOTE_ALL_GOAL = 5.0, 1.0, 10.0


def bulk_rows(promptreg: Path, repo: BulkRepo, s: Settings) -> list[Row]:
    """`promptreg release` of every prompt: creating every tag, then with nothing to do; then
    `promptreg promote --all` of every (released) prompt to dev."""
    root, runs, n = repo.root, s.process_runs, f"{repo.count:,}"
    release = [str(promptreg), "release"]
    ours = ours_process(release, root, runs, before=lambda: delete_all_tags(repo)).median
    try:
        plain = time_process(
            plain_tag_loop(repo), root, 1, env=ENV, warmup=0, before=lambda: delete_all_tags(repo)
        ).median
    except RunFailed as err:
        raise BenchError(str(err)) from None
    rows = [
        Row(
            f"`promptreg release`, {n} prompts, none released yet ({n} tags created; process)",
            ours,
            f"shell loop of `git tag -a`, one a prompt (1 run; tags under {PLAIN_BULK_TAGS})",
            plain,
            RELEASE_NEW_GOAL,
        )
    ]
    delete_all_tags(repo)
    ours_process(release, root, 1)  # every prompt released: what the next row re-checks
    listing = ["git", "for-each-ref", "--format=%(refname)%00%(objectname)", "refs/tags/prompts/"]
    rows.append(
        Row(
            f"`promptreg release`, {n} prompts, all already released: nothing to do (process)",
            ours_process(release, root, runs).median,
            "`git for-each-ref` of the release tags (process)",
            alt_process(listing, root, runs),
            RELEASE_NOOP_GOAL,
        )
    )
    promote = [str(promptreg), "promote", "--all", "--to", "dev"]
    ours = ours_process(promote, root, runs, before=lambda: delete_deployments(repo, "dev")).median
    rows.append(
        Row(
            f"`promptreg promote --all --to dev`, {n} released prompts ({n} tags; process)",
            ours,
            "the shell loop of `git tag -a` above (same run)",
            plain,
            PROMOTE_ALL_GOAL,
        )
    )
    return rows


@section("hooks")
def _hooks(ctx: Context) -> list[Row]:
    return hook_rows(ctx.python, ctx.promptreg, ctx.repo("hooks"), ctx.settings)


@section("evals")
def _evals(ctx: Context) -> list[Row]:
    return eval_rows(ctx.python, ctx.promptreg, ctx.repo("evals"), ctx.settings)


@section("bulk")
def _bulk(ctx: Context) -> list[Row]:
    return bulk_rows(ctx.promptreg, ctx.repo("bulk"), ctx.settings)
