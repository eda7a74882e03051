"""The state ref: a small index of what each environment runs, for followers to poll.

`refs/promptreg/state` on the remote names a commit (empty tree, no parent) whose message
lists, one line each, the newest deployment of every (prompt, environment):

    promptreg state 1

    support/triage prod 000004 <tag object id>

`promote` and `rollback` move it in the same atomic push as the tag (`--force-with-lease`
on the value they fetched, so two promoters cannot both write it: the loser's whole push is
rejected and retried). A follower compares this one ref on each poll (`git fetch` of one ref:
the same few hundred bytes at 10 or 100,000 tags) and fetches tags only for the entries that
moved. The tags stay the history and the truth: followers judge what they fetch with the same
read model as a local registry, a missing state ref means "list the tags", and a stale or
forged one can only delay a follower (never make it serve a tag that does not count) until
its periodic full listing or `promptreg sync` repairs it. No parent: the ref carries
no history to grow (the tags are the history), so a follower never downloads old states.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from promptreg.errors import StateError
from promptreg.names import name_problem
from promptreg.registry.tagobject import is_object_id
from promptreg.registry.tags import SEQ_WIDTH, deployment_tag

if TYPE_CHECKING:
    from promptreg.registry.gitstore import GitStore
    from promptreg.registry.runtime import Registry

STATE_REF = "refs/promptreg/state"
HEADER = "promptreg state 1"
# A state is a few dozen bytes an entry: 2,000 prompts in 3 environments is ~0.5 MB.
MAX_STATE_BYTES = 16 * 1024 * 1024


class Entry(NamedTuple):
    name: str
    env: str
    seq: int
    object: str  # the tag object id

    @property
    def tag(self) -> str:
        return deployment_tag(self.name, self.env, self.seq)


State = dict[tuple[str, str], Entry]


def format_state(entries: Iterable[Entry]) -> str:
    lines = [HEADER, ""]
    for e in sorted(entries, key=lambda e: (e.name, e.env)):
        lines.append(f"{e.name} {e.env} {e.seq:0{SEQ_WIDTH}d} {e.object}")
    return "\n".join(lines) + "\n"


def parse_state(text: str) -> State:
    """The entries of a state message; StateError when it is not one (bounded: at most
    MAX_STATE_BYTES, one split per line)."""
    if len(text) > MAX_STATE_BYTES:
        raise StateError(f"state message over {MAX_STATE_BYTES} bytes")
    lines = text.split("\n")
    if not lines or lines[0] != HEADER:
        raise StateError("not a promptreg state (first line)")
    state: State = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        parts = line.split(" ")
        if len(parts) != 4:
            raise StateError(f"line {number}: expected `name env seq object`")
        name, env, seq_text, obj = parts
        if name_problem(name) or not env or not seq_text.isascii() or not seq_text.isdigit():
            raise StateError(f"line {number}: not a prompt, environment and seq")
        if len(seq_text) > 12 or not is_object_id(obj):
            raise StateError(f"line {number}: bad seq or object id")
        state[(name, env)] = Entry(name, env, int(seq_text), obj)
    return state


def commit_message(raw: bytes) -> str:
    """The message of a raw commit object (after the first blank line)."""
    _, sep, message = raw.partition(b"\n\n")
    if not sep:
        raise StateError("not a commit object")
    return message.decode("utf-8", "replace")


def read_state(store: GitStore, ref: str = STATE_REF) -> tuple[str, State] | None:
    """(commit id, entries) of the state at `ref` here; None when there is none (or it is
    not promptreg's: the tags decide then)."""
    oid = ref if is_object_id(ref) else store.rev_parse_commit(ref)  # (an id: no git process)
    if oid is None:
        return None
    found = store.read_typed([oid])[0]
    if found is None or found[0] != "commit":
        return None
    try:
        return oid, parse_state(commit_message(found[1][: MAX_STATE_BYTES + 4096]))
    except StateError:
        return oid, {}


def write_state(store: GitStore, entries: Iterable[Entry]) -> str:
    """A state commit (object only, no ref) for `entries`: empty tree, no parent."""
    tree = store.run("mktree", stdin="").strip()
    return store.run("commit-tree", tree, stdin=format_state(entries)).strip()


def tracking_ref(remote: str) -> str:
    """Where the state fetched from `remote` (a name or a URL) is kept in a clone."""
    digest = hashlib.sha256(remote.encode("utf-8")).hexdigest()[:16]
    return f"refs/promptreg/remotes/{digest}/state"


def fetch_refspec(remote: str) -> str:
    """The refspec that fetches the remote's state into `tracking_ref(remote)`. A glob, so a
    remote without a state ref is not an error (it matches nothing)."""
    return f"+refs/promptreg/stat*:{tracking_ref(remote)[: -len('state')]}stat*"


def running_entries(registry: Registry) -> State:
    """The state of what this clone's tags say each environment runs (the read model)."""
    objects = {ref: obj for ref, obj, _ in registry.store.ref_objects("prompts/")}
    state: State = {}
    for (name, env), d in registry.running().items():
        obj = objects.get(d.tag)
        if obj is not None:
            state[(name, env)] = Entry(name, env, d.seq, obj)
    return state


def push_update(
    registry: Registry, remote: str, new: Iterable[Entry]
) -> tuple[list[str], list[str]]:
    """(refspecs, push options) that move the remote's state ref to include `new`, in the
    same atomic push as their tags. Built on the state last fetched from `remote` (see
    `fetch_refspec`); with none there yet, on what this clone's tags say (the caller fetched
    them). The lease makes the push fail if someone moved the ref since: retry then."""
    store = registry.store
    fetched = read_state(store, tracking_ref(remote))
    if fetched is None:
        base, entries = "", running_entries(registry)
    else:
        base, entries = fetched[0], dict(fetched[1])
    for entry in new:
        old = entries.get((entry.name, entry.env))
        if old is None or old.seq <= entry.seq:
            entries[(entry.name, entry.env)] = entry
    commit = write_state(store, entries.values())
    return [f"+{commit}:{STATE_REF}"], [f"--force-with-lease={STATE_REF}:{base}"]


def lost_state_race(stderr: str) -> bool:
    """Whether a rejected atomic push failed on the state ref (another promoter moved it),
    not on a tag: the seq was free, so the retry keeps it."""
    return any(STATE_REF in line and "atomic push failed" not in line for line in _rejected(stderr))


def _rejected(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "[rejected]" in line]
