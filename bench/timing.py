"""Timing helpers: whole-process runs and in-process batches, each reduced to a median."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class RunFailed(Exception):
    """A measured command exited non-zero (or could not start)."""

    def __init__(self, cmd: Sequence[str], code: int | None, output: str) -> None:
        shown = " ".join(cmd)
        super().__init__(f"`{shown}` exited {code}:\n{output[-3000:]}")
        self.code = code
        self.output = output


@dataclass(frozen=True)
class Timing:
    """Seconds per run (or per call), median and spread of the samples."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)


def process_env(pycache: Path) -> dict[str, str]:
    """The environment for measured processes: bytecode cached (as after `pip install`), in a
    directory of the bench's own, even when the caller set PYTHONDONTWRITEBYTECODE."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_once(cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> float:
    """Wall time of one whole process; raises `RunFailed` on a non-zero exit."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except OSError as err:
        raise RunFailed(cmd, None, str(err)) from None
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RunFailed(cmd, proc.returncode, proc.stdout + proc.stderr)
    return elapsed


def time_process(
    cmd: Sequence[str],
    cwd: Path,
    runs: int,
    *,
    env: Mapping[str, str] | None = None,
    warmup: int = 1,
    before: Callable[[], object] | None = None,
) -> Timing:
    """Wall times of `runs` whole-process runs after `warmup` unmeasured ones."""
    return time_runs(lambda _: cmd, cwd, runs, env=env, warmup=warmup, before=before)


def time_runs(
    command: Callable[[int], Sequence[str]],
    cwd: Path,
    runs: int,
    *,
    env: Mapping[str, str] | None = None,
    warmup: int = 1,
    before: Callable[[], object] | None = None,
) -> Timing:
    """Like `time_process`, but run i (warm-ups counted) runs `command(i)`, and `before()`
    (not timed) runs before each run: to alternate arguments or to clear a cache."""
    samples = []
    for i in range(warmup + runs):
        if before is not None:
            before()
        elapsed = run_once(command(i), cwd, env)
        if i >= warmup:
            samples.append(elapsed)
    return Timing(tuple(samples))


@dataclass(frozen=True)
class Measured:
    """A command of an interleaved measurement, and what to do (untimed) before each run."""

    cmd: Sequence[str]
    before: Callable[[], object] | None = None


def time_interleaved(
    commands: Mapping[str, Measured],
    cwd: Path,
    runs: int,
    *,
    env: Mapping[str, str] | None = None,
    warmup: int = 1,
) -> dict[str, Timing]:
    """Whole-process wall times of several commands, run in rounds: each command once per
    round, in an order that rotates every round. On a shared machine the load changes from
    second to second; measured one after the other, a floor and what is compared with it
    would see different loads, interleaved they see the same."""
    labels = list(commands)
    samples: dict[str, list[float]] = {label: [] for label in labels}
    for i in range(warmup + runs):
        shift = i % len(labels)
        for label in labels[shift:] + labels[:shift]:
            measured = commands[label]
            if measured.before is not None:
                measured.before()
            elapsed = run_once(measured.cmd, cwd, env)
            if i >= warmup:
                samples[label].append(elapsed)
    return {label: Timing(tuple(s)) for label, s in samples.items()}


def batch_size_for(call: Callable[[], object], target_s: float, cap: int) -> int:
    """How many calls fill about `target_s` (at least 10, at most `cap`)."""
    call()  # the first call may compile or fill caches: leave it out
    start = time.perf_counter_ns()
    for _ in range(10):
        call()
    per_call = (time.perf_counter_ns() - start) / 10 / 1e9
    return max(10, min(cap, int(target_s / max(per_call, 1e-9))))


def time_calls(call: Callable[[], object], batches: int, per_batch: int) -> Timing:
    """Seconds per call: each sample is one batch of `per_batch` calls, divided."""
    for _ in range(per_batch):  # warm-up batch: compile, caches, allocator
        call()
    samples = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(per_batch):
            call()
        samples.append((time.perf_counter_ns() - start) / per_batch / 1e9)
    return Timing(tuple(samples))
