"""A partial bare mirror of the registry on a remote, for services without a checkout.

`promptreg mirror URL DIR` (an init container, a sidecar, cron) and `Registry.from_remote`
keep one: a bare repository holding the remote's default branch at depth 1 (for
promptreg.yaml), its promptreg tags (deployments and releases), its state ref, and none of
the blobs until one is read (`--filter=blob:none`: git fetches a prompt's file from the
remote the first time it is asked for). `Registry(DIR)` then works on it like on any bare
repository, through the same read model of deployments.

A poll (`update`) is one `git fetch` of one ref, the state ref: when nothing moved, git
answers with that ref and sends no pack, whatever the number of tags. When it moved, only the
tags of the entries that changed are fetched. A full sync (the first, every `full_every`
seconds of a follower, and every poll when the remote has no state ref) fetches the default
branch (promptreg.yaml: environments, signing) and every promptreg tag, so a stale or forged
state ref delays a follower but never decides what it serves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from promptreg.errors import GitError, RemoteError
from promptreg.registry.gitstore import GitStore
from promptreg.registry.probe import ProbeUnavailable, remote_ref
from promptreg.registry.remote import fetch
from promptreg.registry.state_ref import STATE_REF, State, read_state
from promptreg.registry.tags import PREFIX
from promptreg.repository import git_env

# Tags of at most this many changed entries are fetched one refspec each; more: all of them.
_FEW = 64
_BRANCH = "refs/heads/main"
_STATE = ["+refs/promptreg/stat*:refs/promptreg/stat*"]
_TAGS = f"refs/tags/{PREFIX}*"


@dataclass(frozen=True)
class Update:
    """What one `update` did."""

    changed: bool  # what this mirror follows moved (or a full sync ran)
    state: str | None  # the state commit now (None: the remote has no state ref)
    full: bool  # every promptreg tag was listed (no state ref, first sync, or periodic)
    fetched: int  # deployment groups fetched on their own


def is_mirror(directory: Path) -> bool:
    return (directory / "HEAD").is_file() and (directory / "objects").is_dir()


def create(url: str, directory: Path) -> None:
    """A new empty partial mirror of `url` in `directory` (no network yet)."""
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    env = git_env()
    subprocess.run(
        ["git", "init", "-q", "--bare", str(directory)], env=env, check=True, capture_output=True
    )
    store = GitStore(directory)
    try:
        for key, value in (
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
            ("remote.origin.url", url),
            ("remote.origin.promisor", "true"),
            ("remote.origin.partialclonefilter", "blob:none"),
            ("fetch.writeCommitGraph", "false"),
            ("gc.auto", "0"),
        ):
            store.run("config", key, value)
        store.run("symbolic-ref", "HEAD", _BRANCH)
    finally:
        store.close()


def update(
    directory: Path,
    *,
    full: bool = False,
    names: Collection[str] | None = None,
    url: str | None = None,
) -> Update:
    """One poll of the remote (see the module's docstring). `names`: follow only these
    prompts' tags (a follower fetches a prompt's tags when it is first asked for; None: every
    promptreg tag, for `promptreg mirror`). Raises RemoteError when the remote cannot be
    reached; the mirror then stays as it was. `url`: the remote's, to probe the state ref
    without starting git (probe.py) before fetching it."""
    if url is not None and not full:
        before = _ref_oid(directory, STATE_REF)
        if before is not None and _ref_oid(directory, _BRANCH) is not None:
            try:
                if remote_ref(url, STATE_REF) == before:
                    _touch(directory)
                    return Update(False, before, False, 0)
            except ProbeUnavailable:
                pass  # `git fetch` decides
    store = GitStore(directory)
    try:
        return _update(store, directory, full, names)
    finally:
        store.close()


def follow(directory: Path, names: Collection[str]) -> None:
    """Fetch the tags (deployments and releases) of `names` now."""
    store = GitStore(directory)
    try:
        fetch_refs(store, _tag_specs(names), depth=True)
    finally:
        store.close()


def _tag_specs(names: Collection[str] | None) -> list[str]:
    if names is None:
        return [f"{_TAGS}:{_TAGS}"]
    return [f"refs/tags/{PREFIX}{n}@*:refs/tags/{PREFIX}{n}@*" for n in sorted(names)]


def _update(store: GitStore, directory: Path, full: bool, names: Collection[str] | None) -> Update:
    before = _ref_oid(directory, STATE_REF)
    first = _ref_oid(directory, _BRANCH) is None
    if full or first:
        # The default branch (promptreg.yaml) and every followed tag: the tags decide, so a
        # stale or forged state ref cannot hide a deployment for longer than this.
        fetch_refs(store, [*_STATE, f"+HEAD:{_BRANCH}", *_tag_specs(names)], depth=True)
        _touch(directory)
        return Update(True, _ref_oid(directory, STATE_REF), True, 0)
    fetch_refs(store, _STATE, depth=False)  # the poll: one ref, no history (no parent)
    after = _ref_oid(directory, STATE_REF)
    if after is None:  # the remote has no state ref: list the tags on every poll
        if names is None or names:
            fetch_refs(store, _tag_specs(names), depth=True)
        _touch(directory)
        return Update(True, None, True, 0)
    if after == before:
        _touch(directory)
        return Update(False, after, False, 0)
    old = read_state(store, before) if before else None
    new = read_state(store, after)
    moved = _moved(old[1] if old else {}, new[1] if new else {})
    wanted = sorted({n for n, _ in moved if names is None or n in names})
    if wanted:
        many = names is None and len(wanted) > _FEW
        fetch_refs(store, _tag_specs(None if many else wanted), depth=True)
    _touch(directory)
    # Changed for this mirror only when what it follows moved: a follower of 3 prompts does
    # not rebuild its registry for each promotion of the other 1,997.
    return Update(bool(wanted) or old is None, after, False, len(wanted))


def _ref_oid(directory: Path, ref: str) -> str | None:
    """The object id `ref` names, read from the files git keeps (no git process: the
    no-change poll then costs one `git fetch`)."""
    try:
        text = (directory / ref).read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        text = ""
    if text and not text.startswith("ref:"):
        return text
    try:
        with (directory / "packed-refs").open("rb") as packed:
            for line in packed:
                if line.rstrip(b"\n").endswith(b" " + ref.encode()):
                    return line.split(b" ", 1)[0].decode("ascii")
    except FileNotFoundError:
        pass
    return None


def fetch_refs(store: GitStore, refspecs: list[str], *, depth: bool) -> None:
    """Fetch from `origin`; `depth`: at depth 1 (a deployment needs its commit, not the
    history; the state commit has no parent, so its poll goes without the shallow dance)."""
    fetch(store, "origin", refspecs, extra=("--depth=1",) if depth else ())


def _moved(before: State, after: State) -> list[tuple[str, str]]:
    return sorted(key for key in after if before.get(key) != after[key])


def last_success(directory: Path) -> float | None:
    """When the mirror last synced (epoch seconds), from the stamp file `update` touches."""
    try:
        return (directory / "promptreg-synced").stat().st_mtime
    except FileNotFoundError:
        return None


def _touch(directory: Path) -> None:
    stamp = directory / "promptreg-synced"
    stamp.touch()
    now = time.time()
    os.utime(stamp, (now, now))


def mirror(url: str, directory: Path, *, names: Collection[str] | None = None) -> Update:
    """Create (if needed) and update the mirror of `url` in `directory` (`names`: as for
    `update`)."""
    if not is_mirror(directory):
        if directory.exists() and any(directory.iterdir()):
            raise GitError(f"{directory} exists and is not a promptreg mirror")
        create(url, directory)
    store = GitStore(directory)
    try:
        configured = store.run("config", "--get", "remote.origin.url").strip()
    finally:
        store.close()
    if configured != url:
        raise GitError(f"{directory} mirrors {configured}, not {url}")
    return update(directory, names=names, url=url)


__all__ = ["STATE_REF", "RemoteError", "Update", "follow", "last_success", "mirror", "update"]
