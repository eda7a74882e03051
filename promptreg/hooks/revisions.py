"""Which two states a hook compares, and reading files in them.

- **base**: `--base REV`, else `PRE_COMMIT_FROM_REF` (pre-commit's `--from-ref`, in CI), else
  `HEAD`. None before the first commit: then every prompt is new.
- **target**: `PRE_COMMIT_TO_REF` (pre-commit's `--to-ref`) when set, else the *index*: what
  `git commit` is about to record, which is not the working tree when only part of a change is
  staged.

Every blob, on both sides, comes through one persistent `git cat-file --batch` process.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from promptreg.codecache import code_cache_for
from promptreg.errors import GitError, PromptregError, UsageError
from promptreg.limits import DEFAULT, Limits
from promptreg.registry.gitstore import GitStore
from promptreg.template.environment import TemplateEnv
from promptreg.template.sources import decode_source, read_regular

FROM_REF_VARS = ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_ORIGIN")  # ORIGIN: pre-commit < 2.x names
TO_REF_VARS = ("PRE_COMMIT_TO_REF", "PRE_COMMIT_SOURCE")


def open_store(start: Path) -> GitStore | None:
    """The repository containing `start`, reading the index the hook was given (see
    `GitStore`), or None when there is none."""
    try:
        return GitStore(start, index_file=os.environ.get("GIT_INDEX_FILE"))
    except GitError:
        return None


@dataclass(frozen=True)
class Sides:
    """`base`: a commit id, or None (no commits yet). `target`: a commit id, or None for the
    index. The labels name them in messages (`HEAD`, `origin/main`)."""

    base: str | None
    base_label: str
    target: str | None
    target_label: str


def resolve_sides(store: GitStore, base: str | None, environ: Mapping[str, str]) -> Sides:
    """The revisions to compare (see the module docstring). Raises `UsageError` when a
    revision given explicitly does not name a commit."""
    from_ref = base or _first(environ, FROM_REF_VARS)
    to_ref = _first(environ, TO_REF_VARS)
    label = from_ref or "HEAD"
    base_commit = store.rev_parse_commit(label)
    if base_commit is None and from_ref is not None:
        what = "--base" if base else "PRE_COMMIT_FROM_REF"
        raise UsageError(f"{what} {from_ref!r} does not name a commit (fetch it first?)")
    target = None
    if to_ref is not None:
        target = store.rev_parse_commit(to_ref)
        if target is None:
            raise UsageError(f"PRE_COMMIT_TO_REF {to_ref!r} does not name a commit")
    return Sides(base_commit, label, target, to_ref or "the index")


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if environ.get(name):
            return environ[name]
    return None


def changed_files(store: GitStore, sides: Sides) -> list[Path]:
    """Files added, copied, modified or renamed from the base to the target, absolute.

    Like pre-commit's `--from-ref/--to-ref`, changes are counted from the merge base, so what
    the base branch did meanwhile is not the change's."""
    args = ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMR"]
    if sides.target is None:
        args += ["--cached", *(["--merge-base", sides.base] if sides.base else [])]
    elif sides.base is None:
        args += [_EMPTY_TREE, sides.target]
    else:
        args.append(f"{sides.base}...{sides.target}")
    out = store.run(*args, "--")
    return [store.root / p for p in out.split("\0") if p]


def differing_paths(store: GitStore, sides: Sides, under: str) -> set[str]:
    """Paths under `under` (relative to the root) whose content differs between the base and
    the target themselves (not from the merge base): what a comparison of blobs would find."""
    base = sides.base or _EMPTY_TREE
    args = ["diff", "--name-only", "-z", "--no-renames"]
    args += ["--cached", base] if sides.target is None else [base, sides.target]
    out = store.run(*args, "--", under or ".")
    return {p for p in out.split("\0") if p}


# `git hash-object -t tree /dev/null`: the tree to diff against before the first commit.
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class Snapshot:
    """Files as they are in one state: a commit, the index (`rev=None`), or, with no store, the
    working tree. `fallback` reads the working tree for a file the state does not have (a file
    pre-commit passes that is not staged, say)."""

    def __init__(
        self, store: GitStore | None, rev: str | None, root: Path, *, fallback: bool
    ) -> None:
        self.store = store
        self.rev = rev
        self.root = root
        self.fallback = fallback

    def read(self, rel: str) -> bytes | None:
        """The bytes of `rel` (a path relative to the repository root), or None if absent."""
        data = None
        if self.store is not None:
            spec = f"{self.rev}:{rel}" if self.rev is not None else f":{rel}"
            data = self.store.read_blobs([spec])[0]
        if data is None and (self.fallback or self.store is None):
            data = self._from_disk(rel)
        return data

    def read_many(self, rels: Sequence[str | None]) -> list[bytes | None]:
        """`read` for many files (None stands for a file outside the repository), in one
        pipelined exchange with git."""
        wanted = [rel for rel in rels if rel is not None]
        found: dict[str, bytes | None] = {}
        if self.store is not None:
            prefix = f"{self.rev}:" if self.rev is not None else ":"
            blobs = self.store.read_blobs([prefix + rel for rel in wanted])
            found = dict(zip(wanted, blobs, strict=True))
        out = []
        for rel in rels:
            data = found.get(rel) if rel is not None else None
            if data is None and rel is not None and (self.fallback or self.store is None):
                data = self.read(rel) if self.store is None else self._from_disk(rel)
            out.append(data)
        return out

    def _from_disk(self, rel: str) -> bytes | None:
        try:
            return read_regular(self.root / rel)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as err:
            if err.errno == errno.ENAMETOOLONG:  # no file can have that name: absent
                return None
            raise PromptregError(f"cannot read: {err.strerror or err}", path=rel) from None

    def template_env(self, prompts_dir: Path, limits: Limits = DEFAULT) -> TemplateEnv:
        """A Jinja environment whose partials are read from this state."""
        prompts_rel = relative_to(prompts_dir, self.root)
        prefix = "" if prompts_rel in (None, ".") else f"{prompts_rel}/"

        def read(partial: str) -> str:
            data = self.read(prefix + partial)
            if data is None:
                raise FileNotFoundError(partial)
            return decode_source(data)

        return TemplateEnv(prompts_dir, read, code_cache=code_cache_for(self.root), limits=limits)


def relative_to(path: Path, root: Path) -> str | None:
    """`path` relative to `root` in posix form, or None when it is outside."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()  # the usual case: no symlinks to resolve
    except ValueError:
        pass
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None
