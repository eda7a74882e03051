"""A partial bare mirror of the registry on a remote, for services without a checkout.

`promptreg mirror URL DIR` (an init container, a sidecar, cron) and `Registry.from_remote`
keep one: a bare repository holding the remote's default branch at depth 1 (for
promptreg.yaml), its promptreg tags (deployments and releases), its state ref, and none of
the blobs until one is read (`--filter=blob:none`: git fetches a prompt's file from the
remote the first time it is asked for). `Registry(DIR)` then works on it like on any bare
repository, through the same read model of deployments.

A poll (`update`) is one `git fetch` of two refs (the state ref and the default branch): when
nothing moved, git answers with those two refs and sends no pack, whatever the number of
tags. When the state ref moved, only the tags of the entries that changed are fetched; every
`full_every` seconds (and when the remote has no state ref) all the promptreg tags are, so a
stale or forged state ref delays a follower but never decides what it serves.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from promptreg.registry.gitstore import GitError, GitStore, git_env
from promptreg.registry.remote import RemoteError, fetch
from promptreg.registry.state_ref import STATE_REF, State, read_state
from promptreg.registry.tags import PREFIX

# Tags of at most this many changed entries are fetched one refspec each; more: all of them.
_FEW = 64
_BRANCH = "refs/heads/main"


@dataclass(frozen=True)
class Update:
    """What one `update` did."""

    changed: bool  # the state ref, the default branch or the tags moved
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


def update(directory: Path, *, full: bool = False) -> Update:
    """One poll of the remote (see the module's docstring). Raises RemoteError when the
    remote cannot be reached; the mirror then stays as it was."""
    store = GitStore(directory)
    try:
        return _update(store, directory, full)
    finally:
        store.close()


def _update(store: GitStore, directory: Path, full: bool) -> Update:
    before = read_state(store)
    head_before = store.rev_parse_commit(_BRANCH)
    first = head_before is None
    fetch_refs(store, ["+refs/promptreg/stat*:refs/promptreg/stat*", f"+HEAD:{_BRANCH}"])
    after = read_state(store)
    head_after = store.rev_parse_commit(_BRANCH)
    changed = head_after != head_before or (after or ("", {}))[0] != (before or ("", {}))[0]
    if full or first or after is None:
        fetch_refs(store, [f"refs/tags/{PREFIX}*:refs/tags/{PREFIX}*"])
        _touch(directory)
        return Update(True, after[0] if after else None, True, 0)
    if not changed:
        _touch(directory)
        return Update(False, after[0], False, 0)
    moved = _moved(before[1] if before else {}, after[1])
    if len(moved) > _FEW:
        fetch_refs(store, [f"refs/tags/{PREFIX}*:refs/tags/{PREFIX}*"])
    else:
        specs = [f"refs/tags/{PREFIX}{n}@{e}/*:refs/tags/{PREFIX}{n}@{e}/*" for n, e in moved]
        fetch_refs(store, specs)
    _touch(directory)
    return Update(True, after[0], False, len(moved))


def fetch_refs(store: GitStore, refspecs: list[str]) -> None:
    """Fetch from `origin` at depth 1 (a deployment needs its commit, not the history)."""
    fetch(store, "origin", refspecs, extra=("--depth=1",))


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


def mirror(url: str, directory: Path) -> Update:
    """Create (if needed) and update the mirror of `url` in `directory`."""
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
    return update(directory)


__all__ = ["STATE_REF", "RemoteError", "Update", "last_success", "mirror", "update"]
