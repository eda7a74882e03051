"""promptreg benchmarks: `make bench` (`.venv/bin/python bench/run.py`).

Builds a synthetic, committed repository of 2,000 prompts under bench/.work/ (rebuilt when the
generator changes), a registry copy of it with 10,000 deployment tags (registry_repo.py), a
copy with a pre-commit config and a second commit that changes and bumps every prompt
(hooks_repo.py) and a scratch copy with a 1,000-case eval dataset (evals_repo.py), then
measures promptreg against plain alternatives in the same run and prints a Markdown
table. Missing a goal is reported in the table, not as a failure: the exit
status is non-zero only when something is broken (no venv, or promptreg fails on the synthetic
prompts, which are all valid by construction).

    .venv/bin/python bench/run.py            # full run (~5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # fewer repetitions, no 200 ms-a-request eval
    .venv/bin/python bench/run.py --write    # also rewrite the table in bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulk_repo import (
    PLAIN_BULK_TAGS,
    BulkRepo,
    delete_all_tags,
    delete_deployments,
    ensure_bulk_repo,
    plain_tag_loop,
)
from evals_repo import SLOW_S, EvalsRepo, ensure_evals_repo
from hooks_repo import HooksRepo, ensure_hooks_repo
from registry_repo import (
    PLAIN_TAGS,
    REGISTRY_VERSION,
    RegistryRepo,
    ensure_registry,
    newest_tag,
    prompt_path,
    reset_bench_tags,
)
from synthetic import GENERATOR_VERSION, ensure_repo
from timing import RunFailed, Timing, process_env, time_process, time_runs

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH / "RESULTS.md"
# pre-commit keeps its store (a sqlite db; nothing is installed for `language: unsupported`)
# under bench/.work/, not in ~/.cache.
ENV = {**process_env(WORK / "pycache"), "PRE_COMMIT_HOME": str(WORK / "pre-commit")}
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
    further: int  # prompts looked up one by one in a warm registry
    gitpython: int  # of those, how many GitPython also reads (~30 ms each)
    slow_eval_runs: int  # runs of the ~13 s eval with a 200 ms runner (0: skipped)
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
    if seconds < 10e-3:
        return f"{seconds * 1e3:.2f} ms"
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


def ours_process(
    cmd: list[str], cwd: Path, runs: int, before: Callable[[], object] | None = None
) -> Timing:
    try:
        return time_process(cmd, cwd, runs, env=ENV, before=before)
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


# -- registry (issue 3) ------------------------------------------------------------------------

FIRST_GET_GOAL, FURTHER_GET_GOAL, CACHED_GET_GOAL = 10e-3, 1e-3, 5e-6
RENDER_GOAL, APP_START_GOAL, GET_ALL_GOAL = 20e-6, 0.100, 1.0
HISTORY_GOAL, PROMOTE_GOAL = 0.300, 0.500


def clear_code_cache(repo: RegistryRepo) -> None:
    shutil.rmtree(repo.code_cache, ignore_errors=True)


def api_json(python: Path, args: list[str]) -> Any:
    """Run `registry_api.py` (a fresh process) and return what it printed."""
    cmd = [str(python), str(BENCH / "registry_api.py"), *args]
    proc = subprocess.run(cmd, cwd=BENCH, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"registry timing failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return json.loads(proc.stdout)


def app_start_rows(python: Path, repo: RegistryRepo, name: str, s: Settings) -> list[Row]:
    """Row 1: a whole fresh process that imports promptreg and resolves one prompt."""
    code = f"import promptreg; reg = promptreg.Registry('.'); reg.get('{name}@prod')"
    show = ["git", "show", f"{newest_tag(name, 'prod')}:{prompt_path(name)}"]
    alts = [
        ("`python -c 'pass'`", alt_process([str(python), "-c", "pass"], repo.root, s.startup_runs)),
        ("`git show TAG:PATH` (process)", alt_process(show, repo.root, s.startup_runs)),
    ]
    rows = []
    for cache, before in (("cold", lambda: clear_code_cache(repo)), ("warm", None)):
        timing = ours_process([str(python), "-c", code], repo.root, s.startup_runs, before)
        what = (
            f"app start: `import promptreg`, `Registry('.')`, first `get('{name}@prod')`; "
            f"code cache {cache} (process)"
        )
        rows += [Row(what, timing.median, label, alt, APP_START_GOAL) for label, alt in alts]
    return rows


def first_get_rows(python: Path, repo: RegistryRepo, name: str, s: Settings) -> list[Row]:
    """Row 2: `Registry` + first `get` after import, one sample per fresh process."""
    labels = {
        "gitpython": "GitPython `Repo(path).commit(tag).tree / path` + read blob",
        "git_show": "`subprocess.run(['git', 'show', 'TAG:PATH'])`",
    }
    rows = []
    for cache, before in (("warm", None), ("cold", lambda: clear_code_cache(repo))):
        samples: dict[str, list[float]] = {"promptreg": [], **{k: [] for k in labels}}
        for order in range(s.startup_runs):
            if before is not None:
                before()
            args = ["first", str(repo.root), name, "--order", str(order)]
            for key, seconds in api_json(python, args).items():
                samples[key].append(seconds)
        ours = statistics.median(samples["promptreg"])
        what = (
            f"`Registry(path)` + first `get('{name}@prod')` after import; code cache {cache} "
            "(in-process, 1 sample per process)"
        )
        for key, label in labels.items():
            alt = _median_or(samples[key], "not installed")
            rows.append(Row(what, ours, label, alt, FIRST_GET_GOAL))
            if isinstance(alt, float):
                ratio = f"{ours / alt:.2f}×"
                print(
                    f"first get, code cache {cache}: promptreg / {key} = {ratio}", file=sys.stderr
                )
    return rows


def _median_or(samples: list[float] | str, why: str) -> float | str:
    """The samples' median; `why` when there are none, or what the script said instead."""
    if isinstance(samples, str):
        return samples
    return statistics.median(samples) if samples else why


