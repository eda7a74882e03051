"""`promptreg sync`: this clone's promptreg tags onto the shared remote, seq collisions settled.

A deployment made with `--no-push` (or while the remote was down) exists in one clone only.
`sync` fetches the remote's promptreg tags, then pushes, in one atomic push, every local
deployment and release the remote lacks, and the state ref (state_ref.py) that says what each
environment runs.

A local deployment whose seq the remote already gave to *another* deployment (two clones
both made `name@dev/000002`) cannot be pushed under its name, and a tag is never moved or
deleted. It is re-created under the next free seq: a new annotated tag with the same prompt,
commit, version, content hash, reason and scores, whose message adds
`replaces: <old tag> <old tag object>`. Every reader judges it like any deployment (its name,
its message and the file at its commit; its signature where the environment requires one),
so it gets no trust from the tag it replaces. The local tag stays where it is, and a later
`sync` knows it is settled by that `replaces:` line. Later local-only deployments of the same
environment are re-created after it, so the environment ends up running what this clone
deployed last, as it did here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptreg.errors import PushRejectedError, RemoteError, SyncError, TagExistsError
from promptreg.registry.remote import fetch, ls_remote, push_refs, refusal
from promptreg.registry.state_ref import (
    Entry,
    fetch_refspec,
    read_state,
    running_entries,
    tracking_ref,
    write_state,
)
from promptreg.registry.tags import (
    PREFIX,
    Deployment,
    deployment_message,
    deployment_tag,
    parse_deployment_name,
    parse_release,
)
from promptreg.registry.verdicts import Rejected

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry

MAX_ATTEMPTS = 5
REPLACES = "replaces"
KEPT = "nothing was pushed, and every local tag is kept as it is; run `promptreg sync` again later"


@dataclass(frozen=True)
class Settled:
    old: str
    new: str
    object: str


@dataclass
class SyncResult:
    remote: str
    pushed: list[str] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    state: str = "unchanged"  # unchanged | updated | created
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "dry_run": self.dry_run,
            "pushed": self.pushed,
            "settled": [{"tag": s.old, "recreated_as": s.new} for s in self.settled],
            "skipped": [{"tag": t, "reason": r} for t, r in self.skipped],
            "conflicts": [{"tag": t, "reason": r} for t, r in self.conflicts],
            "state_ref": self.state,
        }

    def lines(self) -> list[str]:
        verb = "would push" if self.dry_run else "pushed"
        out = [f"{verb} {t} to {self.remote}" for t in self.pushed]
        for s in self.settled:
            out.append(
                f"re-created {s.old} as {s.new} on {self.remote}: {self.remote} gave that seq "
                f"to another deployment (the local {s.old} is kept, and settled)"
            )
        out += [f"not pushed {t}: {r}" for t, r in self.skipped]
        out += [f"conflict {t}: {r}" for t, r in self.conflicts]
        if self.state != "unchanged":
            out.append(f"state ref on {self.remote}: {self.state}")
        if not out:
            out.append(f"nothing to push: {self.remote} has every promptreg tag of this clone")
        return out


def sync(
    registry: Registry,
    remote: str,
    *,
    dry_run: bool = False,
    names: Collection[str] | None = None,
) -> SyncResult:
    """Push this clone's unpushed promptreg tags to `remote` (of `names`, default all), settle
    seq collisions, repair the state ref. All in one atomic push; a rejection (someone pushed
    meanwhile) fetches and plans again; a refusal that is no race (a hook that declines) is
    a PushRefusedError at once. RemoteError when the remote cannot be reached."""
    tried: list[str] = []  # the refspecs of the last rejected push
    for _ in range(MAX_ATTEMPTS):
        try:
            result, refspecs, options, new_tags = _plan(registry, remote, names, dry_run)
        except RemoteError as err:
            raise err.keeping(KEPT) from None
        if dry_run or not refspecs:
            return result
        try:
            push_refs(registry.store, remote, refspecs, options)
        except PushRejectedError as err:
            if refspecs == tried:  # planned again from a fresh listing, and the same push
                raise SyncError(
                    f"{remote} rejected the same push twice, so it is not a race: "
                    + refusal(err.stderr)
                ) from None
            tried = refspecs
            continue
        except RemoteError as err:
            raise err.keeping(KEPT) from None
        try:
            registry.store.publish_tags(new_tags)
        except TagExistsError as err:
            raise SyncError(
                f"pushed to {remote}, but a local tag {err.tag} appeared meanwhile; run "
                "`promptreg sync` again"
            ) from None
        return result
    raise SyncError(f"gave up after {MAX_ATTEMPTS} attempts: {remote} keeps changing under us")


def _plan(
    registry: Registry, remote: str, names: Collection[str] | None, dry_run: bool
) -> tuple[SyncResult, list[str], list[str], list[tuple[str, str]]]:
    store = registry.store
    patterns = [f"{PREFIX}*"] if names is None else [f"{PREFIX}{n}@*" for n in names]
    fetch(
        store, remote, [f"refs/tags/{p}:refs/tags/{p}" for p in patterns] + [fetch_refspec(remote)]
    )
    theirs = ls_remote(store, remote, ["refs/tags/prompts/*"])
    ours = {
        ref: obj
        for ref, obj, _ in store.ref_objects("prompts/")
        if names is None or ref.partition("@")[0].removeprefix(PREFIX) in names
    }
    result = SyncResult(remote, dry_run=dry_run)
    refspecs: list[str] = []
    groups: dict[tuple[str, str], list[str]] = {}
    for ref, obj in sorted(ours.items()):
        there = theirs.get(f"refs/tags/{ref}")
        if there == obj:
            continue
        parsed = parse_deployment_name(ref)
        if parsed is not None:
            groups.setdefault(parsed[:2], []).append(ref)
        elif parse_release(ref) is not None:
            if there is not None:
                result.conflicts.append(
                    (ref, f"{remote} has another {ref}: a released version never changes; "
                     "release the change under a new version")
                )  # fmt: skip
            else:
                refspecs.append(f"refs/tags/{ref}:refs/tags/{ref}")
                result.pushed.append(ref)
        else:
            result.skipped.append((ref, "not a deployment or release tag name"))
    new_tags: list[tuple[str, str]] = []
    new_entries: list[Entry] = []
    for (name, env), refs in sorted(groups.items()):
        if env not in registry.environments:
            result.skipped += [(r, f"environment {env!r} is not declared") for r in refs]
            continue
        pushed, made = _plan_group(
            registry, name, env, refs=refs, theirs=theirs, ours=ours, result=result
        )
        refspecs += [f"refs/tags/{t}:refs/tags/{t}" for t in pushed]
        for tag, obj in made:
            refspecs.append(f"{obj}:refs/tags/{tag}")
            new_tags.append((tag, obj))
            parsed = parse_deployment_name(tag)
            assert parsed is not None
            new_entries.append(Entry(name, env, parsed[2], obj))
    state_specs, options = _state_update(registry, remote, new_entries, names, result)
    if dry_run:
        return result, [], [], []
    return result, refspecs + state_specs if (refspecs or state_specs) else [], options, new_tags


def _plan_group(
    registry: Registry,
    name: str,
    env: str,
    *,
    refs: list[str],
    theirs: dict[str, str],
    ours: dict[str, str],
    result: SyncResult,
) -> tuple[list[str], list[tuple[str, str]]]:
    """(tags to push as they are, (name, object) of re-created tags) for one environment."""
    log = registry.deployment_log(name, env)
    wanted = set(refs)
    for r in log.rejected:
        if r.tag in wanted:
            result.skipped.append((r.tag, f"does not count as a deployment: {r.reason}"))
    settled = {str(d.extra.get(REPLACES)) for d in log.valid if REPLACES in d.extra}
    local_only = sorted((d for d in log.valid if d.tag in wanted), key=lambda d: d.seq)
    local_only = [d for d in local_only if f"{d.tag} {ours[d.tag]}" not in settled]
    first = next(
        (i for i, d in enumerate(local_only) if f"refs/tags/{d.tag}" in theirs), len(local_only)
    )
    pushed = [d.tag for d in local_only[:first]]
    result.pushed += pushed
    again = local_only[first:]
    if not again:
        return pushed, []
    # Above every seq taken here or there (a rejected local tag's name is taken too).
    mine = [f"refs/tags/{ref}" for ref in ours]
    taken = {int(r.rsplit("/", 1)[1]) for r in [*theirs, *mine] if _in_group(r, name, env)}
    seq = max([d.seq for d in log.valid] + list(taken) + [0])
    previous = log.valid[0].tag if log.valid else None
    items = []
    for d in again:
        seq += 1
        tag = deployment_tag(name, env, seq)
        items.append((tag, d.commit, _message(d, previous, ours[d.tag]), _signs(registry, env)))
        previous = tag
    objects = registry.store.make_tag_objects(items)
    made = []
    for d, (tag, *_), obj in zip(again, items, objects, strict=True):
        verdict = registry.reader.judge_ref(tag, obj)
        if isinstance(verdict, Rejected) or verdict is None:
            why = verdict.reason if verdict is not None else "not a deployment"
            result.skipped.append((d.tag, f"re-created as {tag}, it would not count: {why}"))
            continue
        result.settled.append(Settled(d.tag, tag, obj))
        made.append((tag, obj))
    return pushed, made


def _in_group(ref: str, name: str, env: str) -> bool:
    parsed = parse_deployment_name(ref.removeprefix("refs/tags/"))
    return parsed is not None and parsed[:2] == (name, env)


def _message(d: Deployment, previous: str | None, obj: str) -> str:
    return deployment_message(
        action=d.action,
        name=d.name,
        env=d.env,
        version=d.version,
        content_hash=d.content_hash or "",
        commit=d.commit,
        path=d.path or "",
        previous=previous,
        reason=d.reason,
        forced=d.forced,
        scores=d.scores,
        extra={**d.extra, REPLACES: f"{d.tag} {obj}"},
    )


def _signs(registry: Registry, env: str) -> bool:
    return env in registry.project.config.signing.environments


def _state_update(
    registry: Registry,
    remote: str,
    new: list[Entry],
    names: Collection[str] | None,
    result: SyncResult,
) -> tuple[list[str], list[str]]:
    """The refspec and lease that make the remote's state ref say what runs after this push.
    A full sync rebuilds it from the tags (repairing a stale or missing one); a sync of some
    prompts updates their entries only."""
    store = registry.store
    fetched = read_state(store, tracking_ref(remote))
    base, entries = ("", {}) if fetched is None else (fetched[0], dict(fetched[1]))
    want = dict(entries)
    if names is None:
        want = running_entries(registry)
    else:
        objects = {ref: obj for ref, obj, _ in store.ref_objects("prompts/")}
        for name in names:
            for env in registry.environments:
                d = registry.current(name, env)
                if d is not None and d.tag in objects:
                    want[(name, env)] = Entry(name, env, d.seq, objects[d.tag])
    for entry in new:
        old = want.get((entry.name, entry.env))
        if old is None or old.seq <= entry.seq:
            want[(entry.name, entry.env)] = entry
    if fetched is not None and want == entries:
        return [], []
    result.state = "created" if fetched is None else "updated"
    commit = write_state(store, want.values())
    # (no `+`: it would override the lease; see state_ref.push_update)
    return [f"{commit}:refs/promptreg/state"], [f"--force-with-lease=refs/promptreg/state:{base}"]


def push_existing(registry: Registry, remote: str, name: str, note: str) -> tuple[str, ...]:
    """`promote --push` of what already runs here: push `name`'s tags the remote lacks
    (`promptreg sync` for one prompt). The notes say what happened, after `note`."""
    lines = sync(registry, remote, names=[name]).lines()
    done = tuple(ln for ln in lines if not ln.startswith("nothing to push"))
    if done:
        return (f"{note}: nothing to deploy", *done)
    return (f"{note}: nothing to do, and {remote} has it",)
