"""Talking to the shared remote: which one, fetching without moving a tag, and what a remote
that is down looks like (issue 10).

The remote is the registry a team shares. `promote` and `rollback` fetch the environment's
deployment tags from it first and push atomically; `--no-push` (or `push: false` in
promptreg.yaml) keeps a deployment in this clone on purpose. Every git call that crosses the
network goes through here, so a remote that cannot be reached is always reported the same way:
`RemoteError`, naming the remote and what git said, never a half-made state (the callers push
before they create a local ref).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptreg.errors import GitError, PushRefusedError, RemoteError
from promptreg.registry.gitstore import GitStore
from promptreg.repository import remote_arg

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry

# Fetches and pushes do not prompt for a password (`GIT_TERMINAL_PROMPT=0` in git_env), and
# do not wait forever on a remote that accepts a connection and then says nothing.
_NETWORK_CONFIG = ("-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=20")
_QUIET_FETCH = ("--no-write-fetch-head",)
_CLOBBER = "would clobber existing tag"


@dataclass(frozen=True)
class PushChoice:
    """The remote a deployment command pushes to (None: none), and why, for messages."""

    remote: str | None
    why: str


def choose_remote(
    store: GitStore,
    *,
    explicit: str | None,
    no_push: bool,
    configured: str | None,
    push_default: bool,
) -> PushChoice:
    """Which remote `promote`/`rollback`/`sync` talk to. `--push REMOTE` wins; `--no-push`
    (or `push: false`) means none; otherwise `remote:` from promptreg.yaml, else `origin` when
    the repository has one, else none (a clone with no remote works as before)."""
    if explicit is not None and no_push:
        from promptreg.errors import UsageError

        raise UsageError("give --push or --no-push, not both")
    if explicit is not None:
        return PushChoice(remote_arg(explicit), "--push")
    if no_push:
        return PushChoice(None, "--no-push")
    if not push_default:
        return PushChoice(None, "push: false in promptreg.yaml")
    if configured is not None:
        return PushChoice(configured, "remote: in promptreg.yaml")
    if "origin" in remotes(store):
        return PushChoice("origin", "the repository's origin")
    return PushChoice(None, "no remote configured")


def remotes(store: GitStore) -> list[str]:
    return store.run("remote").split()


def fetch(
    store: GitStore, remote: str, refspecs: Sequence[str], *, extra: Sequence[str] = ()
) -> list[str]:
    """`git fetch --no-tags` of `refspecs`, never moving a local tag: a local tag that differs
    from the remote's of the same name stays as it is (git refuses to clobber it), and its
    name is returned. Raises RemoteError when the remote cannot be reached."""
    if not refspecs:
        return []
    try:
        store.run(
            *_NETWORK_CONFIG,
            "fetch",
            "--no-tags",
            *_QUIET_FETCH,
            *extra,
            remote_arg(remote),
            *refspecs,
        )
    except GitError as err:
        clobbered = _clobbered(err.stderr)
        if clobbered and all(
            _CLOBBER in ln or not ln.lstrip().startswith("!") for ln in err.stderr.splitlines()
        ):
            return clobbered
        raise _remote_error(remote, err) from None
    return []


def ls_remote(store: GitStore, remote: str, patterns: Sequence[str]) -> dict[str, str]:
    """{ref: object id} of the remote's refs under the given prefixes (`refs/tags/prompts/`),
    without fetching anything. Peeled entries (`^{}`) are left out."""
    try:
        out = store.run(*_NETWORK_CONFIG, "ls-remote", "--refs", remote_arg(remote), *patterns)
    except GitError as err:
        raise _remote_error(remote, err) from None
    found: dict[str, str] = {}
    prefixes = tuple(p.rstrip("*") for p in patterns)
    for line in out.splitlines():
        oid, _, ref = line.partition("\t")
        if ref and (not prefixes or ref.startswith(prefixes)):
            found[ref] = oid
    return found


def fetch_for_deploy(registry: Registry, remote: str, patterns: Sequence[str]) -> list[str]:
    """Before a deployment is made: the remote's tags matching `patterns` (relative to
    refs/tags/) and its state ref, in one fetch. Returns the local tags git kept although
    the remote has another tag of that name (settled by `promptreg sync`)."""
    from promptreg.registry.state_ref import fetch_refspec

    refspecs = [f"refs/tags/{p}:refs/tags/{p}" for p in patterns]
    return fetch(registry.store, remote, [*refspecs, fetch_refspec(remote)])


def env_patterns(
    registry: Registry, names: Sequence[str], to: str, from_env: str | None
) -> list[str]:
    """The tag patterns of `to`, the environment before it and `from_env`, for `names`."""
    from promptreg.names import name_problem
    from promptreg.registry.tags import deployments_prefix

    envs = registry.environments
    before = envs[envs.index(to) - 1] if envs.index(to) > 0 else None
    wanted = dict.fromkeys(e for e in (to, before, from_env) if e is not None)
    return [deployments_prefix(n, e) + "*" for n in names if not name_problem(n) for e in wanted]


def parse_seq(tag: str) -> int:
    """The seq of a deployment tag promote itself named."""
    from promptreg.registry.tags import parse_deployment_name

    parsed = parse_deployment_name(tag)
    assert parsed is not None
    return parsed[2]


def push_refs(
    store: GitStore, remote: str, refspecs: Sequence[str], options: Sequence[str] = ()
) -> None:
    """An atomic push (see GitStore.push) whose network failure is a RemoteError. A host
    that refuses the state ref itself (a hook that allows only branches and tags) gets the
    push again without it: followers then list tags (mirror.py), and deploying still works.
    A rejection that is a race (a ref of ours exists there now, the state ref moved) is a
    `PushRejectedError`, for the caller to fetch and retry; any other refusal (a hook that
    declines, a protected ref) is a `PushRefusedError` with git's own words."""
    from promptreg.errors import PushRejectedError
    from promptreg.registry.state_ref import STATE_REF

    try:
        try:
            store.push(remote, refspecs, options=options)
        except PushRejectedError as err:
            refused = [
                ln
                for ln in err.stderr.splitlines()
                if "[remote rejected]" in ln and STATE_REF in ln
            ]
            if not refused or "atomic" in refused[0]:
                raise
            kept = [r for r in refspecs if not r.endswith(f":{STATE_REF}")]
            store.push(remote, kept, options=[o for o in options if STATE_REF not in o])
    except PushRejectedError as err:
        if not lost_a_race(err.stderr):
            raise PushRefusedError(remote, err.stderr, refusal(err.stderr)) from None
        raise
    except GitError as err:
        raise _remote_error(remote, err) from None


