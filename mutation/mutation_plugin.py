"""A pytest plugin for mutation runs (`mutation/run.py` loads it with `-p mutation_plugin`).

mutmut runs, for each mutant, the tests that reach the mutated function, with `-x`: a killed
mutant costs the tests run before the first one that fails. Two things make that cost small
without changing which mutants are killed:

- **The cheapest likely killers first.** mutmut hands pytest the tests in no particular order
  (a set). Here they run in the order of their cost over their odds of killing the mutant:
  the cost is a test's whole time (setup, call and teardown: a fixture that makes a git
  repository is most of a test's cost), measured once in mutmut's "stats" run of the clean
  code and kept in `mutation-durations.json`; the odds grow with the mutants it has killed so
  far (`mutation-killers.log`, one line per kill), most with those of the same function. A
  mutant most tests notice dies in its first test instead of after the slow tests of pushes
  and races, and a slow test that killed a few mutants no longer runs before the cheap ones
  that kill the rest. The order changes no verdict: a survivor runs every test either way.
- **No garbage collection of what the fork server imported** (`gc.freeze`): pytest collects
  garbage in full at the end of every session, and a full collection of a process that has
  imported the whole product and its tests is most of a cheap mutant's cost.
- **Hypothesis without shrinking, derandomized.** A failing property test shrinks its example,
  which can take seconds per mutant and says nothing more about whether the mutant is killed.
  Derandomized, each property test tries the same examples in every run, so a run's verdicts
  are reproducible.

Nothing here runs in `make test`: the file is copied only into mutmut's scratch copy.
"""

from __future__ import annotations

import ast
import difflib
import functools
import gc
import json
import math
import os
import re
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

EXPLAINED = 34  # mutmut's exit status for "skipped"
CHECK_EXPLAINED = "MUTATION_CHECK_EXPLAINED"  # set: run explained mutants too
_MUTANT = re.compile(r"(?P<module>[\w.]+)\.(?P<function>x[_ǁ][^.]*)(?P<n>__mutmut_\d+)")
# In mutmut's `mutants/`, made absolute by pytest_configure: a test that changes the working
# directory (most tests of git do, to their repository) must not take the files with it.
DURATIONS = Path("mutation-durations.json")
KILLERS = Path("mutation-killers.log")  # function <TAB> test that killed one of its mutants
_stats = False  # this session is mutmut's stats run of the clean code (pytest_configure)
_measured: dict[str, float] = {}
_started: dict[str, float] = {}


