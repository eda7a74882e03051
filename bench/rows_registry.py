"""Registry rows (issue 3): application start, first/further/cached `get`, `render` of a
resolved prompt, `get_all`, `history` and `promote`, on the registry repository."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    ENV,
    BenchError,
    Context,
    Row,
    Settings,
    alt_process,
    ours_process,
    section,
)
from registry_repo import PLAIN_TAGS, RegistryRepo, newest_tag, prompt_path, reset_bench_tags
from timing import RunFailed, time_runs

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


@section("registry")
def _registry(ctx: Context) -> list[Row]:
    return registry_rows(ctx.python, ctx.promptreg, ctx.repo("registry"), ctx.settings)
