"""How this clone's deployments compare with the shared remote's, for `status` and `history`
(issue 10): deployments that exist only here, and environments the remote has moved on in.

Asking the remote is one `git ls-remote` of the promptreg tags (names and object ids, no
objects); nothing is fetched and no local ref changes, as `git status` compares with a
remote-tracking branch. `--offline` asks nothing and compares with the state ref as last
fetched (by promote, rollback or sync). A remote that is down leaves the marks out and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promptreg.errors import RemoteError
from promptreg.registry.remote import choose_remote, ls_remote
from promptreg.registry.state_ref import read_state, tracking_ref
from promptreg.registry.tags import parse_deployment_name

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry


@dataclass(frozen=True)
class RemoteView:
    remote: str | None
    asked: bool  # the remote answered now (else: offline, down, or no remote)
    local_only: frozenset[str] = frozenset()  # tags here that the remote lacks (or differ)
    remote_seqs: dict[tuple[str, str], int] = field(default_factory=dict)
    note: str | None = None  # why there are no marks, for stderr

    def newer(self, name: str, env: str, local_seq: int | None) -> int | None:
        """The remote's newest seq of (name, env) when above `local_seq` (None: not newer)."""
        seq = self.remote_seqs.get((name, env))
        if seq is None or (local_seq is not None and seq <= local_seq):
            return None
        return seq


def remote_view(registry: Registry, *, offline: bool) -> RemoteView:
    config = registry.project.config
    store = registry.store
    choice = choose_remote(
        store, explicit=None, no_push=False, configured=config.remote, push_default=True
    )
    remote = choice.remote
    if remote is None:
        return RemoteView(None, False)
    if offline:
        fetched = read_state(store, tracking_ref(remote))
        last = {key: e.seq for key, e in (fetched[1] if fetched else {}).items()}
        return RemoteView(remote, False, remote_seqs=last, note=f"offline: {remote} not asked")
    try:
        theirs = ls_remote(store, remote, ["refs/tags/prompts/*"])
    except RemoteError as err:
        return RemoteView(remote, False, note=f"{err}; showing this clone only")
    ours = {ref: obj for ref, obj, _ in store.ref_objects("prompts/")}
    local_only = frozenset(r for r, o in ours.items() if theirs.get(f"refs/tags/{r}") != o)
    seqs: dict[tuple[str, str], int] = {}
    for ref in theirs:
        parsed = parse_deployment_name(ref.removeprefix("refs/tags/"))
        if parsed is not None and ref.removeprefix("refs/tags/") not in ours:
            key = parsed[:2]
            seqs[key] = max(seqs.get(key, 0), parsed[2])
    return RemoteView(remote, True, local_only, seqs)