def further_get_rows(python: Path, repo: RegistryRepo, s: Settings) -> list[Row]:
    """Row 3: uncached `get` of further prompts in a registry that has looked up two."""
    names = repo.names
    warm, others = names[:2], [n for n in names[3::6] if n != repo.promoted][: s.further]
    args = ["further", str(repo.root), *warm, *others, "--gitpython", str(s.gitpython)]
    clear_code_cache(repo)
    rows = []
    for cache in ("cold", "warm"):  # the cold run fills the cache the warm run reads
        data = api_json(python, args)
        ours, alt = statistics.median(data["promptreg"]), _median_or(data["gitpython"], "—")
        what = (
            f"further uncached `get(name@prod)` in a warm registry; code cache {cache} "
            f"(median of {len(others)} prompts)"
        )
        label = f"GitPython object model, warm `Repo` (first {s.gitpython} of them)"
        rows.append(Row(what, ours, label, alt, FURTHER_GET_GOAL))
    return rows


def hot_rows(python: Path, repo: RegistryRepo, name: str, s: Settings) -> list[Row]:
    """Row 4: a cached `get`, and `render` of the resolved prompt."""
    args = ["hot", str(repo.root), name, "--batches", str(s.batches)]
    data = api_json(python, [*args, "--per-batch", str(s.per_batch)])
    get = Row(
        f"cached `get('{name}@prod')`", data["get"]["median"], "—", None, CACHED_GET_GOAL, "us"
    )
    render = Row(
        f"`render` of the resolved `{name}@prod`",
        data["render"]["median"],
        "plain jinja2 `Template.render`",
        data["jinja2"]["median"],
        RENDER_GOAL,
        "us",
    )
    return [get, render]


def cli_registry_rows(promptreg: Path, repo: RegistryRepo, name: str, s: Settings) -> list[Row]:
    """Row 5: `promptreg history` and `promptreg promote` as whole processes."""
    root, runs = repo.root, s.startup_runs
    fmt = "%(refname:strip=2)%00%(taggername)%00%(taggerdate:iso)%00%(contents)"
    listing = ["git", "for-each-ref", "--sort=-taggerdate", f"--format={fmt}"]
    listing.append(f"refs/tags/prompts/{name}@*/*")
    history = ours_process([str(promptreg), "history", name], root, runs).median
    rows = [
        Row(
            f"`promptreg history {name}` (process)",
            history,
            "`git for-each-ref` of its tags with messages (process)",
            alt_process(listing, root, runs),
            HISTORY_GOAL,
        )
    ]
    first, second = repo.versions

    def promote(i: int) -> list[str]:  # dev runs `first` at the start: alternate from `second`
        version = second if i % 2 == 0 else first
        cmd = [str(promptreg), "promote", repo.promoted, "--to", "dev", "--version", version]
        return [*cmd, "--reason", "bench"]

    try:
        ours = time_runs(promote, root, runs, env=ENV).median
        plain = time_runs(
            lambda i: ["git", "tag", "-a", "-m", "bench", f"{PLAIN_TAGS}{i}", "HEAD"],
            root,
            runs,
            env=ENV,
        ).median
    except RunFailed as err:
        raise BenchError(str(err)) from None
    finally:
        reset_bench_tags(repo)
    what = (
        f"`promptreg promote {repo.promoted} --to dev --version V` (process; V alternates "
        f"{second}, {first}: each run creates a tag)"
    )
    rows.append(Row(what, ours, "`git tag -a` (process)", plain, PROMOTE_GOAL))
    return rows


