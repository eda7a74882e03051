"""The tags under one ref directory, read from the files git keeps them in: no git process.

An application's first `get` listed its prompt's deployment tags with `git for-each-ref`:
~2 ms to spawn git on a quiet machine, several times that on a busy one, in every service
start. Git's files backend keeps refs in two places: `packed-refs` (`<oid> <name>` lines, an
annotated tag followed by a `^<peeled oid>` line) and one loose file per ref under `refs/`
(`<oid>` and a newline); a loose ref overrides a packed one of the same name. Loose refs are
read before `packed-refs`, as git does, so a concurrent `git pack-refs` (which writes the
packed file, then deletes the loose ones) cannot hide a ref from us.

This reader answers only where it is sure to see what git sees, and returns None for
everything else, so that the caller asks git as before:
- a repository whose refs git reads in another way or another place: a reftable or sha256
  repository, or any `extensions.*` setting; a linked worktree (`commondir`); a
  case-insensitive file system (git compares names exactly). (A store runs git without
  `GIT_DIR`, `GIT_NAMESPACE` and friends: see repository.py.)
- a ref being written: a `*.lock` file in the directory, or `packed-refs.lock`;
- anything git reads with more rules than these: a symbolic ref or a symlink, a subdirectory
  (refs nested deeper), a name git might refuse, a file or a packed line whose content is
  not exactly one object id.
Which object each ref points at is all this module says; the type of that object (what
`for-each-ref` reports as `%(objecttype)`) is read by the store, through its object reader.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from promptreg._lazyre import DIGITS, HEX, LETTERS, is_word
from promptreg.registry.catfile import OVERSIZE

# The characters of a ref name component this reader vouches for (git accepts more).
_FIRST = LETTERS + DIGITS + "_@+-"
_REST = _FIRST + "."
# More refs than this under the asked directories: one `for-each-ref` costs less than reading
# the type of each object (this reader is for one prompt's deployments to an environment).
MAX_REFS = 64


def refs_from_files(
    git_dir: Path | None,
    common_dir: Path,
    patterns: Sequence[str],
    types: Callable[[Sequence[str]], list[str]],
) -> list[tuple[str, str, str]] | None:
    """(name under refs/tags/, object id, object type) of the refs under `patterns` (each a
    leaf directory relative to refs/tags/, ending in `/`), as `git for-each-ref` lists them
    with `%(objecttype)`; None: ask git. `types`: the type of each object, read by git's
    object reader (`missing` for none, `oversize` for one too large to read)."""
    if not patterns or len(patterns) > 8:
        return None
    if not all(p.endswith("/") and not any(c in p for c in "*?[\\") for p in patterns):
        return None
    refs: dict[str, str] = {}
    for pattern in patterns:
        found = read_tag_dir(git_dir, common_dir, pattern[:-1])
        if found is None:
            return None
        refs.update(found)
    if len(refs) > MAX_REFS:
        return None
    names = sorted(refs)
    kinds = types([refs[name] for name in names])
    if "missing" in kinds or OVERSIZE in kinds:  # for-each-ref fails, or reads the type
        return None
    return [(name, refs[name], kind) for name, kind in zip(names, kinds, strict=True)]


def read_tag_dir(git_dir: Path | None, common_dir: Path, directory: str) -> dict[str, str] | None:
    """{name under refs/tags/: object id} of every ref under `refs/tags/<directory>/`, as
    `git for-each-ref refs/tags/<directory>/` lists them; None when this reader
    cannot be sure of git's answer (see the module doc). `git_dir`: the work tree's own git
    directory (None: unknown)."""
    parts = directory.split("/")
    if git_dir is None or git_dir != common_dir or not all(_safe(p) for p in parts):
        return None
    if not _plain_repository(common_dir):
        return None
    loose = _loose(common_dir / "refs" / "tags", parts)
    if loose is None:
        return None
    packed = _packed(common_dir, f"refs/tags/{directory}/")
    if packed is None:
        return None
    packed.update(loose)  # a loose ref overrides the packed one
    return packed


def _safe(component: str) -> bool:
    return (
        is_word(component, _FIRST, _REST)
        and ".." not in component
        and "@{" not in component
        and not component.endswith((".", ".lock"))
    )


def _is_sha1(text: str) -> bool:
    return len(text) == 40 and not text.strip(HEX)


def _plain_repository(common_dir: Path) -> bool:
    """A files-backend, sha1 repository with no extension, on a case-sensitive file system."""
    if (common_dir / "reftable").exists() or (common_dir / "commondir").exists():
        return False
    try:
        config = (common_dir / "config").read_bytes()
    except OSError:
        return False
    if b"extensions" in config.lower():  # objectformat, refstorage, worktreeconfig, ...
        return False
    try:  # a case-insensitive file system finds `hEAD` too
        os.stat(common_dir / "hEAD")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def _loose(tags: Path, parts: list[str]) -> dict[str, str] | None:
    """The loose refs directly in `tags/<parts>`; None if git may read them otherwise."""
    path = tags
    for part in parts:  # real directories all the way (git would follow a link)
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return {}
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode):
            return None if stat.S_ISLNK(info.st_mode) else {}
    found: dict[str, str] = {}
    prefix = "/".join(parts)
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if len(found) >= MAX_REFS:
                    return None
                if not _safe(entry.name) or not entry.is_file(follow_symlinks=False):
                    return None  # a lock, a link, a subdirectory, a name git may refuse
                with open(entry.path, "rb") as f:
                    content = f.read(128)
                if not content.endswith(b"\n"):
                    return None
                oid = content[:-1].decode("ascii", "replace")
                if not _is_sha1(oid):
                    return None  # a symbolic ref (`ref: ...`), or not one object id
                found[f"{prefix}/{entry.name}"] = oid
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    return found


def _packed(common_dir: Path, prefix: str) -> dict[str, str] | None:
    """The packed refs under `prefix` (with `refs/tags/` dropped from their names)."""
    if (common_dir / "packed-refs.lock").exists():
        return None
    try:
        data = (common_dir / "packed-refs").read_bytes()
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    if data and not data.startswith(b"# pack-refs with:") and data[:1] not in b"0123456789abcdef":
        return None
    found: dict[str, str] = {}
    needle = f" {prefix}".encode()
    at = data.find(needle)
    while at != -1:
        if len(found) >= MAX_REFS:
            return None
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        if end == -1:
            return None  # git writes whole lines: this file is being written by hand
        line = data[start:end].decode("utf-8", "replace")
        oid, name = line[:40], line[41:]
        if at != start + 40 or not _is_sha1(oid) or not name.startswith(prefix):
            return None
        if not all(_safe(part) for part in name.split("/")):
            return None
        following = data[end + 1 : data.find(b"\n", end + 1)].decode("ascii", "replace")
        if following.startswith("^") and not _is_sha1(following[1:]):
            return None
        found[name.removeprefix("refs/tags/")] = oid
        at = data.find(needle, end)
    return found
