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
from promptreg.errors import PromptFileError, PromptNotFoundError, PromptregError, UsageError
from promptreg.findings import Finding
from promptreg.names import SUFFIX, name_problem
from promptreg.project.config import CONFIG_FILE, config_from_text
from promptreg.project.loader import load_light, parse_prompt_bytes
from promptreg.project.project import Project
from promptreg.registry.deployments import DeploymentLog, DeploymentReader, Release
from promptreg.registry.gitstore import GitError, GitStore
from promptreg.registry.refindex import RefIndex, loose_dirs
from promptreg.registry.selectors import Selector, parse_selector
from promptreg.registry.tags import (
    Deployment,
    deployments_prefix,
    parse_release,
    releases_pattern,
)
from promptreg.template.environment import IncludeError, TemplateEnv, decode_source, symlink_message
from promptreg.template.prompt import Prompt
from promptreg.versions import version_key

if TYPE_CHECKING:
    from promptreg.registry.bundle import BundleRegistry

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
            self._fallback = Registry.from_bundle(
                fallback, allowed_signers=fallback_allowed_signers
            )
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
        self._prompts: dict[tuple[str, str, bool], Prompt] = {}
        self._reader: DeploymentReader | None = None
        self._prompts_prefix: str | None = None
        self._blobs: dict[tuple[str, str], bytes | None] = {}
        self._code_cache = code_cache_for(self._store.root) if self._store else None
        self._envs: OrderedDict[str, TemplateEnv] = OrderedDict()

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

    @property
    def store(self) -> GitStore:
        if self._store is None:
            raise GitError("no git repository here")
        return self._store

    @property
    def lock(self) -> threading.RLock:
        """Held around every read of the registry's shared state (re-entrant)."""
        return self._lock

    @property
    def reader(self) -> DeploymentReader:
        """The read model of deployments (deployments.py): every path reads through it."""
        if self._reader is None:
            signing = self.project.config.signing
            signatures = None
            if signing.environments:  # (imported only then: ~2 ms of an application's start)
                from promptreg.registry.signing import Signatures

                signatures = Signatures(self.store, signing)
            self._reader = DeploymentReader(
                self.store,
                environments=self.environments,
                prompt_path=self.prompt_path,
                load=self._load_deployed,
                prefetch=self._prefetch,
                signatures=signatures,
                refuses_legacy=signing.refuses_legacy,
            )
        return self._reader

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

    def _prefetch(self, wanted: list[tuple[str, str]]) -> None:
        """Read the files of many deployments in one pipelined exchange with git."""
        wanted = [
            key
            for key in dict.fromkeys(wanted)
            if (*key, False) not in self._prompts and key not in self._blobs
        ]
        blobs = self.store.read_blobs([f"{commit}:{path}" for commit, path in wanted])
        self._blobs.update(zip(wanted, blobs, strict=True))

    # -- what the CLI asks ---------------------------------------------------------------------

    def parse(self, text: str) -> Selector:
        return parse_selector(text, self.environments)

    def resolve(self, selector: str | Selector) -> Prompt:
        """Resolve without the cache (the CLI's path): always reads the refs afresh."""
        sel = self.parse(selector) if isinstance(selector, str) else selector
        return self._resolve_entry(sel).prompt

    def deployments(self, name: str, env: str | None = None) -> list[Deployment]:
        """Valid deployments of `name` (to `env`, or to every environment), newest first.
        Always read afresh from the refs (the CLI's path; `get` has its own cheaper check)."""
        return self.deployment_log(name, env).valid

    def deployment_log(self, name: str, env: str | None = None) -> DeploymentLog:
        """Every deployment tag of `name`, judged: the valid ones and the rejected ones."""
        if env is not None:
            self.check_env(env)
        with self._lock:
            return self.reader.log(name, env)

    def current(self, name: str, env: str) -> Deployment | None:
        """What `env` runs now: its newest valid deployment of `name`."""
        found = self.deployments(name, env)
        return found[0] if found else None

    def releases(self, name: str) -> list[str]:
        """Versions of `name` that have a release tag (listed, not judged: for messages)."""
        return list(self._release_refs(name))

    def release(self, name: str, version: str) -> Release | None:
        """The release tag of `name` `version` (`v1.2.0` or `1.2.0`), judged; None if there
        is none. A release counts only if its content is what its message records."""
        version = version.removeprefix("v")
        ref = self._release_refs(name).get(version)
        if ref is None:
            return None
        with self._lock:
            return self.reader.release(name, version, *ref)

    def released_commit(self, name: str, version: str) -> str:
        """The commit that released `version` of `name`. Raises PromptNotFoundError saying
        which versions exist, or why the release tag does not count."""
        release = self.release(name, version)
        if release is None:
            raise PromptNotFoundError(self._no_such_version(name, version.removeprefix("v")))
        if release.problem is not None or release.commit is None:
            raise PromptNotFoundError(
                f"{name} {version}: the release tag {release.tag} is rejected: {release.problem}"
            )
        return release.commit

    def _release_refs(self, name: str) -> dict[str, tuple[str, str, str]]:
        out = {}
        for ref in self.store.tags(releases_pattern(name)):
            parsed = parse_release(ref.name)
            if parsed and parsed[0] == name:
                out[parsed[1]] = (ref.name, ref.object, "tag" if ref.annotated else "commit")
        return out

    def load_at(self, commit: str, name: str, *, path: str | None = None) -> Prompt:
        """The prompt `name` as committed in `commit` (fully checked)."""
        return self._at_commit(commit, name, path=path, full=True)

    def prompt_path(self, name: str) -> str:
        """The prompt file's path relative to the repository root (the read model asks for
        it once per tag: the prompts directory is resolved once)."""
        prefix = self._prompts_prefix
        if prefix is None:
            rel = self.project.prompts_dir.resolve().relative_to(self.store.root.resolve())
            prefix = self._prompts_prefix = "" if str(rel) == "." else rel.as_posix() + "/"
        return prefix + name + SUFFIX

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
            prompt = self._at_commit(commit, sel.name, path=None, full=True)
            return self._entry(prompt, lambda: None)  # a release never moves
        assert sel.ref is not None
        rev = sel.ref
        at = self.store.rev_parse_commit(rev)
        if at is None:
            self.check_known(sel.name)
            raise PromptNotFoundError(
                f"{sel}: {rev!r} is neither an environment ({', '.join(self.environments)}), "
                f"a released version, nor a git revision of this repository. "
                f"{self._what_exists(sel.name)}"
            )
        prompt = self._at_commit(at, sel.name, path=None, full=True)
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
        """The prompt a valid deployment serves (loaded, and checked, when it was judged)."""
        prompt = self._load_deployed(
            deployment.commit, deployment.name, self.prompt_path(deployment.name)
        )
        return prompt.with_deployment(deployment)

    def _load_deployed(self, commit: str, name: str, path: str) -> Prompt:
        """The prompt at `commit`, front-matter checked and content hash computed from what
        is there (never taken from a tag message): the read model compares the two."""
        return self._at_commit(commit, name, path=path, full=False)

    def _at_commit(self, commit: str, name: str, *, path: str | None, full: bool) -> Prompt:
        """Read `name` at `commit`. `full`: every check `validate` makes on the file;
        otherwise the front-matter now and the template when first needed (the content
        hash needs it)."""
        path = path or self.prompt_path(name)
        key = (commit, path, full)
        with self._lock:
            cached = self._prompts.get(key)
            if cached is None and not full:  # a fully checked prompt serves a light read too
                cached = self._prompts.get((commit, path, True))
            if cached is not None:
                return cached
            blob_key = (commit, path)
            if blob_key in self._blobs:
                data = self._blobs.pop(blob_key)
            else:
                data = self.store.read(commit, path)
            shown = f"{path}@{commit[:12]}"
            self._refuse_symlink(commit, path, name, shown)
            if data is None:
                raise PromptNotFoundError(f"{path} does not exist at commit {commit[:12]}")
            env = self._env_at(commit, path, name)
            abs_path = self.store.root / path
            if not full:
                prompt = load_light(
                    data, path=abs_path, name=name, shown=shown, env=env, content_hash=None
                )
            else:
                pf = parse_prompt_bytes(data, path=abs_path, name=name, shown=shown, env=env)
                if pf.prompt is None:
                    raise PromptFileError(pf.findings)
                prompt = pf.prompt
            prompt.revision = commit
            self._prompts[key] = prompt
            return prompt

    def _refuse_symlink(self, commit: str, path: str, name: str, shown: str) -> None:
        """A prompt file git stores as a symlink (or under one) is refused, as in the tree; one
        stored as a submodule entry (or under one) is not a file there."""
        found = self.store.special_on_path(commit, path)
        if found is not None and found[1] == "submodule":
            raise PromptNotFoundError(
                f"{path} at commit {commit[:12]}: {found[0]} is a submodule entry, not a file"
            )
        link = found[0] if found is not None else None
        if link is not None:
            depth = name.count("/") + 1
            under = "/".join(path.split("/")[:-depth])
            relative = link[len(under) + 1 :] if under else link
            message = symlink_message("this prompt file", relative, name + SUFFIX)
            raise PromptFileError([Finding(shown, 1, 1, "PR006", message)])

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
            full = f"{prompts_rel}/{partial}" if prompts_rel else partial
            found = store.special_on_path(commit, full)
            if found is not None and found[1] == "submodule":
                raise FileNotFoundError(partial)  # a checkout has an empty directory there
            link = found[0] if found is not None else None
            if link is not None:
                relative = link[len(prompts_rel) + 1 :] if prompts_rel else link
                message = symlink_message(f"include {partial!r}", relative, partial)
                raise IncludeError(partial, "PR006", message)
            data = store.read(commit, full)
            if data is None:
                raise FileNotFoundError(partial)
            return decode_source(data)

        env = TemplateEnv(
            self.store.root / prompts_rel if prompts_rel else self.store.root,
            read,
            code_cache=self._code_cache,
            limits=self.project.config.limits,
            max_bytes=self.project.config.lint.max_file_bytes,
        )
        self._envs[commit] = env
        if len(self._envs) > _ENV_CACHE_SIZE:
            self._envs.popitem(last=False)
        return env

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

    def check_env(self, env: str, source: str = "environment") -> None:
        """Raise UsageError unless `env` is declared in promptreg.yaml."""
        if env not in self.environments:
            raise UsageError(
                f"{source} {env!r} is not declared in promptreg.yaml; "
                f"environments: {', '.join(self.environments)}"
            )

    # -- saying what exists --------------------------------------------------------------------

    def check_known(self, name: str) -> None:
        """Raise PromptNotFoundError, saying what exists or what was meant, unless `name` is a
        prompt of the working tree, has a tag, or was ever committed (a deleted prompt keeps
        its past). Called by `history` and `log` only when they found nothing to show."""
        try:
            self.project.locate(name)
            return
        except PromptNotFoundError:
            if name_problem(name) is not None:
                raise
            if self.store.tags(releases_pattern(name), deployments_prefix(name)):
                return
            if self.store.has_head() and self.store.log([self.prompt_path(name)]):
                return
            raise

    def _what_exists(self, name: str) -> str:
        """`Deployed: dev 1.1.0; prod —. Released versions: 1.0.0, 1.1.0.` (error paths only)."""
        where = []
        for other in self.environments:
            current = self._newest_deployment(name, other)
            where.append(f"{other} {current.version}" if current else f"{other} —")
        versions = ", ".join(sorted(self.releases(name), key=version_key)) or "none"
        return f"Deployed: {'; '.join(where)}. Released versions: {versions}."

    def _nothing_deployed(self, name: str, env: str) -> str:
        self.check_known(name)  # a misspelt name is that, not a prompt never deployed
        rejected = self.reader.log(name, env).rejected
        why = (
            f" {len(rejected)} tag(s) there do not count as deployments "
            f"(the newest, {rejected[0].tag}: {rejected[0].reason}); see `promptreg verify`."
            if rejected
            else ""
        )
        return f"{name} has never been deployed to {env}. {self._what_exists(name)}{why}"

    def _no_such_version(self, name: str, version: str) -> str:
        self.check_known(name)
        released = self.releases(name)
        versions = ", ".join(sorted(released, key=version_key)) or "none yet"
        hint = self._release_hint(name, released)
        return f"{name} has no released version {version}. Released: {versions}{hint}"

    def _release_hint(self, name: str, released: list[str]) -> str:
        """How to release what the working tree has, when it is not released yet: never a
        suggestion to release a version that already is."""
        try:
            tree = self.project.load(name, serving_checks=False).version
        except PromptregError:
            return ""
        if tree in released:
            return ""
        return (
            f" (the working tree has {tree}, not released yet: `promptreg release {name}` "
            "tags it once it is committed)"
        )


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
