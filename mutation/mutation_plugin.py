"""A pytest plugin for mutation runs (`mutation/run.py` loads it with `-p mutation_plugin`).

mutmut runs, for each mutant, the tests that reach the mutated function, with `-x`: a killed
mutant costs the tests run before the first one that fails. Two things make that cost small
without changing which mutants are killed:

- **The likely killers first, then the cheapest tests.** mutmut hands pytest the tests in no
  particular order (a set). Here the tests that already killed other mutants of the same
  function run first (most kills first: `mutation-killers.log`, one line per kill), then the
  rest in the order of their whole cost (setup, call and teardown: a fixture that makes a git
  repository is most of a test's cost), measured once in mutmut's "stats" run of the clean
  code and kept in `mutation-durations.json`. A mutant most tests notice dies in its first test
  instead of after the slow tests of pushes and races. The order changes no verdict: a
  survivor runs every test either way.
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

import gc
import json
import math
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

DURATIONS = Path("mutation-durations.json")  # in mutmut's `mutants/`, the tests' working dir
KILLERS = Path("mutation-killers.log")  # function <TAB> test that killed one of its mutants
_measured: dict[str, float] = {}
_started: dict[str, float] = {}


def pytest_configure(config: Any) -> None:
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


def _stats_run() -> bool:
    """mutmut's run of the clean code that records which tests reach which function."""
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


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
    kills = Counter(
        test
        for line in (KILLERS.read_text(encoding="utf-8") if KILLERS.is_file() else "").splitlines()
        for killed, sep, test in [line.partition("\t")]
        if sep and killed == function
    )
    # a test not measured yet (added since the stats run) goes last: its cost is unknown
    items.sort(key=lambda item: (-kills[item.nodeid], cost.get(item.nodeid, math.inf)))


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
    if not _stats_run() or not _measured:
        return
    known = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.is_file() else {}
    known.update(_measured)
    temporary = DURATIONS.with_suffix(".tmp")
    temporary.write_text(json.dumps(known, sort_keys=True), encoding="utf-8")
    temporary.replace(DURATIONS)