# The reasons git gives for a ref it did not update because the remote's ref is not what
# this clone saw: a race with another pusher. Client side (`[rejected]`): the tag exists
# there, the state ref's lease is stale, a branch moved; remote side (`[remote rejected]`),
# a ref that moved between the advertisement and the update.
_RACE_REASONS = (
    "already exists",
    "stale info",
    "fetch first",
    "non-fast-forward",
    "failed to update ref",
    "incorrect old value",
)
_MAX_LINES, _MAX_LINE = 20, 300  # of a refusal shown: a remote's text may be anything


def lost_a_race(stderr: str) -> bool:
    """Whether a rejected push failed because a ref moved on the remote (see _RACE_REASONS),
    rather than a refusal of the remote's own (`pre-receive hook declined`, `deny updating
    a hidden ref`, a protected tag, a lock file left on the server). `atomic ... failed`
    lines are the refs of the same push refused all together: the remote's `cannot lock
    ref` line before them says why (a ref that exists now, or moved: a race). A hook that
    prints those words itself gets one retry at most: the callers stop when the same push
    is rejected twice."""
    for line in stderr.splitlines():
        if "cannot lock ref" in line:
            if any(race in line for race in _REMOTE_RACES):
                return True
            continue
        if line.startswith("remote:"):  # a hook's own text, whatever it says
            continue
        if "[rejected]" not in line and "[remote rejected]" not in line:
            continue
        reason = line.rsplit("(", 1)[-1]
        if "atomic" not in reason and any(race in reason for race in _RACE_REASONS):
            return True
    return False


# What the remote's ref transaction says of a ref that another push created or moved
# after git advertised it (`cannot lock ref '...': reference already exists`).
_REMOTE_RACES = ("reference already exists", "but expected")


def refusal(stderr: str) -> str:
    """What git and the remote said about a refused push (the `remote:` lines a hook wrote,
    the refs and reasons), bounded, without git's generic last line."""
    lines = [
        ln.rstrip()[:_MAX_LINE]
        for ln in stderr.splitlines()
        if ln.strip() and not ln.startswith(("To ", "error: failed to push some refs"))
    ]
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], f"... ({len(lines) - _MAX_LINES} more lines)"]
    return "\n".join(lines) or "git gave no reason"


def _remote_error(remote: str, err: GitError) -> GitError:
    """A RemoteError for a failure to talk to `remote`; other failures say what git said."""
    text = err.stderr.lower()
    if "couldn't find remote ref head" in text:
        return GitError(
            f"{remote} has no default branch (HEAD names no branch): push the branch that "
            "holds promptreg.yaml and make it the default",
            stderr=err.stderr,
        )
    signs = (
        "could not read from remote",
        "unable to access",
        "does not appear to be a git repository",
        "connection refused",
        "could not resolve host",
        "unable to connect",
        "timed out",
        "the remote end hung up",
        "repository not found",
        "no such remote",
        "not found",
        "couldn't connect",
    )
    if any(s in text for s in signs):
        return RemoteError(remote, err.stderr)
    first = next((ln for ln in err.stderr.splitlines() if ln.strip()), "no message")
    return GitError(f"git could not fetch from or push to {remote}: {first}", stderr=err.stderr)


def _clobbered(stderr: str) -> list[str]:
    names = []
    for line in stderr.splitlines():
        if _CLOBBER in line:
            parts = line.split()
            if "->" in parts:
                names.append(parts[parts.index("->") + 1])
    return names
