"""Prompts as committed: read from git, checked, compiled, and kept for the life of a registry.

What a commit holds never changes, so a prompt read at (commit, path) is cached for good, and
so is the Jinja environment whose partials are read at that commit (one per commit, LRU). A
file git stores as a symlink or a submodule entry (or under one) is refused here, as in the
working tree (PR006).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from promptreg.codecache import CodeCache
from promptreg.errors import PromptFileError, PromptNotFoundError
from promptreg.findings import Finding
from promptreg.project.config import Config
from promptreg.project.loader import load_light, parse_prompt_bytes
from promptreg.registry.gitstore import GitStore
from promptreg.registry.hashcache import with_known_hash
from promptreg.template.environment import TemplateEnv
from promptreg.template.prompt import Prompt
from promptreg.template.sources import IncludeError, decode_source, symlink_message

_ENV_CACHE_SIZE = 64


class CommitPrompts:
    """The prompts of one repository's commits. Callers hold `lock` (the registry's) around
    `prefetch`; `load` takes it itself."""

    def __init__(
        self, store: GitStore, config: Config, lock: threading.RLock, code_cache: CodeCache | None
    ) -> None:
        self._store = store
        self._config = config
        self._lock = lock
        self._code_cache = code_cache
        self._prompts: dict[tuple[str, str, bool], Prompt] = {}
        self._blobs: dict[tuple[str, str], bytes | None] = {}
        self._envs: OrderedDict[str, TemplateEnv] = OrderedDict()

    def prefetch(self, wanted: list[tuple[str, str]], *, full: bool = False) -> None:
        """Read the files of many (commit, path) in one pipelined exchange with git (for a
        `full` load: those not loaded with every check yet)."""
        wanted = [
            key
            for key in dict.fromkeys(wanted)
            if (*key, full) not in self._prompts and key not in self._blobs
        ]
        blobs = self._store.read_blobs([f"{commit}:{path}" for commit, path in wanted])
        self._blobs.update(zip(wanted, blobs, strict=True))

    def load_hashed(self, commit: str, name: str, path: str) -> Prompt:
        """`load(..., full=False)` with the content hash known: from the code cache when this
        machine computed it for that commit and path before (see hashcache.py)."""
        prompt = self.load(commit, name, path, full=False)
        return with_known_hash(
            prompt, self._code_cache, commit=commit, path=path, config=self._config
        )

    def _missing(self, commit: str, path: str) -> str:
        """Why `path` at `commit` gave no file: absent, or too large to read (catfile.py)."""
        from promptreg.registry.catfile import MAX_OBJECT_BYTES, OVERSIZE

        if self._store.object_types([f"{commit}:{path}"]) == [OVERSIZE]:
            return f"{path} at commit {commit[:12]} is over {MAX_OBJECT_BYTES:,} bytes"
        return f"{path} does not exist at commit {commit[:12]}"

    def load(self, commit: str, name: str, path: str, *, full: bool) -> Prompt:
        """Read `name` at `commit` from `path`. `full`: every check `validate` makes on the
        file; otherwise the front-matter now and the template when first needed (the content
        hash needs it)."""
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
                data = self._store.read(commit, path)
            shown = f"{path}@{commit[:12]}"
            self._refuse_symlink(commit, path, name, shown)
            if data is None:
                raise PromptNotFoundError(self._missing(commit, path))
            env = self._env_at(commit, path, name)
            abs_path = self._store.root / path
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
        found = self._store.special_on_path(commit, path)
        if found is not None and found[1] == "submodule":
            raise PromptNotFoundError(
                f"{path} at commit {commit[:12]}: {found[0]} is a submodule entry, not a file"
            )
        link = found[0] if found is not None else None
        if link is not None:
            depth = name.count("/") + 1
            under = "/".join(path.split("/")[:-depth])
            relative = link[len(under) + 1 :] if under else link
            message = symlink_message("this prompt file", relative, path.rsplit("/", 1)[-1])
            raise PromptFileError([Finding(shown, 1, 1, "PR006", message)])

    def _env_at(self, commit: str, path: str, name: str) -> TemplateEnv:
        """The Jinja environment whose partials are read at `commit` (one per commit, LRU)."""
        env = self._envs.get(commit)
        if env is not None:
            self._envs.move_to_end(commit)
            return env
        depth = name.count("/") + 1
        prompts_rel = "/".join(path.split("/")[:-depth])
        store = self._store

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
            self._store.root / prompts_rel if prompts_rel else self._store.root,
            read,
            code_cache=self._code_cache,
            limits=self._config.limits,
            max_bytes=self._config.lint.max_file_bytes,
        )
        self._envs[commit] = env
        if len(self._envs) > _ENV_CACHE_SIZE:
            self._envs.popitem(last=False)
        return env
