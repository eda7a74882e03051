"""Analysed templates and parsed front-matter kept on disk (see analysis.py and _yaml.py), so
neither a restarted application nor the next `promptreg validate` redoes work it has done
(also: `validate`'s exact token counts of sample renders, tokens.py; content hashes, git
objects and deployment verdicts of the registry).

Compiling a prompt's template (parse + generate + Python compile) costs ~1 ms; reading it back
costs ~10 µs. Entries live in one SQLite file: a file per entry cost 0.1–0.8 ms to create on
the file systems measured, more than most entries save. New entries are written in batches,
in one transaction (every `_BATCH` entries, on `flush()`, and when the process exits), so a
first run costs little more than no cache at all. The key covers everything an entry depends
on: the text, names baked into tracebacks, Jinja's and Python's versions, and the format.
Entries never change; a cache that cannot be read or written is only slower, never wrong.

Entries are compiled code that is run as it is, so the cache is a trust boundary: anyone who
can write the SQLite file (a restored CI cache, another user of a shared checkout, a copied
`.git`) must not be able to change what a prompt renders or run code outside the sandbox.
Every entry is therefore stored with an HMAC-SHA256 under a per-user secret key that lives
outside the cache and the repository (`secret_key`); an entry whose MAC does not verify is a
miss, and its bytes never reach `marshal.loads`. Without a usable key there is no cache.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import hmac
import marshal
import os
import sqlite3
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from promptreg.repository import find_repository

FORMAT = "5"
_BATCH = 500
_FILE = "cache.sqlite"
_KEY_BYTES = 32
_MAC_BYTES = 32


def key_file() -> Path | None:
    """Where the per-user cache key lives: `$XDG_STATE_HOME/promptreg/cache.key`, by default
    `~/.local/state/promptreg/cache.key`; None when there is no home directory."""
    state = os.environ.get("XDG_STATE_HOME", "")
    try:
        base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    except (RuntimeError, KeyError, OSError):
        return None
    return base / "promptreg" / "cache.key"


_keys: dict[Path, bytes | None] = {}
_keys_lock = threading.Lock()


def secret_key() -> bytes | None:
    """This user's cache key (32 random bytes, created on first use, mode 0600), or None when
    it cannot be had safely (no home, unwritable, a file with other owners or readers): then
    promptreg runs without a cache, never with an error."""
    path = key_file()
    if path is None:
        return None
    with _keys_lock:
        if path not in _keys:
            _keys[path] = _load_or_create_key(path)
        return _keys[path]


def _load_or_create_key(path: Path) -> bytes | None:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        import secrets  # (only to make a key: not on an application's start)

        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(_KEY_BYTES))
                out.flush()
                os.fsync(out.fileno())
            # link, not rename: a key another process created meanwhile is never replaced
            # (entries written under it would all turn into misses).
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    """The key in `path`; None (no cache) unless it is a regular file of this user that no one
    else can read or write, holding exactly 32 bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        owner = getattr(os, "getuid", None)
        if (
            not stat.S_ISREG(info.st_mode)
            or (owner is not None and info.st_uid != owner())
            or info.st_mode & 0o077
            or info.st_size != _KEY_BYTES
        ):
            return None
        data = os.read(fd, _KEY_BYTES + 1)
    finally:
        os.close(fd)
    return data if len(data) == _KEY_BYTES else None


@functools.cache
def _versions_hash() -> Any:
    """The start of every key: the format and the versions every entry depends on."""
    h = hashlib.sha256()
    for part in (FORMAT, jinja2.__version__, sys.version):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h


