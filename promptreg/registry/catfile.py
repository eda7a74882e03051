"""The one persistent `git cat-file --batch` process a `GitStore` reads objects through.

Spawning git costs ~2 ms; a blob read through the running batch process costs ~0.1 ms. Many
objects go in one pipelined exchange: requests that fit the pipe's buffer are written at once,
larger ones by a second thread while the answers are read, so N objects cost one round trip
and neither side can block the other on a full pipe. The process is shared by every thread of
the store (one lock), started on first use and restarted if it dies.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from promptreg.errors import GitError

if TYPE_CHECKING:
    import subprocess

    from promptreg.registry.objectmemo import ObjectMemo

# Requests up to this size are written before reading answers: a pipe buffers at least 4 KiB
# (POSIX) and 64 KiB on Linux, so the write cannot block while git waits for us to read.
_PIPE_SAFE = 4096
# The largest object read into memory. Anyone who can push can make a commit whose prompt
# file is 400 MB of one letter (a few hundred KB packed): `get` of the environment a forged
# tag names read it whole (3.5 GB, 100 s) to find it does not check out. An object over this
# is drained and answered as type OVERSIZE with no bytes, which no reader takes for a file.
MAX_OBJECT_BYTES = 32 * 1024 * 1024
# Tag objects are read by the hundred (every tag of an environment) and held together: a
# deployment message is a few hundred bytes, signed a few KB. Six pushed tags with 30 MB
# messages cost 180 MB per read of the environment, a hundred 3 GB.
MAX_TAG_BYTES = 64 * 1024
# And all the tag objects one read asks for together (`get_all`, `status`, `history` read
# every tag of an environment or a prompt at once): a thousand pushed tags of 64 KB each
# would be 64 MB held at once, a million 64 GB. Far above what deployments need (a message
# is ~500 bytes, signed ~1.5 KB: 100,000 deployments read at once fit). Over it, the read
# fails (GitError) rather than hold more.
MAX_TAGS_TOTAL_BYTES = 128 * 1024 * 1024
OVERSIZE = "oversize"


class BatchReader:
    """`git cat-file --batch` in `root`, with the environment `env`. Thread-safe."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self._root = root
        self._env = env
        self._batch: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._memo: ObjectMemo | None = None

    @contextmanager
    def remembering(self, memo: ObjectMemo | None) -> Iterator[None]:
        """Meanwhile, answer names that cannot change from `memo` and keep git's answers
        there (objectmemo.py). The caller serialises its reads (the registry's lock)."""
        before, self._memo = self._memo, memo
        try:
            yield
        finally:
            self._memo = before

    def read_typed(self, specs: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """(type, bytes) of each object; None for an object that does not exist. Raises
        GitError for a name that may not be sent (`object_name_problem`)."""
        memo = self._memo
        return self._read_git(specs) if memo is None else memo.read_typed(specs, self._read_git)

    def _read_git(self, specs: Sequence[str]) -> list[tuple[str, bytes] | None]:
        for spec in specs:
            problem = object_name_problem(spec)
            if problem:
                raise GitError(f"invalid object name {spec!r}: {problem}")
        if not specs:
            return []
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            request = "".join(f"{spec}\n" for spec in specs).encode("utf-8")
            if len(request) <= _PIPE_SAFE:
                # Fits in the pipe's buffer: write it all, then read (no thread to start).
                _write_all(proc.stdin, request)
                return self._read_answers(proc.stdout, len(specs))
            writer = threading.Thread(target=_write_all, args=(proc.stdin, request))
            writer.start()
            try:
                return self._read_answers(proc.stdout, len(specs))
            finally:
                writer.join()

    def _read_answers(self, stdout: IO[bytes], count: int) -> list[tuple[str, bytes] | None]:
        """`count` answers, the tag objects among them held to MAX_TAGS_TOTAL_BYTES together
        (then the process is stopped, which also ends a writer blocked on its input)."""
        out: list[tuple[str, bytes] | None] = []
        tags, limit = 0, MAX_TAGS_TOTAL_BYTES
        for _ in range(count):
            found = self._read_answer(stdout)
            if found is not None and found[0] == "tag":
                tags += len(found[1])
                if tags > limit:
                    self._stop()
                    raise GitError(tags_over_limit(tags, len(out) + 1, count))
            out.append(found)
        return out

    def _read_answer(self, stdout: IO[bytes]) -> tuple[str, bytes] | None:
        header = stdout.readline()
        if not header:
            self._stop()
            raise GitError("git cat-file stopped unexpectedly")
        parts = header.split()
        if len(parts) != 3 or parts[1] == b"missing" or not parts[2].isdigit():
            return None
        size = int(parts[2])
        if size > (MAX_TAG_BYTES if parts[1] == b"tag" else MAX_OBJECT_BYTES):
            left = size + 1
            while left > 0 and (chunk := stdout.read(min(left, 1 << 20))):
                left -= len(chunk)
            if left:
                self._stop()
                raise GitError("git cat-file stopped in the middle of an object")
            return OVERSIZE, b""
        data = stdout.read(size + 1)
        if len(data) != size + 1:
            self._stop()
            raise GitError("git cat-file stopped in the middle of an object")
        return parts[1].decode("ascii", "replace"), data[:size]

    def _stop(self) -> None:
        """Forget a batch process that died (the next read starts a new one)."""
        batch, self._batch = self._batch, None
        if batch is not None and batch.poll() is None:
            batch.kill()
            batch.wait()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            import subprocess  # (here: a warm application start runs no git)

            try:
                self._batch = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self._root,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitError("git is not installed (or not on PATH)") from None
        return self._batch

    def close(self) -> None:
        with self._lock:
            if self._batch is not None:
                if self._batch.stdin:
                    self._batch.stdin.close()
                self._batch.wait(timeout=5)
                if self._batch.stdout:
                    self._batch.stdout.close()
                self._batch = None

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None and batch.poll() is None:
            try:
                if batch.stdin:
                    batch.stdin.close()
                batch.wait(timeout=1)
            except Exception:  # interpreter shutdown: nothing sensible left to do
                pass


def tags_over_limit(size: int, read: int | None = None, asked: int | None = None) -> str:
    """The error for tag objects over MAX_TAGS_TOTAL_BYTES (here, or held by a reader)."""
    limit = MAX_TAGS_TOTAL_BYTES
    where = f" ({read:,} of {asked:,} objects read)" if asked is not None else ""
    return (
        f"the tags read hold more than {limit:,} bytes of messages{where}, "
        f"{size:,} so far: far more than deployments need; list them with "
        "`git for-each-ref refs/tags/` and `promptreg verify`"
    )


def object_name_problem(spec: str) -> str | None:
    """Why `spec` may not be sent to `cat-file --batch` (None: it may). The batch reads one
    name a line, so a newline (or a NUL, which ends the name early) would inject a request;
    and git *dies* on `rev:./x` or `rev:../x` (paths relative to the working directory that
    leave the repository), which would end the shared process for every other reader."""
    if any(c in spec for c in "\n\r\0"):
        return "a newline or NUL"
    # `rev:path`, `:path` and `:N:path` all name paths after a colon; any `.` or `..`
    # segment after one may be resolved against the working directory.
    _, colon, path = spec.partition(":")
    if colon and any(part in (".", "..") for part in path.replace(":", "/").split("/")):
        return "a path with `.` or `..` segments"
    return None


def _write_all(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader sees the process end and reports it