def get_all_rows(python: Path, repo: RegistryRepo, s: Settings) -> list[Row]:
    """Row 6: `get_all("prod")` in-process, a fresh Registry per sample."""
    data = api_json(python, ["get-all", str(repo.root), "--runs", str(s.process_runs)])
    if data["count"] != repo.count:
        raise BenchError(f"get_all('prod') returned {data['count']} prompts, not {repo.count}")
    what = f"`get_all('prod')`, {repo.count:,} prompts (in-process, fresh `Registry`)"
    label = "plain git: `for-each-ref` + one `cat-file --batch` of the files, no parsing"
    alt = statistics.median(data["plain"])
    return [Row(what, statistics.median(data["promptreg"]), label, alt, GET_ALL_GOAL)]


def registry_rows(python: Path, promptreg: Path, repo: RegistryRepo, s: Settings) -> list[Row]:
    name = repo.names[1]  # the prompt with an include (as `promptreg show` above)
    reset_bench_tags(repo)
    rows = app_start_rows(python, repo, name, s)
    rows += first_get_rows(python, repo, name, s)
    rows += further_get_rows(python, repo, s)
    rows += hot_rows(python, repo, name, s)
    rows += get_all_rows(python, repo, s)
    rows += cli_registry_rows(promptreg, repo, name, s)
    return rows


# -- pre-commit hooks (issue 4) ----------------------------------------------------------------

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
    built: tuple[bool, bool, bool, bool],
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
        + (" (rebuilt this run)" if built[0] else ""),
        f"Registry repo: the same prompts + {5 * s.count:,} deployment tags (packed), "
        f"registry generator v{REGISTRY_VERSION}" + (" (rebuilt this run)" if built[1] else ""),
        "Hooks repo: the same prompts + a commit with `.pre-commit-config.yaml` (BASE) + a commit "
        "changing and bumping every prompt (HEAD); `repo: local` hooks, `language: unsupported`, "
        "run from this checkout's .venv: no hook environment is installed or measured"
        + (" (rebuilt this run)" if built[2] else ""),
        "Evals repo: the same prompts, one of them with a 1,000-case dataset and 3 metrics, "
        "python runners in the copy" + (" (rebuilt this run)" if built[3] else ""),
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


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="prompts in the synthetic repo")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--runs", type=int, help="runs per process measurement (default 5)")
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {RESULTS}")
    args = parser.parse_args(argv)
    if args.n < 3:  # the registry rows promote prompt #2 and look up #0 and #1 first
        parser.error("--n must be at least 3")
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
    )


def main(argv: list[str] | None = None) -> int:
    s = parse_args(argv)
    load_before = load_average()
    code_before = code_state()[1]
    try:
        python, promptreg = venv_tools()
        repo, manifest, built = ensure_repo(WORK, s.count)
        print(f"repo: {repo} ({'built' if built else 'reused'})", file=sys.stderr)
        registry, registry_built = ensure_registry(WORK, repo, s.count)
        print(
            f"registry: {registry.root} ({'built' if registry_built else 'reused'})",
            file=sys.stderr,
        )
        hooks, hooks_built = ensure_hooks_repo(WORK, repo, python)
        print(f"hooks: {hooks.root} ({'built' if hooks_built else 'reused'})", file=sys.stderr)
        evals, evals_built = ensure_evals_repo(WORK, repo, manifest["without_include"])
        print(f"evals: {evals.root} ({'built' if evals_built else 'reused'})", file=sys.stderr)
        check_validate_clean(promptreg, repo)
        rows = validate_rows(python, promptreg, repo, s)
        rows += render_rows(python, repo, manifest, s)
        rows += startup_rows(python, promptreg, repo, s)
        rows += info_rows(promptreg, repo, manifest, s)
        rows += registry_rows(python, promptreg, registry, s)
        from registry_site import site_rows  # (issue 11; imports this module: here, not on top)

        rows += site_rows(promptreg, registry, s)
        rows += hook_rows(python, promptreg, hooks, s)
        rows += eval_rows(python, promptreg, evals, s)
        rows += bulk_rows(promptreg, ensure_bulk_repo(WORK, repo, s.count), s)
    except (BenchError, subprocess.CalledProcessError) as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 1
    built_all = (built, registry_built, hooks_built, evals_built)
    text = report(rows, s, built_all, load_before, code_before)
    print(text)
    if s.write:
        write_results(text)
        print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