def pytest_sessionstart(session: Any) -> None:
    """A mutant explained as equivalent in `equivalent.py` is not run: whatever its tests said,
    it would count the same (killed, or explained), so they would only cost time (a survivor
    runs every test that reaches its function, ~15 s in the read model). Exit status 34 is
    mutmut's "skipped"; run.py reports it with its explanation. `run.py --check-explained`
    runs them all the same: an explained mutant that a test kills is explained wrongly."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if _mutated_function() is None or os.environ.get(CHECK_EXPLAINED):
        return
    from equivalent import EQUIVALENT  # copied beside this file into mutmut's `mutants/`

    if (why := why_equivalent(mutant, mutant_diff(mutant, Path(".")), EQUIVALENT)) is not None:
        import pytest

        pytest.exit(f"explained as equivalent: {why}", returncode=EXPLAINED)


def mutant_diff(mutant: str, root: Path) -> list[str]:
    """The unified diff of the mutant `pkg.mod.x_fn__mutmut_7` against its original function,
    both named as in the source (`fn`), read from mutmut's mutated copy of the module under
    `root` (what `mutmut show` prints, without a subprocess). Empty: not found."""
    found = _MUTANT.fullmatch(mutant)
    if found is None:
        return []
    lines, functions = _functions(root / _path(found["module"]))
    mangled = found["function"]
    original = functions.get(mangled + "__mutmut_orig")
    changed = functions.get(mangled + found["n"])
    if original is None or changed is None:
        return []
    shown = mangled.rpartition("ǁ")[2] if "ǁ" in mangled else mangled.removeprefix("x_")

    def body(span: tuple[str, int, int]) -> list[str]:
        name, first, last = span  # a method's lines dedented, as `mutmut show` prints them
        text = textwrap.dedent("\n".join(lines[first - 1 : last]))
        return text.replace(name, shown).splitlines()

    return list(difflib.unified_diff(body(original), body(changed), lineterm=""))


def why_equivalent(mutant: str, diff: list[str], known: dict[str, dict[str, str]]) -> str | None:
    """Why the mutant is equivalent (None: not explained), from `known` (equivalent.py)."""
    line = explaining_line(mutant, diff, known)
    return None if line is None else known[_path(mutant.rpartition(".")[0])][line]


def explaining_line(mutant: str, diff: list[str], known: dict[str, dict[str, str]]) -> str | None:
    """The key of `known` (equivalent.py) that explains the mutant: a line it adds, or
    `-line` for a mutant that only removes that line. None: not explained."""
    found = _MUTANT.fullmatch(mutant)
    reasons = known.get(_path(found["module"]), {}) if found else {}
    added = [line[1:].strip() for line in diff if line[:1] == "+" and line[:3] != "+++"]
    if not added:
        added = ["-" + line[1:].strip() for line in diff if line[:1] == "-" and line[:3] != "---"]
    return next((line for line in added if line in reasons), None)


def _path(module: str) -> str:
    """`promptreg.registry.tags` -> `promptreg/registry/tags.py`, as equivalent.py names it."""
    return module.replace(".", "/") + ".py"


def _functions(path: Path) -> tuple[list[str], dict[str, tuple[str, int, int]]]:
    """A mutated module's lines, and each function's (name, first line, last line)."""
    try:
        info = path.stat()
    except OSError:
        return [], {}
    return _parsed(path, info.st_mtime_ns, info.st_size)  # mutmut writes the file anew


@functools.cache
def _parsed(
    path: Path, mtime_ns: int, size: int
) -> tuple[list[str], dict[str, tuple[str, int, int]]]:
    text = path.read_text(encoding="utf-8")
    spans = {
        node.name: (node.name, node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    return text.splitlines(), spans


def pytest_configure(config: Any) -> None:
    global DURATIONS, KILLERS, _stats
    DURATIONS, KILLERS = (Path(config.rootpath, path.name) for path in (DURATIONS, KILLERS))
    _stats = os.environ.get("MUTANT_UNDER_TEST") == "stats"
    if _stats:
        _keep_stats_in_this_process()
    if _mutated_function() is None:
        # In mutmut's fork server (and its stats run): parse the mutated modules once here, so
        # that every mutant's child, forked from it, finds them parsed (`_parsed` is cached):
        # the mutated copy of deploy.py is ~20,000 lines, ~0.4 s a parse.
        from equivalent import EQUIVALENT

        for module in EQUIVALENT:
            _functions(Path(module))
        _import_the_product()
    # Everything the fork server imported is here to stay: out of the collector's sight, the
    # full collections pytest runs at the end of each session (`gc_collect_harder`: ~0.2 s a
    # mutant in a forked child whose pages are shared) cost next to nothing.
    gc.freeze()
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutation",
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        database=None,
        derandomize=True,
        print_blob=False,
    )
    settings.load_profile("mutation")


def _import_the_product() -> None:
    """Import every module of promptreg in the fork server, so that each mutant's child finds
    them imported. The product imports most of its modules where they are first used (a short
    start for the CLI and the app), and mutmut's warm-up only collects the tests: each child
    imported again what its test used, compiling the mutated copies from source (mutmut's
    `mutants/` has no bytecode when PYTHONDONTWRITEBYTECODE is set, as under CI) — 0.55 s of a
    killed mutant's 0.6 s in deploy.py. Imported here, that cost is paid once per module run."""
    import importlib
    import pkgutil

    import promptreg

    for module in pkgutil.walk_packages(promptreg.__path__, "promptreg."):
        if module.name.rpartition(".")[2] != "__main__":  # that one runs the CLI
            importlib.import_module(module.name)


def _keep_stats_in_this_process() -> None:
    """mutmut's stats run records, in this process, which functions each test reaches. A test
    that runs promptreg in a subprocess (`python -m promptreg export --sign`) handed it
    MUTANT_UNDER_TEST=stats, and there mutmut looked for its configuration in the test's
    working directory and failed: exit 3, the test failed and so did the stats run. Without
    the variable, mutmut reads its process-local copy here, and a subprocess runs the code
    as it is (what it reaches is not recorded either way)."""
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test("stats")
    del os.environ["MUTANT_UNDER_TEST"]


def _mutated_function() -> str | None:
    """`pkg.mod.x_fn` for the mutant under test `pkg.mod.x_fn__mutmut_7` (None: no mutant)."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    function, sep, _ = name.rpartition("__mutmut_")
    return function if sep else None


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    function = _mutated_function()
    if function is None:
        return
    cost = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.is_file() else {}
    here: Counter[str] = Counter()  # kills of mutants of this function
    anywhere: Counter[str] = Counter()  # of the module's mutants
    for line in (KILLERS.read_text(encoding="utf-8") if KILLERS.is_file() else "").splitlines():
        killed, sep, test = line.partition("\t")
        if sep:
            anywhere[test] += 1
            here[test] += killed == function

    def cost_per_chance(item: Any) -> float:
        """A test's cost over its odds of killing this mutant, as its kills so far say: a test
        that killed this function's mutants counts ten times one that killed others'. A test
        not measured yet (added since the stats run) goes last: its cost is unknown."""
        chances = 1 + 10 * here[item.nodeid] + anywhere[item.nodeid]
        return cost.get(item.nodeid, math.inf) / chances

    items.sort(key=cost_per_chance)


def pytest_runtest_logreport(report: Any) -> None:
    function = _mutated_function()
    if function is not None and report.failed:
        # one short line, appended: the workers that run mutants side by side never interleave
        with KILLERS.open("a", encoding="utf-8") as log:
            log.write(f"{function}\t{report.nodeid}\n")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _started[nodeid] = time.perf_counter()


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if nodeid in _started:
        _measured[nodeid] = time.perf_counter() - _started.pop(nodeid)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if not _stats or not _measured:
        return
    known = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.is_file() else {}
    known.update(_measured)
    temporary = DURATIONS.with_suffix(".tmp")
    temporary.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
    temporary.replace(DURATIONS)
