"""Application start rows (issue 9 §2), as ratios to the floor in the same run.

The floor is `python -c "import jinja2.sandbox"`: Python plus the template engine promptreg
renders with. The application is a whole process doing `from promptreg import Registry;
Registry(".").get("NAME@prod").render(**sample)`, with the code cache warm (goal: floor +
30 ms) and cold (deleted before each run: floor + 60 ms), from this checkout's editable
install and from a normal install of the wheel (built into a venv of its own under
bench/.work/, its dependencies taken from .venv through a .pth file). Also: the first `get`
of a deployment whose tag records a forced promotion (overrides, a reason of two lines),
against a plain one (goal: the same, within 3 ms), and `validate` of a fresh clone (no
cache) and warm.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

from common import ENV, ROOT, WORK, BenchError, Context, Row, section
from registry_repo import RegistryRepo
from timing import Measured, RunFailed, time_interleaved

WARM_OVER_FLOOR, COLD_OVER_FLOOR, FORCED_OVER_PLAIN = 0.030, 0.060, 0.003
VALIDATE_COLD_GOAL, VALIDATE_WARM_GOAL = 1.5, 0.5
FLOOR = "import jinja2.sandbox"
APP = (
    "from promptreg import Registry; p = Registry('.').get('{name}@prod'); "
    "p.render(**(p.spec.sample or {{}}))"
)
FIRST_GET = """
import json, sys, time
from promptreg import Registry
start = time.perf_counter()
Registry(sys.argv[1]).get(sys.argv[2])
print(json.dumps([time.perf_counter() - start, "yaml" in sys.modules]))
"""
REASON = "bench: forced promotion\nwith a reason of two lines"


def wheel_python() -> Path:
    """A venv under bench/.work/ with promptreg installed from a freshly built wheel (its
    dependencies from .venv's site-packages, through a .pth file: no editable finder)."""
    venv, dist = WORK / "wheel-venv", WORK / "wheel-dist"
    shutil.rmtree(dist, ignore_errors=True)
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)]
    proc = subprocess.run(build, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"building the wheel failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    (wheel,) = dist.glob("*.whl")
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--no-index", str(wheel)], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "bench-deps.pth").write_text(sysconfig.get_path("purelib") + "\n", "utf-8")
    return python


def app_rows(ctx: Context, repo: RegistryRepo, name: str) -> list[Row]:
    """The floor and the four application starts, interleaved (see `time_interleaved`)."""
    root, code = repo.root, APP.format(name=name)

    def clear() -> None:
        shutil.rmtree(repo.code_cache, ignore_errors=True)

    installs = {"editable install": ctx.python, "wheel install": wheel_python()}
    commands = {"floor": Measured([str(ctx.python), "-c", FLOOR])}
    for install, python in installs.items():
        commands[f"warm; {install}"] = Measured([str(python), "-c", code])
        commands[f"cold; {install}"] = Measured([str(python), "-c", code], clear)
    try:
        took = time_interleaved(commands, root, ctx.settings.startup_runs, env=ENV)
    except RunFailed as err:
        raise BenchError(str(err)) from None
    floor = took.pop("floor").median
    label = f"`python -c '{FLOOR}'` (the floor, interleaved)"
    rows = []
    for case, timing in took.items():
        over = WARM_OVER_FLOOR if case.startswith("warm") else COLD_OVER_FLOOR
        what = (
            f"app start to first render: import, `Registry('.')`, `get('{name}@prod')`, "
            f"`render`; code cache {case} (process)"
        )
        rows.append(Row(what, timing.median, label, floor, floor + over))
    return rows


def forced_rows(ctx: Context, repo: RegistryRepo, plain: str) -> list[Row]:
    """First `get` after import of a forced promotion's deployment vs a plain one's."""
    second = repo.versions[1]
    forced = repo.promoted
    cmd = [str(ctx.promptreg), "promote", forced, "--to", "staging", "--version", second]
    cmd += ["--force", "--reason", REASON]
    proc = subprocess.run(cmd, cwd=repo.root, env=ENV, capture_output=True, text=True)
    try:
        if proc.returncode != 0 or "overridden" not in proc.stdout + proc.stderr:
            raise BenchError(f"the forced promotion failed:\n{proc.stdout}{proc.stderr}")
        samples: dict[str, list[float]] = {forced: [], plain: []}
        yaml = False
        for i in range(ctx.settings.startup_runs + 1):
            for name in (forced, plain) if i % 2 else (plain, forced):
                args = [str(ctx.python), "-c", FIRST_GET, str(repo.root), f"{name}@staging"]
                out = subprocess.run(args, cwd=repo.root, env=ENV, capture_output=True, text=True)
                if out.returncode != 0:
                    raise BenchError(f"first get failed:\n{out.stderr[-3000:]}")
                seconds, imported = json.loads(out.stdout)
                yaml = yaml or imported
                if i:  # the first round warms the cache
                    samples[name].append(seconds)
    finally:
        _drop_forced_tags(repo)
    ours, alt = statistics.median(samples[forced]), statistics.median(samples[plain])
    what = (
        "`Registry(path)` + first `get` after import of a deployment whose tag records a "
        "forced promotion (overrides, two-line reason); code cache warm"
        + ("; **imported PyYAML**" if yaml else "; no PyYAML imported")
    )
    label = "the same for a plain deployment (same run)"
    return [Row(what, ours, label, alt, alt + FORCED_OVER_PLAIN)]


def _drop_forced_tags(repo: RegistryRepo) -> None:
    from promptreg.registry.tags import deployments_prefix

    prefix = f"refs/tags/{deployments_prefix(repo.promoted, 'staging')}"
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", prefix],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for ref in out.split():
        if int(ref.rsplit("/", 1)[1]) > 1:  # seeded: one staging deployment
            subprocess.run(["git", "update-ref", "-d", ref], cwd=repo.root, check=True)


def validate_start_rows(ctx: Context) -> list[Row]:
    """`promptreg validate` of a fresh clone (no cache: cloned again before each run), and
    warm (the same clone, after a run filled its cache), interleaved with the floor."""
    clone = WORK / "clone"

    def fresh() -> None:
        shutil.rmtree(clone, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(ctx.repo_root), str(clone)], check=True)

    fresh()
    cmd = [str(ctx.promptreg), "validate"]
    commands = {
        "floor": Measured([str(ctx.python), "-c", FLOOR]),
        "cold": Measured(cmd, fresh),
        "warm": Measured(cmd),
    }
    try:
        took = time_interleaved(commands, clone, ctx.settings.process_runs, env=ENV)
    except RunFailed as err:
        raise BenchError(str(err)) from None
    floor = took["floor"].median
    label = f"`python -c '{FLOOR}'` (interleaved)"
    what = f"`promptreg validate`, {ctx.settings.count:,} prompts"
    return [
        Row(f"{what}, fresh clone: no cache (process)", took["cold"].median, label, floor,
            VALIDATE_COLD_GOAL),
        Row(f"{what}, cache warm (process)", took["warm"].median, label, floor,
            VALIDATE_WARM_GOAL),
    ]  # fmt: skip


@section("start")
def _start(ctx: Context) -> list[Row]:
    repo = ctx.repo("registry")
    name = repo.names[1]  # the prompt with an include (as in the registry rows)
    rows = app_rows(ctx, repo, name)
    rows += forced_rows(ctx, repo, name)
    return rows + validate_start_rows(ctx)
