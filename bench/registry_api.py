"""In-process registry timings, run by `run.py` with the project's interpreter. Prints JSON.

    python bench/registry_api.py first REPO NAME --order K     # one sample each, fresh process
    python bench/registry_api.py further REPO WARM1 WARM2 NAME... [--gitpython N]
    python bench/registry_api.py hot REPO NAME --batches 50 --per-batch 1000
    python bench/registry_api.py get-all REPO --runs 5

`first`: `Registry(REPO)` + the first `reg.get("NAME@prod")` (imports done), GitPython's object
model (`Repo(REPO)`, `repo.commit(tag).tree / path`, read the blob) and `git show TAG:PATH`
as a subprocess, in the order `--order` rotates to. `further`: a registry that has looked up
WARM1 and WARM2, then one uncached `get` of each NAME (and GitPython on the first N of them in
a Repo warmed the same way). `hot`: cached `get` and `render` of a resolved prompt, plus plain
jinja2 on the same body. `get-all`: `get_all("prod")` on a fresh Registry per sample, and
plain git listing + reading the same bytes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from registry_repo import newest_tag, prompt_path
from renders import measure, resolved_values

ENV = "prod"


def _clock(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _clock_each(call: Callable[[str], object], items: list[str]) -> list[float]:
    return [_clock(partial(call, item)) for item in items]


# -- first lookup ------------------------------------------------------------------------------


def gitpython_read(repo: Any, name: str) -> bytes:
    """GitPython's object model: the tag's commit, its tree, the file, the blob's bytes."""
    blob = repo.commit(newest_tag(name, ENV)).tree / prompt_path(name)
    data: bytes = blob.data_stream.read()
    return data


def _gitpython() -> Any:
    """The `git` module (GitPython), or None when it is not installed."""
    try:
        import git
    except ImportError:
        return None
    return git


def first(repo: Path, name: str, order: int) -> dict[str, float]:
    """One sample of each (GitPython left out when it is not installed)."""
    from promptreg import Registry

    git = _gitpython()

    tag, path = newest_tag(name, ENV), prompt_path(name)

    def ours() -> None:
        Registry(repo).get(f"{name}@{ENV}")

    def gitpython() -> None:
        gitpython_read(git.Repo(repo), name)

    def git_show() -> None:
        cmd = ["git", "show", f"{tag}:{path}"]
        subprocess.run(cmd, cwd=repo, capture_output=True, check=True)

    calls = [("promptreg", ours), ("gitpython", gitpython), ("git_show", git_show)]
    calls = [(label, call) for label, call in calls if git is not None or label != "gitpython"]
    shift = order % len(calls)
    return {label: _clock(call) for label, call in calls[shift:] + calls[:shift]}


# -- further lookups ---------------------------------------------------------------------------


def further(repo: Path, warm: list[str], names: list[str], gitpython: int) -> dict[str, Any]:
    """Seconds per uncached `get` in a registry that has looked up `warm`; and per GitPython
    read of the first `gitpython` names in a Repo that has read `warm`."""
    from promptreg import Registry

    reg = Registry(repo)
    for name in warm:
        reg.get(f"{name}@{ENV}")
    ours = _clock_each(lambda name: reg.get(f"{name}@{ENV}"), names)
    git = _gitpython()
    if git is None:
        return {"promptreg": ours, "gitpython": "not installed"}
    plain = git.Repo(repo)
    for name in warm:
        gitpython_read(plain, name)
    alt = _clock_each(lambda name: gitpython_read(plain, name), names[:gitpython])
    return {"promptreg": ours, "gitpython": alt}


# -- cached get and render ---------------------------------------------------------------------


def hot(repo: Path, name: str, batches: int, cap: int) -> dict[str, Any]:
    import jinja2

    from promptreg import Registry

    reg = Registry(repo)
    selector = f"{name}@{ENV}"
    prompt = reg.get(selector)
    values = resolved_values(prompt)
    plain_env = jinja2.Environment(loader=jinja2.FileSystemLoader(repo / "prompts"))
    plain = plain_env.from_string(prompt.body)
    return {
        "get": measure(lambda: reg.get(selector), batches, cap),
        "render": measure(lambda: prompt.render(**values), batches, cap),
        "jinja2": measure(lambda: plain.render(**values), batches, cap),
    }


# -- get_all -----------------------------------------------------------------------------------


def get_all(repo: Path, runs: int) -> dict[str, Any]:
    """`get_all` on a fresh Registry per sample (after one unmeasured), and the plain floor."""
    from promptreg import Registry

    ours, alt, count = [], [], 0
    for run in range(runs + 1):
        reg = Registry(repo)
        start = time.perf_counter()
        count = len(reg.get_all(ENV))
        elapsed = time.perf_counter() - start
        reg.close()
        plain = _clock(lambda: plain_read_env(repo))
        if run:
            ours.append(elapsed)
            alt.append(plain)
    return {"promptreg": ours, "plain": alt, "count": count}


def plain_read_env(repo: Path) -> int:
    """Plain git, no parsing: list every deployment tag with its commit, pick the newest `ENV`
    seq of each prompt, and read those files in one `git cat-file --batch`."""
    fmt = "--format=%(refname:strip=2) %(*objectname)"
    out = _git_out(repo, ["for-each-ref", fmt, "refs/tags/prompts/"])
    newest: dict[str, tuple[int, str]] = {}
    for line in out.decode("utf-8").splitlines():
        tag, _, commit = line.partition(" ")
        head, _, seq = tag.rpartition("/")
        name, _, env = head.removeprefix("prompts/").rpartition("@")
        if env == ENV and seq.isdigit() and int(seq) > newest.get(name, (0, ""))[0]:
            newest[name] = (int(seq), commit)
    specs = "".join(f"{commit}:{prompt_path(name)}\n" for name, (_, commit) in newest.items())
    data = _git_out(repo, ["cat-file", "--batch"], specs.encode("utf-8"))
    return data.count(b" blob ")


def _git_out(repo: Path, args: list[str], stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True)
    return proc.stdout


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("first")
    p.add_argument("repo", type=Path)
    p.add_argument("name")
    p.add_argument("--order", type=int, default=0)
    p = sub.add_parser("further")
    p.add_argument("repo", type=Path)
    p.add_argument("warm", nargs=2)
    p.add_argument("names", nargs="+")
    p.add_argument("--gitpython", type=int, default=0)
    p = sub.add_parser("hot")
    p.add_argument("repo", type=Path)
    p.add_argument("name")
    p.add_argument("--batches", type=int, default=50)
    p.add_argument("--per-batch", type=int, default=1000)
    p = sub.add_parser("get-all")
    p.add_argument("repo", type=Path)
    p.add_argument("--runs", type=int, default=5)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out: dict[str, Any]
    if args.what == "first":
        out = first(args.repo, args.name, args.order)
    elif args.what == "further":
        out = further(args.repo, args.warm, args.names, args.gitpython)
    elif args.what == "hot":
        out = hot(args.repo, args.name, args.batches, args.per_batch)
    else:
        out = get_all(args.repo, args.runs)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