class CodeCache:
    """A key -> bytes store in `directory/cache.sqlite`, shared by threads and processes.

    Each value is stored as HMAC-SHA256(secret, key + value) followed by the value; `load`
    returns only values whose MAC verifies."""

    def __init__(self, directory: Path, secret: bytes) -> None:
        self.directory = directory
        self._secret = secret
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._pending: dict[str, bytes] = {}

    @staticmethod
    def key(*parts: str) -> str:
        """The entry for everything in `parts` (with the versions the entry depends on)."""
        h = _versions_hash().copy()  # (`get_all` makes thousands of keys)
        for part in parts:
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        digest: str = h.hexdigest()
        return digest

    def load(self, key: str) -> bytes | None:
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return pending
            db = self._connect(create=False)
            if db is None:
                return None
            try:
                row = db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
        if row is None or not isinstance(row[0], bytes):
            return None
        stored = row[0]
        data = stored[_MAC_BYTES:]
        if not hmac.compare_digest(stored[:_MAC_BYTES], self._mac(key, data)):
            return None  # edited, forged, or another user's: recomputed and replaced
        return data

    def _mac(self, key: str, data: bytes) -> bytes:
        return hmac.digest(self._secret, key.encode("ascii") + b"\0" + data, "sha256")

    def store(self, key: str, data: bytes) -> None:
        with self._lock:
            self._pending[key] = data
            if len(self._pending) >= _BATCH:
                self._flush_locked()

    def flush(self) -> None:
        """Write the pending entries (one transaction)."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        db = self._connect(create=True)
        if db is None:
            return
        rows = [(key, self._mac(key, data) + data) for key, data in pending.items()]
        try:
            with db:
                # REPLACE: a pending entry is one that missed, perhaps because the stored one
                # failed its MAC; keeping that one would make the miss permanent.
                db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", rows)
        except sqlite3.Error:
            pass  # locked for too long, disk full, ...: these entries are simply not kept

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        path = self.directory / _FILE
        if not create and not path.exists():
            return None
        try:
            new = not path.exists()
            if new and not self.directory.is_dir():
                self.directory.mkdir(parents=True, exist_ok=True)
                # Outside a git directory (a project in a repository's subfolder) git would
                # list the cache as untracked files: it ignores itself.
                (self.directory / ".gitignore").write_text("*\n", encoding="utf-8")
            db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA synchronous=OFF")  # a cache: losing the last writes is fine
            if new:  # WAL (readers never wait for a writer) is kept in the file itself
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
                )
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._db = db
        return db


T = TypeVar("T")


def memoize(
    cache: CodeCache | None,
    parts: tuple[str, ...],
    compute: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """`compute()`, or its result kept in `cache` under `parts`. `encode` and `decode` turn the
    value into marshal-able data and back; an entry that does not decode (ValueError,
    TypeError) is computed again. An exception from `compute` propagates: failures are not
    kept."""
    if cache is None:
        return compute()
    key = cache.key(*parts)
    data = cache.load(key)
    if data is not None:
        try:
            return decode(marshal.loads(data))
        except (ValueError, EOFError, TypeError):
            pass
    value = compute()
    # A value that does not marshal (a YAML !!timestamp, say) is simply not kept.
    with contextlib.suppress(ValueError):
        cache.store(key, marshal.dumps(encode(value)))
    return value


_caches: dict[tuple[Path, bytes], CodeCache] = {}
_caches_lock = threading.Lock()


def _cache_at(directory: Path) -> CodeCache | None:
    secret = secret_key()
    if secret is None:
        return None
    with _caches_lock:
        cache = _caches.get((directory, secret))
        if cache is None:
            cache = _caches[directory, secret] = CodeCache(directory, secret)
        return cache


_inherited: list[sqlite3.Connection] = []


def _after_fork_in_child() -> None:
    """A forked child (a `validate` worker, an application server's worker) opens its own
    connection: SQLite forbids using one across `fork`. The parent's connection stays
    referenced and is never closed here (closing it could checkpoint the parent's WAL), and
    the entries the parent had pending are the parent's to write."""
    global _caches_lock, _keys_lock
    _caches_lock, _keys_lock = threading.Lock(), threading.Lock()  # (held by another thread?)
    for cache in _caches.values():
        if cache._db is not None:
            _inherited.append(cache._db)
        cache._db, cache._pending, cache._lock = None, {}, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def flush_all() -> None:
    """Write every cache's pending entries (worker processes call this themselves: they end
    without running atexit handlers)."""
    for cache in list(_caches.values()):
        cache.flush()


def code_cache_for(root: Path) -> CodeCache | None:
    """Where a project keeps its cache: inside its git directory (never committed), else
    `.promptreg/cache/code`. One instance per directory and process. `PROMPTREG_NO_CACHE=1`
    turns the cache off; so does the lack of a usable key (see `secret_key`)."""
    if os.environ.get("PROMPTREG_NO_CACHE"):
        return None
    repository = find_repository(root, walk=False)
    if repository is not None:  # this work tree's git directory (a linked worktree's own)
        return _cache_at(repository.git_dir / "promptreg" / "code")
    return _cache_at(root / ".promptreg" / "cache" / "code")
