"""Run one function over chunks of work on every core: this process takes the first chunk,
a forked child each of the others, and each child sends its result back through a pipe.

Why not `concurrent.futures.ProcessPoolExecutor`: importing it (with `multiprocessing`) costs
this process ~25 ms before any work starts, a serial cost that is ~5 % of a warm `validate` of
2,000 prompts; and its parent only waits while its workers run, so `--jobs 2` forked two
workers and left a core's worth of process idle in between. A fork shares everything the parent
has imported and read (config, partials); the results are small (findings). Where `fork` is not
the platform's way (Windows, macOS), the executor is used as before.
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


def can_fork() -> bool:
    """Whether `fan_out` forks (as `multiprocessing` does by default on Linux)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def fan_out(work: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
    """`[work(c) for c in chunks]`, each chunk after the first in a forked child (what a
    child must not share with its parent, such as a database connection, is reset by the
    modules that hold it, with `os.register_at_fork`). An exception in a child is raised
    here (as itself when it pickles, else a RuntimeError with its text); a child that dies
    without answering is a RuntimeError."""
    children: list[tuple[int, int]] = []
    try:
        for chunk in chunks[1:]:
            children.append(_fork(work, chunk))
        results = [work(chunks[0])] if chunks else []
        while children:
            pid, fd = children.pop(0)
            results.append(_collect(pid, fd))
        return results
    finally:
        for pid, fd in children:  # something failed first: leave no child behind
            os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _fork(work: Callable[[T], R], chunk: T) -> tuple[int, int]:
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
            answer = _OK + pickle.dumps(work(chunk))
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
