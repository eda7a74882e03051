"""A service that follows the registry on a remote, with no checkout (issue 10 §2).

    reg = Registry.from_remote("https://git.example.com/team/prompts.git",
                               cache_dir="/var/cache/promptreg", refresh=30.0,
                               fallback="prompts.lock.json")
    p = reg.get("support/triage@prod")
    reg.health()       # last successful sync, its age, the last error, rejected tags

A `Follower` keeps a partial bare mirror (mirror.py) under `cache_dir` and serves from a
`Registry` on it: the same read model of deployments, so a forged or unsigned tag pushed to
the remote is judged like in any clone and never served. Serving never waits on the
network: a daemon thread polls every `refresh` seconds, and when something moved it opens a
new registry on the mirror, resolves there every selector served so far (which fetches the
blobs they need, off the request path), and only then swaps it in. While the remote is down
the last verified registry keeps serving, and `health()` says since when; `get()` never raises
for a selector it has served before because a refresh failed. With no mirror at all (first
start with the remote down), a `fallback` bundle serves until the remote answers.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptreg.errors import PromptregError, RemoteError
from promptreg.names import name_problem
from promptreg.registry.mirror import follow, is_mirror, last_success, mirror, update

if TYPE_CHECKING:
    from promptreg.registry.bundle import BundleRegistry
    from promptreg.registry.runtime import Registry
    from promptreg.template.prompt import Prompt

_SNAPSHOT = 1e12  # a mirror's registry is a snapshot: the follower decides when to look again


@dataclass(frozen=True)
class Health:
    """How current a follower is. `ok`: the last poll succeeded and is at most three
    refresh intervals old (what a readiness probe wants)."""

    remote: str
    serving: str  # mirror | fallback | nothing
    ok: bool
    last_sync: float | None  # epoch seconds of the last successful poll
    age: float | None  # seconds since then
    last_error: str | None
    error_since: float | None
    rejected: tuple[str, ...]  # "tag: reason" of tags the read model refused
    state_ref: bool  # the remote has a state ref (else every poll lists the tags)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "serving": self.serving,
            "ok": self.ok,
            "last_sync": self.last_sync,
            "age": self.age,
            "last_error": self.last_error,
            "error_since": self.error_since,
            "rejected": list(self.rejected),
            "state_ref": self.state_ref,
        }


def mirror_dir(cache_dir: Path, url: str) -> Path:
    return cache_dir / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


class Follower:
    """Prompts served from a remote registry (see the module's docstring). Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        registry_class: type[Registry],
        cache_dir: str | os.PathLike[str],
        refresh: float = 30.0,
        fallback: str | os.PathLike[str] | None = None,
        fallback_allowed_signers: str | os.PathLike[str] | None = None,
        full_every: float = 600.0,
        start: bool = True,
    ) -> None:
        self.url = url
        self._registry_class = registry_class  # (runtime.Registry: passed, not imported)
        self.refresh = refresh
        self.full_every = full_every
        self.directory = mirror_dir(Path(cache_dir), url)
        self._lock = threading.Lock()
        self._served: dict[str, Prompt] = {}
        # Prompts whose tags this follower fetches (the first `get` of one fetches them):
        # a service holds the tags and blobs of what it serves, not the whole registry's.
        self._followed: set[str] = set()
        self._names: dict[str, str] = {}
        self._mirrored: set[str] = set()  # prompts the mirror held tags of at start
        self._retired: list[Registry] = []
        self._error: str | None = None
        self._error_since: float | None = None
        self._state = False
        self._registry: Registry | None = None
        self._fallback: BundleRegistry | None = None
        self._last_full = time.monotonic()
        self._stop = threading.Event()
        try:
            self._state = mirror(url, self.directory, names=()).state is not None
        except RemoteError as err:
            self._failed(err)
            if not is_mirror(self.directory) or last_success(self.directory) is None:
                if fallback is None:
                    raise
                self._fallback = _bundle(fallback, fallback_allowed_signers)
        if self._fallback is None:
            self._registry = self._open()
            listed = self._registry.store.ref_objects("prompts/")
            self._mirrored = {
                ref.removeprefix("prompts/").partition("@")[0] for ref, _, _ in listed
            }
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self._run, name="promptreg-follower")
            self._thread.daemon = True
            self._thread.start()

    # -- serving -------------------------------------------------------------------------------

    def get(self, selector: str) -> Prompt:
        """The prompt `selector` names, from the last verified state of the remote."""
        registry = self._registry
        if registry is None:
            assert self._fallback is not None
            return self._fallback.get(selector)
        name = self._names.get(selector)
        if name is None:
            name = self._names[selector] = selector.partition("@")[0]
        if name not in self._followed:
            self._follow(name)
            registry = self._registry or registry
        prompt = registry.get(selector)
        if self._served.get(selector) is not prompt:
            self._served[selector] = prompt
        return prompt

    def get_all(self, env: str) -> dict[str, Prompt]:
        """Every prompt deployed to `env` (follows every prompt the state ref lists)."""
        registry = self._registry
        if registry is None:
            assert self._fallback is not None
            return self._fallback.get_all(env)
        from promptreg.registry.state_ref import read_state

        state = read_state(registry.store)
        names = {n for n, e in state[1]} if state else set()
        missing = names - self._followed
        if missing:
            self._follow(*sorted(missing))
        return registry.get_all(env)

    def _follow(self, *names: str) -> None:
        """Fetch the tags of `names` (first use of a prompt: its only network wait). With the
        remote down, a prompt the mirror has tags of is served from them (a restart)."""
        with self._lock:
            todo = [n for n in names if n not in self._followed and not name_problem(n)]
            if not todo:
                return
            try:
                follow(self.directory, todo)
            except RemoteError as err:
                self._failed(err)
                if not all(n in self._mirrored for n in todo):
                    raise
            self._followed.update(todo)

    def health(self) -> Health:
        synced = last_success(self.directory) if self._registry is not None else None
        age = None if synced is None else max(0.0, time.time() - synced)
        rejected: tuple[str, ...] = ()
        if self._registry is not None:
            seen = self._registry.reader.rejected_seen()
            rejected = tuple(sorted(f"{r.tag}: {r.reason}" for r in seen))
        serving = "mirror" if self._registry is not None else "fallback"
        return Health(
            remote=self.url,
            serving=serving,
            ok=self._error is None and age is not None and age <= 3 * self.refresh + 1,
            last_sync=synced,
            age=age,
            last_error=self._error,
            error_since=self._error_since,
            rejected=rejected,
            state_ref=self._state,
        )

    def refresh_now(self) -> bool:
        """Poll the remote once, now (the daemon thread does this every `refresh` seconds).
        True when a new state was swapped in. Never raises for a remote that is down."""
        with self._lock:
            return self._poll()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.refresh + 30)
        for registry in [*self._retired, *([self._registry] if self._registry else [])]:
            registry.close()
        self._retired.clear()

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- refreshing ----------------------------------------------------------------------------

    def _run(self) -> None:
        """Poll every `refresh` seconds from the start of the last poll (a slow poll does not
        stretch the interval: a promotion is served within `refresh` plus one poll)."""
        due = time.monotonic() + self.refresh
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            due = max(due + self.refresh, time.monotonic())
            try:
                self.refresh_now()
            except Exception as err:  # keep following: a bug here must not stop serving
                self._failed(err)

    def _poll(self) -> bool:
        full = time.monotonic() - self._last_full >= self.full_every
        try:
            names = set(self._followed)
            if not is_mirror(self.directory) or last_success(self.directory) is None:
                done = mirror(self.url, self.directory, names=names)
            else:
                done = update(self.directory, full=full, names=names, url=self.url)
        except (RemoteError, PromptregError) as err:
            self._failed(err)
            return False
        if full:
            self._last_full = time.monotonic()
        self._state = done.state is not None
        if not done.changed and self._registry is not None:
            self._ok()
            return False
        try:
            fresh = self._open()
            self._warm(fresh)
        except RemoteError as err:  # a blob could not be fetched: keep what is served
            self._failed(err)
            return False
        old, self._registry = self._registry, fresh
        self._fallback = None
        if old is not None:
            for retired in self._retired:
                retired.close()  # (a swap ago: no request is still inside it)
            self._retired = [old]
        self._ok()
        return True

    def _open(self) -> Registry:
        return self._registry_class(self.directory, refresh=_SNAPSHOT)

    def _warm(self, fresh: Registry) -> None:
        """Resolve in `fresh` what was served so far: the blobs are fetched here, not on the
        request path. A selector that no longer resolves while the remote answers is the new
        truth (its deployments no longer count); one that fails because a blob could not be
        fetched keeps the old registry serving (RemoteError)."""
        for selector in list(self._served):
            try:
                fresh.get(selector)
            except PromptregError as err:
                if not self._reachable():
                    raise RemoteError(self.url, str(err)) from None

    def _reachable(self) -> bool:
        from promptreg.registry.gitstore import GitStore
        from promptreg.registry.remote import ls_remote

        store = GitStore(self.directory)
        try:
            ls_remote(store, "origin", ["refs/promptreg/*"])
        except PromptregError:
            return False
        finally:
            store.close()
        return True

    def _failed(self, err: Exception) -> None:
        if self._error_since is None:
            self._error_since = time.time()
        self._error = str(err)

    def _ok(self) -> None:
        self._error = None
        self._error_since = None


def _bundle(
    path: str | os.PathLike[str], allowed_signers: str | os.PathLike[str] | None
) -> BundleRegistry:
    from promptreg.registry.bundle import BundleRegistry

    signers = Path(allowed_signers) if allowed_signers is not None else None
    return BundleRegistry(Path(path), allowed_signers=signers)


__all__ = ["Follower", "Health", "mirror_dir"]
