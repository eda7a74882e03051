"""Resolve `name@selector` against the git repository: the runtime API and the CLI's reader.

    reg = Registry(".")                      # or Registry.from_bundle("prompts.lock.json")
    p = reg.get("support/triage@prod")       # resolved, parsed, compiled once, cached
    p.render(ticket="...")                   # [{"role": "system", "content": ...}, ...]
    p.version, p.model, p.deployment         # for traces and cost attribution

A cached lookup costs a dictionary lookup and a clock read. Every `refresh` seconds a cached
entry is re-checked, cheaply: a few `stat` calls tell whether any ref it depends on changed
(see `GitStore.refs_stamp`), and only then are the refs re-listed, so a new promotion is seen
within `refresh` seconds without a restart. What a commit holds never changes, so parsed and
compiled prompts are cached by (commit, path) for the life of the registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg._record import record
from promptreg.errors import PromptNotFoundError
from promptreg.registry.gitregistry import GitRegistry
from promptreg.registry.gitstore import SETTLE_NS
from promptreg.registry.objectmemo import ObjectMemo, replaces_objects
from promptreg.registry.refindex import RefIndex, loose_dirs
from promptreg.registry.selectors import Selector
from promptreg.registry.tags import Deployment
from promptreg.template.prompt import Prompt

if TYPE_CHECKING:
    from promptreg.registry.bundle import BundleRegistry
    from promptreg.registry.follower import Follower


@record
class _Entry:
    prompt: Prompt
    fresh_until: float
    stamp: object
    restamp: Callable[[], object]


class Registry(GitRegistry):
    """Prompts resolved from a git repository. Thread-safe.

    `refresh`: seconds a cached lookup is trusted before it is re-checked against the refs.
    `fallback`: a bundle (see `promptreg export`) to serve from when git is unavailable;
    `fallback_allowed_signers`: require that bundle to be signed by a key listed there.
    A bare `reg.get("name")` resolves `name@$PROMPTREG_ENV` when that variable is set, and the
    working tree otherwise.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ".",
        *,
        refresh: float = 30.0,
        fallback: str | os.PathLike[str] | None = None,
        fallback_allowed_signers: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(path, need_git=fallback is None)
        self.refresh = refresh
        self.default_env = os.environ.get("PROMPTREG_ENV") or None
        self._fallback: BundleRegistry | None = None
        if self._store is None and fallback is not None:
            self._fallback = Registry.from_bundle(
                fallback, allowed_signers=fallback_allowed_signers
            )
        self._cache: dict[str, _Entry] = {}
        self._newest: dict[tuple[str, str], tuple[object, Deployment | None]] = {}
        self._index: RefIndex | None = None
        self._replacing: tuple[object, bool] | None = None  # (stamp, replace refs or grafts)

    @classmethod
    def from_bundle(
        cls,
        path: str | os.PathLike[str],
        *,
        allowed_signers: str | os.PathLike[str] | None = None,
        signer: str | None = None,
    ) -> BundleRegistry:
        """A registry serving the prompts of an exported bundle (no git needed).

        The whole bundle is checked on load (integrity hash, schema, each prompt's content
        hash), which catches corruption. With `allowed_signers` (an ssh allowed-signers file),
        its signature `<path>.sig` must also verify against a key listed there (as `signer`,
        when given), which refuses tampering: unsigned, wrongly signed or altered bundles
        raise BundleError."""
        from promptreg.registry.bundle import BundleRegistry

        return BundleRegistry(
            Path(path),
            allowed_signers=Path(allowed_signers) if allowed_signers is not None else None,
            signer=signer,
        )

    @classmethod
    def from_remote(
        cls,
        url: str,
        *,
        cache_dir: str | os.PathLike[str],
        refresh: float = 30.0,
        fallback: str | os.PathLike[str] | None = None,
        fallback_allowed_signers: str | os.PathLike[str] | None = None,
    ) -> Follower:
        """A registry that follows the one on the remote `url`, with no checkout: a partial
        mirror under `cache_dir`, refreshed every `refresh` seconds off the request path,
        serving its last verified state while the remote is down (`health()` says so), and
        `fallback` (a bundle) when it has never reached the remote. See follower.py."""
        from promptreg.registry.follower import Follower

        return Follower(
            url,
            registry_class=cls,
            cache_dir=cache_dir,
            refresh=refresh,
            fallback=fallback,
            fallback_allowed_signers=fallback_allowed_signers,
        )

    # -- the runtime API -----------------------------------------------------------------------

    def get(self, selector: str) -> Prompt:
        """The prompt `selector` names, compiled and ready to render."""
        entry = self._cache.get(selector)
        if entry is not None and entry.fresh_until > time.monotonic():
            return entry.prompt
        if self._fallback is not None:
            return self._fallback.get(str(self._with_default_env(selector)))
        with self._lock:
            entry = self._cache.get(selector)
            now = time.monotonic()
            if entry is not None:
                if entry.fresh_until > now:
                    return entry.prompt
                if entry.restamp() == entry.stamp:
                    entry.fresh_until = now + self.refresh
                    return entry.prompt
            with self._remembering():
                entry = self._resolve_entry(self._with_default_env(selector))
                _ = entry.prompt.template  # compile now: a broken template fails here
            self._cache[selector] = entry
            return entry.prompt

    def _remembering(self) -> AbstractContextManager[None]:
        """Objects read by a lookup are kept in the code cache, so that the next start of the
        application reads them without git (objectmemo.py); bulk reads are not kept."""
        store = self._store
        if store is None or self._code_cache is None:
            return nullcontext()
        common = store.common_dir
        stamp = (
            store.refs_stamp(),
            (common / "refs" / "replace").exists(),
            (common / "info" / "grafts").exists(),
        )
        if self._replacing is None or self._replacing[0] != stamp:  # (packed-refs: ~1 MB)
            self._replacing = (stamp, replaces_objects(store.common_dir))
        if self._replacing[1]:
            return nullcontext()
        return store.remembering(ObjectMemo(self._code_cache))

    def get_all(self, env: str) -> dict[str, Prompt]:
        """Every prompt deployed to `env`, by name: the newest valid deployment of each. Each
        is analysed now (its content hash is checked against its tag), from the code cache."""
        self.check_env(env)
        if self._fallback is not None:
            return self._fallback.get_all(env)
        with self._lock:
            found = sorted(self.running(env).values(), key=lambda d: d.name)
            return {d.name: self._deployed(d) for d in found}

    def running(self, env: str | None = None) -> dict[tuple[str, str], Deployment]:
        """What each environment (or `env`) runs: the newest valid deployment of every
        (name, env) that has one, from one listing of the refs."""
        with self._lock:
            self._index = index = RefIndex.build(self.reader)
            groups = {k: c for k, c in index.groups.items() if env is None or k[1] == env}
            newest = self.reader.newest(groups)
            return {key: d for key, d in newest.items() if d is not None}

    def resolve(self, selector: str | Selector) -> Prompt:
        """Resolve without the cache (the CLI's path): always reads the refs afresh."""
        sel = self.parse(selector) if isinstance(selector, str) else selector
        return self._resolve_entry(sel).prompt

    # -- resolution ----------------------------------------------------------------------------

    def _with_default_env(self, selector: str) -> Selector:
        sel = self.parse(selector)
        if sel.kind == "tree" and self.default_env is not None:
            self.check_env(self.default_env, source="PROMPTREG_ENV")
            return Selector(sel.name, "env", self.default_env)
        return sel

    def _resolve_entry(self, sel: Selector) -> _Entry:
        if sel.kind == "tree":
            return self._tree_entry(sel.name)
        if sel.kind == "env":
            assert sel.ref is not None
            newest = self._newest_deployment(sel.name, sel.ref)
            if newest is None:
                from promptreg.registry.explain import nothing_deployed

                raise PromptNotFoundError(nothing_deployed(self, sel.name, sel.ref))
            prompt = self._deployed(newest)
            dirs = loose_dirs(sel.name, sel.ref)
            return self._entry(prompt, lambda: self.store.refs_stamp(*dirs))
        if sel.kind == "version":
            assert sel.ref is not None
            commit = self.released_commit(sel.name, sel.ref)
            prompt = self._at_commit(commit, sel.name, path=None, full=True)
            return self._entry(prompt, lambda: None)  # a release never moves
        assert sel.ref is not None
        rev = sel.ref
        at = self.store.rev_parse_commit(rev)
        if at is None:
            from promptreg.registry.explain import what_exists

            self.check_known(sel.name)
            raise PromptNotFoundError(
                f"{sel}: {rev!r} is neither an environment ({', '.join(self.environments)}), "
                f"a released version, nor a git revision of this repository. "
                f"{what_exists(self, sel.name)}"
            )
        prompt = self._at_commit(at, sel.name, path=None, full=True)
        return self._entry(prompt, lambda: self.store.rev_parse_commit(rev))

    def _entry(self, prompt: Prompt, restamp: Callable[[], object]) -> _Entry:
        return _Entry(prompt, time.monotonic() + self.refresh, restamp(), restamp)

    def _tree_entry(self, name: str) -> _Entry:
        prompt = self.project.load(name)
        files = [prompt.path, *(self.project.prompts_dir / p for p in prompt.partials)]

        def restamp() -> object:
            stamp = tuple(_mtime(f) for f in files)
            settled = time.time_ns() - SETTLE_NS  # a file saved a moment ago proves nothing
            return object() if any(m is not None and m > settled for m in stamp) else stamp

        return self._entry(prompt, restamp)

    def _deployed(self, deployment: Deployment) -> Prompt:
        """The prompt a valid deployment serves (loaded, and checked, when it was judged)."""
        prompt = self._load_deployed(
            deployment.commit, deployment.name, self.prompt_path(deployment.name)
        )
        return prompt.with_deployment(deployment)

    def _newest_deployment(self, name: str, env: str) -> Deployment | None:
        """What `env` runs, read as cheaply as the refs allow (see refindex.py): a stamp check
        for a known answer; the index for another prompt; a listing of this prompt's own tags
        otherwise. Either way the candidates are judged by the read model, newest first."""
        key = (name, env)
        stamp = self.store.refs_stamp(*loose_dirs(name, env))
        cached = self._newest.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = self._index
        if self._newest and (index is None or self.store.refs_stamp() != index.packed):
            # A second prompt is being looked up (or the refs were packed): index them all once.
            index = self._index = RefIndex.build(self.reader)
        if index is not None and index.trusted_for(self.store, name, env):
            candidates = index.groups.get(key, [])
        else:
            candidates = self.reader.candidates(name, [env])
        newest = self.reader.newest({key: candidates})[key]
        self._newest[key] = (stamp, newest)
        return newest


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
