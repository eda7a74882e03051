"""Run one function over batches of items on every core: this process and forked children
take the next batch as soon as they are free, and each child sends its results back through
a pipe.

Why not `concurrent.futures.ProcessPoolExecutor`: importing it (with `multiprocessing`) costs
this process ~25 ms before any work starts, a serial cost that is ~5 % of a warm `validate` of
2,000 prompts; its parent only waits while its workers run; and one chunk per worker, fixed in
advance, leaves a core idle whenever one worker is slowed (a busy machine) while the other has
finished. Here the batches are numbers in a pipe that every process reads from (a read of a
few bytes from a pipe is atomic), so the work balances itself with no lock and no manager. A
fork shares everything the parent has imported and read (config, partials); the results are
small (findings). Where `fork` is not the platform's way (Windows, macOS), `can_fork` is False
and the caller uses the executor.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_OK, _FAILED = b"0", b"1"
_TOKEN = 4  # bytes per batch number in the pipe
_MAX_BATCHES = 1024  # 4 KiB of numbers, written before any read: what any pipe holds


def can_fork() -> bool:
    """Whether `fan_out` may be used (fork is how `multiprocessing` starts workers on Linux)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def batches_of(items: Sequence[T], processes: int) -> list[Sequence[T]]:
    """`items` in batches small enough to balance (~16 a process, at most 32 items each)
    and few enough for the pipe."""
    size = max(1, min(32, len(items) // (processes * 16)), -(-len(items) // _MAX_BATCHES))
    return [items[i : i + size] for i in range(0, len(items), size)]


def fan_out(
    work: Callable[[T], list[R]],
    batches: Sequence[T],
    *,
    processes: int,
    finish: Callable[[], None] = lambda: None,
) -> list[R]:
    """Every result of `work(batch)` over `batches`, in no particular order, computed in this
    process and `processes - 1` forked children; each process calls `finish()` when no batch
    is left (a child ends with `os._exit`: no atexit handler runs there). What a child must
    not share with its parent, such as a database connection, is reset by the modules that
    hold it (`os.register_at_fork`). An exception in a child is raised here (as itself when
    it pickles, else a RuntimeError with its text); a child that dies without answering is a
    RuntimeError."""
    if len(batches) > _MAX_BATCHES:
        raise ValueError(f"at most {_MAX_BATCHES} batches")
    queue, feed = os.pipe()
    with os.fdopen(feed, "wb") as out:  # closed before any fork: readers see the end
        out.write(b"".join(i.to_bytes(_TOKEN, "little") for i in range(len(batches))))
    children: list[tuple[int, int]] = []
    try:
        for _ in range(processes - 1):
            children.append(_fork(lambda: _drain(work, batches, queue, finish)))
        results = _drain(work, batches, queue, finish)
        while children:
            pid, fd = children.pop(0)
            results.extend(_collect(pid, fd))
        return results
    finally:
        os.close(queue)
        for pid, fd in children:  # something failed first: leave no child behind
            os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _drain(
    work: Callable[[T], list[R]], batches: Sequence[T], queue: int, finish: Callable[[], None]
) -> list[R]:
    results: list[R] = []
    try:
        while token := os.read(queue, _TOKEN):
            results.extend(work(batches[int.from_bytes(token, "little")]))
    finally:
        finish()
    return results


def _fork(run: Callable[[], object]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # The child: whatever happens, it ends here with os._exit (no atexit handlers, no flush of
    # the parent's buffered output a second time, no return into the parent's call stack).
    status = 1
    try:
        os.close(read_fd)
        try:
            answer = _OK + pickle.dumps(run())
        except Exception as err:  # every failure goes back to the parent
            answer = _FAILED + _pickled_error(err)
        with os.fdopen(write_fd, "wb") as out:
            out.write(answer)
        status = 0
    finally:
        os._exit(status)


def _pickled_error(err: Exception) -> bytes:
    try:
        return pickle.dumps(err)
    except Exception:  # one that does not pickle: its text
        return pickle.dumps(RuntimeError(f"{type(err).__name__}: {err}"))


def _collect(pid: int, fd: int) -> Any:
    with os.fdopen(fd, "rb") as answers:
        data = answers.read()
    _, status = os.waitpid(pid, 0)
    if data[:1] == _OK:
        return pickle.loads(data[1:])
    if data[:1] == _FAILED:
        raise pickle.loads(data[1:])
    raise RuntimeError(f"a worker process ended without an answer (wait status {status})")
