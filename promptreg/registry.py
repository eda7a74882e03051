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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.codecache import code_cache_for
from promptreg.config import CONFIG_FILE, config_from_text
from promptreg.errors import PromptFileError, PromptNotFoundError, UsageError
from promptreg.gitstore import GitError, GitStore, TagRef, parse_tag_object
from promptreg.loader import load_light, parse_prompt_bytes
from promptreg.names import SUFFIX
from promptreg.project import Project
from promptreg.prompt import Prompt
from promptreg.refindex import RefIndex, loose_dirs
from promptreg.selectors import Selector, parse_selector
from promptreg.tags import (
    Deployment,
    deployments_prefix,
    parse_deployment,
    parse_release,
    releases_pattern,
)
from promptreg.templating import TemplateEnv, decode_source
from promptreg.versions import version_key

if TYPE_CHECKING:
    from promptreg.bundle import BundleRegistry

_ENV_CACHE_SIZE = 64


@dataclass
class _Entry:
    prompt: Prompt
    fresh_until: float
    stamp: object
    restamp: Callable[[], object]


class Registry:
    """Prompts resolved from a git repository. Thread-safe.

    `refresh`: seconds a cached lookup is trusted before it is re-checked against the refs.
    `fallback`: a bundle (see `promptreg export`) to serve from when git is unavailable.
    A bare `reg.get("name")` resolves `name@$PROMPTREG_ENV` when that variable is set, and the
    working tree otherwise.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = ".",
        *,
        refresh: float = 30.0,
        fallback: str | os.PathLike[str] | None = None,
    ) -> None:
        self.project = Project.open(path)
        self.refresh = refresh
        self.default_env = os.environ.get("PROMPTREG_ENV") or None
        self._fallback: BundleRegistry | None = None
        self._store: GitStore | None = None
        try:
            self._store = GitStore(self.project.root)
        except GitError:
            if fallback is None:
                raise
            self._fallback = Registry.from_bundle(fallback)
        if self._store is not None and self._store.bare:
            # No working tree: the config is the one committed at HEAD.
            text = self._store.read("HEAD", CONFIG_FILE)
            if text is not None:
                config = config_from_text(
                    self._store.root, decode_source(text), shown=f"HEAD:{CONFIG_FILE}"
                )
                self.project = Project(config)
        self._lock = threading.RLock()
        self._cache: dict[str, _Entry] = {}
        self._newest: dict[tuple[str, str], tuple[object, Deployment | None]] = {}
        self._index: RefIndex | None = None
        self._prompts: dict[tuple[str, str], Prompt] = {}
        self._blobs: dict[tuple[str, str], bytes | None] = {}
        self._code_cache = code_cache_for(self._store.root) if self._store else None
        self._envs: OrderedDict[str, TemplateEnv] = OrderedDict()

    @classmethod
    def from_bundle(cls, path: str | os.PathLike[str]) -> BundleRegistry:
        """A registry serving the prompts of an exported bundle (no git needed). Each prompt's
        content hash is verified on load: a tampered bundle is refused."""
        from promptreg.bundle import BundleRegistry

        return BundleRegistry(Path(path))

    @property
    def store(self) -> GitStore:
        if self._store is None:
            raise GitError("no git repository here")
        return self._store

    @property
    def environments(self) -> tuple[str, ...]:
        return self.project.config.environments

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            entry = self._resolve_entry(self._with_default_env(selector))
            _ = entry.prompt.template  # compile now: a broken template fails here, not mid-request
            self._cache[selector] = entry
            return entry.prompt

    def get_all(self, env: str) -> dict[str, Prompt]:
        """Every prompt deployed to `env`, by name. Templates compile on first render."""
        self.check_env(env)
        if self._fallback is not None:
            return self._fallback.get_all(env)
        with self._lock:
            self._index = index = RefIndex.build(self.store, frozenset(self.environments))
            winners = sorted((n, t) for (n, e), t in index.newest.items() if e == env)
            objects = self.store.read_objects([t.object for _, t in winners])
            deployments = []
            for (_, tag), data in zip(winners, objects, strict=True):
                if data is not None:
                    found = parse_deployment(parse_tag_object(tag.name, tag.object, data))
                    if found is not None:
                        deployments.append(found)
            self._prefetch(deployments)
            return {d.name: self._deployed(d) for d in deployments}

    def _prefetch(self, deployments: list[Deployment]) -> None:
        """Read the files of many deployments in one pipelined exchange with git."""
        wanted = [
            (d.commit, d.path or self.prompt_path(d.name))
            for d in deployments
            if (d.commit, d.path or self.prompt_path(d.name)) not in self._prompts
        ]
        blobs = self.store.read_objects([f"{commit}:{path}" for commit, path in wanted])
        self._blobs.update(zip(wanted, blobs, strict=True))

    # -- what the CLI asks ---------------------------------------------------------------------

    def parse(self, text: str) -> Selector:
        return parse_selector(text, self.environments)

    def resolve(self, selector: str | Selector) -> Prompt:
        """Resolve without the cache (the CLI's path): always reads the refs afresh."""
        sel = self.parse(selector) if isinstance(selector, str) else selector
        return self._resolve_entry(sel).prompt

    def deployments(self, name: str, env: str | None = None) -> list[Deployment]:
        """Deployments of `name` (to `env`, or to every environment), newest first. Always
        read afresh from the refs (the CLI's path; `get` has its own cheaper check)."""
        if env is not None:
            self.check_env(env)
        found = []
        for ref in self.store.tags(deployments_prefix(name, env)):
            deployment = parse_deployment(ref)
            if deployment is None or deployment.name != name:
                continue
            if env is None or deployment.env == env:
                found.append(deployment)
        if env is not None:
            return sorted(found, key=lambda d: d.seq, reverse=True)
        return sorted(found, key=lambda d: d.order, reverse=True)

    def current(self, name: str, env: str) -> Deployment | None:
        """What `env` runs now: its newest deployment of `name`."""
        found = self.deployments(name, env)
        return found[0] if found else None

    def releases(self, name: str) -> dict[str, TagRef]:
        """Released versions of `name`: version -> tag."""
        out = {}
        for ref in self.store.tags(releases_pattern(name)):
            parsed = parse_release(ref.name)
            if parsed and parsed[0] == name:
                out[parsed[1]] = ref
        return out

    def released_commit(self, name: str, version: str) -> str:
        """The commit that released `version` of `name` (`v1.2.0` or `1.2.0`). Raises
        PromptNotFoundError saying which versions exist."""
        tag = self.releases(name).get(version.removeprefix("v"))
        if tag is None:
            raise PromptNotFoundError(self._no_such_version(name, version.removeprefix("v")))
        return tag.commit

    def load_at(self, commit: str, name: str, *, path: str | None = None) -> Prompt:
        """The prompt `name` as committed in `commit` (fully checked)."""
        return self._at_commit(commit, name, path=path, content_hash=None)

    def prompt_path(self, name: str) -> str:
        """The prompt file's path relative to the repository root."""
        rel = self.project.prompts_dir.resolve().relative_to(self.store.root.resolve())
        return (rel / (name + SUFFIX)).as_posix() if str(rel) != "." else name + SUFFIX

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
                raise PromptNotFoundError(self._nothing_deployed(sel.name, sel.ref))
            prompt = self._deployed(newest)
            dirs = loose_dirs(sel.name, sel.ref)
            return self._entry(prompt, lambda: self.store.refs_stamp(*dirs))
        if sel.kind == "version":
            assert sel.ref is not None
            commit = self.released_commit(sel.name, sel.ref)
            prompt = self._at_commit(commit, sel.name, path=None, content_hash=None)
            return self._entry(prompt, lambda: None)  # a release never moves
        assert sel.ref is not None
        rev = sel.ref
        at = self.store.rev_parse_commit(rev)
        if at is None:
            raise PromptNotFoundError(
                f"{sel}: {rev!r} is neither an environment ({', '.join(self.environments)}), "
                "a version, nor a git revision of this repository"
            )
        prompt = self._at_commit(at, sel.name, path=None, content_hash=None)
        return self._entry(prompt, lambda: self.store.rev_parse_commit(rev))

    def _entry(self, prompt: Prompt, restamp: Callable[[], object]) -> _Entry:
        return _Entry(prompt, time.monotonic() + self.refresh, restamp(), restamp)

    def _tree_entry(self, name: str) -> _Entry:
        prompt = self.project.load(name)
        files = [prompt.path, *(self.project.prompts_dir / p for p in prompt.partials)]

        def restamp() -> object:
            return tuple(_mtime(f) for f in files)

        return self._entry(prompt, restamp)

    def _deployed(self, deployment: Deployment) -> Prompt:
        prompt = self._at_commit(
            deployment.commit,
            deployment.name,
            path=deployment.path,
            content_hash=deployment.content_hash,
        )
        return prompt.with_deployment(deployment)

    def _at_commit(
        self, commit: str, name: str, *, path: str | None, content_hash: str | None
    ) -> Prompt:
        """Read `name` at `commit`. With a recorded content hash (a deployment made by
        promote) the template is parsed on first need; otherwise the file is fully checked."""
        path = path or self.prompt_path(name)
        key = (commit, path)
        with self._lock:
            cached = self._prompts.get(key)
            if cached is not None:
                return cached
            data = self._blobs.pop(key) if key in self._blobs else self.store.read(commit, path)
            if data is None:
                raise PromptNotFoundError(f"{path} does not exist at commit {commit[:12]}")
            shown = f"{path}@{commit[:12]}"
            env = self._env_at(commit, path, name)
            abs_path = self.store.root / path
            if content_hash is not None:
                prompt = load_light(
                    data, path=abs_path, name=name, shown=shown, env=env, content_hash=content_hash
                )
            else:
                pf = parse_prompt_bytes(data, path=abs_path, name=name, shown=shown, env=env)
                if pf.prompt is None:
                    raise PromptFileError(pf.findings)
                prompt = pf.prompt
            prompt.revision = commit
            self._prompts[key] = prompt
            return prompt

    def _env_at(self, commit: str, path: str, name: str) -> TemplateEnv:
        """The Jinja environment whose partials are read at `commit` (one per commit, LRU)."""
        env = self._envs.get(commit)
        if env is not None:
            self._envs.move_to_end(commit)
            return env
        depth = name.count("/") + 1
        prompts_rel = "/".join(path.split("/")[:-depth])
        store = self.store

        def read(partial: str) -> str:
            data = store.read(commit, f"{prompts_rel}/{partial}" if prompts_rel else partial)
            if data is None:
                raise FileNotFoundError(partial)
            return decode_source(data)

        env = TemplateEnv(
            self.store.root / prompts_rel if prompts_rel else self.store.root,
            read,
            code_cache=self._code_cache,
            limits=self.project.config.limits,
        )
        self._envs[commit] = env
        if len(self._envs) > _ENV_CACHE_SIZE:
            self._envs.popitem(last=False)
        return env

    def _newest_deployment(self, name: str, env: str) -> Deployment | None:
        """What `env` runs, read as cheaply as the refs allow (see refindex.py): a stamp check
        for a known answer; the index and one tag-object read for another prompt; a listing
        of this prompt's own tags otherwise."""
        key = (name, env)
        stamp = self.store.refs_stamp(*loose_dirs(name, env))
        cached = self._newest.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = self._index
        if self._newest and (index is None or self.store.refs_stamp() != index.packed):
            # A second prompt is being looked up (or the refs were packed): index them all once.
            index = self._index = RefIndex.build(self.store, frozenset(self.environments))
        if index is not None and index.trusted_for(self.store, name, env):
            tag = index.newest.get(key)
            data = self.store.read_object(tag.object) if tag else None
            ref = parse_tag_object(tag.name, tag.object, data) if tag and data else None
            newest = parse_deployment(ref) if ref else None
        else:
            found = self.deployments(name, env)
            newest = found[0] if found else None
        self._newest[key] = (stamp, newest)
        return newest

    def check_env(self, env: str, source: str = "environment") -> None:
        """Raise UsageError unless `env` is declared in promptreg.yaml."""
        if env not in self.environments:
            raise UsageError(
                f"{source} {env!r} is not declared in promptreg.yaml; "
                f"environments: {', '.join(self.environments)}"
            )

    # -- saying what exists --------------------------------------------------------------------

    def _nothing_deployed(self, name: str, env: str) -> str:
        where = []
        for other in self.environments:
            current = self._newest_deployment(name, other)
            where.append(f"{other} {current.version}" if current else f"{other} —")
        versions = ", ".join(sorted(self.releases(name), key=version_key)) or "none"
        return (
            f"{name} has never been deployed to {env}. Deployed: {'; '.join(where)}. "
            f"Released versions: {versions}."
        )

    def _no_such_version(self, name: str, version: str) -> str:
        versions = ", ".join(sorted(self.releases(name), key=version_key)) or "none yet"
        return (
            f"{name} has no released version {version}. Released: {versions} "
            f"(release the current one with `promptreg release {name}`)"
        )


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
