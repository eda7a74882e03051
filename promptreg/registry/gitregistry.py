"""A registry read straight from git: what the CLI and deploy ask (deployments, releases, a
prompt at a commit), always read afresh from the refs. The runtime `Registry` (runtime.py)
adds the cached `get` an application calls on every request.
"""

from __future__ import annotations

import os
import threading
from typing import Self

from promptreg.codecache import CodeCache, code_cache_for
from promptreg.errors import GitError, PromptNotFoundError, UsageError
from promptreg.names import PROMPTY_SUFFIX, SUFFIX
from promptreg.project.config import CONFIG_FILE, config_from_text
from promptreg.project.project import Project
from promptreg.registry.commits import CommitPrompts
from promptreg.registry.deployments import DeploymentReader
from promptreg.registry.gitstore import GitStore
from promptreg.registry.selectors import Selector, parse_selector
from promptreg.registry.tags import Deployment, parse_release, releases_pattern
from promptreg.registry.verdicts import DeploymentLog, Release
from promptreg.template.prompt import Prompt
from promptreg.template.sources import decode_source


class GitRegistry:
    """Prompts and deployments of a git repository, read without a cache of lookups (prompts
    at a commit are kept: a commit never changes). Thread-safe. `need_git`: raise GitError
    when there is no repository at `path` (otherwise `store` raises it on first use)."""

    def __init__(self, path: str | os.PathLike[str] = ".", *, need_git: bool = True) -> None:
        self.project = Project.open(path)
        self._store: GitStore | None = None
        try:
            self._store = GitStore(self.project.root)
        except GitError:
            if need_git:
                raise
        if self._store is not None and self._store.bare:
            # No working tree: the config is the one committed at HEAD.
            text = self._store.read("HEAD", CONFIG_FILE)
            if text is not None:
                config = config_from_text(
                    self._store.root, decode_source(text), shown=f"HEAD:{CONFIG_FILE}"
                )
                self.project = Project(config)
        self._lock = threading.RLock()
        self._reader: DeploymentReader | None = None
        self._prompts_prefix: str | None = None
        self._suffixes: dict[str, str] = {}
        self._commits_: CommitPrompts | None = None
        self._code_cache: CodeCache | None = None
        if self._store is not None:
            self._code_cache = code_cache = code_cache_for(self._store.root)
            config = self.project.config
            self._commits_ = CommitPrompts(self._store, config, self._lock, code_cache)

    @property
    def store(self) -> GitStore:
        if self._store is None:
            raise GitError("no git repository here")
        return self._store

    @property
    def _commits(self) -> CommitPrompts:
        if self._commits_ is None:
            raise GitError("no git repository here")
        return self._commits_

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prefetch(self, wanted: list[tuple[str, str]], *, full: bool = False) -> None:
        """Read the files of many deployments in one pipelined exchange with git (`full`:
        for loads with every check)."""
        self._commits.prefetch(wanted, full=full)

    def parse(self, text: str) -> Selector:
        return parse_selector(text, self.environments)

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
            from promptreg.registry.explain import no_such_version

            raise PromptNotFoundError(no_such_version(self, name, version.removeprefix("v")))
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

    def read_at(self, commit: str, name: str) -> Prompt:
        """The prompt `name` at `commit` as the read model reads a deployed one (front-matter
        checked, template analysed when first needed): for showing a version (the site), and
        shared with the deployments already judged, where `load_at` reads and checks again."""
        return self._at_commit(commit, name, path=None, full=False)

    def prefetch(self, wanted: list[tuple[str, str]]) -> None:
        """Read the files of many (commit, name) in one exchange with git, for the `read_at`
        calls that follow (a review of 2,000 changed prompts: one exchange, not 4,000)."""
        with self._lock:
            self._prefetch([(commit, self.prompt_path(name)) for commit, name in wanted])

    def prompt_path(self, name: str) -> str:
        """The prompt file's path relative to the repository root (the read model asks for
        it once per tag: the prompts directory is resolved once)."""
        prefix = self.prompts_prefix
        suffix = self._suffixes.get(name)
        if suffix is None:
            suffix = self._suffixes[name] = self._suffix_of(prefix, name)
        return prefix + name + suffix

    @property
    def prompts_prefix(self) -> str:
        """The prompts directory relative to the repository root, with a trailing `/` (empty
        when it is the root)."""
        prefix = self._prompts_prefix
        if prefix is None:
            rel = self.project.prompts_dir.resolve().relative_to(self.store.root.resolve())
            prefix = self._prompts_prefix = "" if str(rel) == "." else rel.as_posix() + "/"
        return prefix

    def _suffix_of(self, prefix: str, name: str) -> str:
        """`.prompty` when the prompt is a Prompty file (issue 12 §1), else `.prompt`: as the
        working tree has it, or HEAD in a bare repository. A name is one file: the same name
        with both suffixes is refused by `validate` (PR086)."""
        if not self.store.bare:
            base = self.project.prompts_dir.joinpath(*name.split("/"))
            plain = base.with_name(base.name + SUFFIX)
            prompty = base.with_name(base.name + PROMPTY_SUFFIX)
            return PROMPTY_SUFFIX if not plain.exists() and prompty.is_file() else SUFFIX
        if not self.store.has_head() or self.store.read("HEAD", prefix + name + SUFFIX) is not None:
            return SUFFIX
        found = self.store.read("HEAD", prefix + name + PROMPTY_SUFFIX) is not None
        return PROMPTY_SUFFIX if found else SUFFIX

    def _load_deployed(self, commit: str, name: str, path: str) -> Prompt:
        """The prompt at `commit`, front-matter checked and content hash computed from what
        is there (never taken from a tag message): the read model compares the two. The
        hash of a commit's file seen before comes from the code cache (hashcache.py)."""
        return self._commits.load_hashed(commit, name, path)

    def _at_commit(self, commit: str, name: str, *, path: str | None, full: bool) -> Prompt:
        """Read `name` at `commit` (see `CommitPrompts.load`), from its own path by default."""
        return self._commits.load(commit, name, path or self.prompt_path(name), full=full)

    def check_env(self, env: str, source: str = "environment") -> None:
        """Raise UsageError unless `env` is declared in promptreg.yaml."""
        if env not in self.environments:
            raise UsageError(
                f"{source} {env!r} is not declared in promptreg.yaml; "
                f"environments: {', '.join(self.environments)}"
            )

    def check_known(self, name: str) -> None:
        """Raise PromptNotFoundError, saying what exists or what was meant, unless `name` is a
        prompt of the working tree, has a tag, or was ever committed (a deleted prompt keeps
        its past). Called by `history` and `log` only when they found nothing to show."""
        from promptreg.registry.explain import check_known

        check_known(self, name)
