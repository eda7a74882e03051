"""Promote: deploy a version of one prompt, or of many at once, to an environment.

Release, promote and rollback (release.py, this module, rollback.py) are the only code that
creates tags, and nothing there ever moves or deletes one. A deployment tag is created with
`update-ref` and an empty old value, so when two promoters race for the same seq exactly one
wins; the other re-reads the refs and takes the next seq. With `--push`, the remote is the
arbiter: the new tag (and its version's release tag) are pushed atomically before the local
ref is written, and a rejection (someone else took that seq there) fetches the remote's
deployments and retries (tagging.py for one tag; `_deploy_many` here for a batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from promptreg.errors import (
    DeployError,
    PromotionRefused,
    PromptregError,
    PushRejectedError,
    TagExistsError,
    UsageError,
)
from promptreg.registry import readmany
from promptreg.registry.deployed import Deployed, Gate, Released
from promptreg.registry.refindex import RefIndex
from promptreg.registry.release import check_releases, message_for_release, release_one
from promptreg.registry.remote import env_patterns, fetch_for_deploy, parse_seq, push_refs, refusal
from promptreg.registry.runtime import Registry
from promptreg.registry.state_ref import Entry, push_update
from promptreg.registry.sync import push_existing
from promptreg.registry.tagging import (
    MAX_ATTEMPTS,
    check_ref,
    create_deployment,
    head_commit,
    next_seq,
    refuse_if_rejected,
)
from promptreg.registry.tags import (
    PREFIX,
    Deployment,
    deployment_message,
    deployment_tag,
    deployments_prefix,
)
from promptreg.registry.verdicts import content_matches, is_legacy_match
from promptreg.template.prompt import Prompt


def promote(
    registry: Registry,
    name: str,
    *,
    to: str,
    version: str | None = None,
    from_env: str | None = None,
    reason: str | None = None,
    push: str | None = None,
    force: bool = False,
    gate: Gate,
    sign: bool = False,
) -> Deployed:
    """Deploy a version of `name` to `to` (default: the version at HEAD, released if needed).

    Refused, unless `force` with a `reason`, when the previous environment does not run that
    version, or when `gate` says no (the CLI passes the evals gate, `evals.gate.deploy_gate`;
    the registry layer does not import evals).
    `sign`: sign the tag with git's ssh signing key (always, where `signing:` requires it).
    """
    envs = registry.environments
    registry.check_env(to)
    if version is not None and from_env is not None:
        raise UsageError("give --version or --from, not both")
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason: the reason is written into the deployment tag")
    released = None
    if push is not None:  # what the team's remote says first: the environments involved
        fetch_for_deploy(registry, push, env_patterns(registry, [name], to, from_env))
    if from_env is not None:
        registry.check_env(from_env)
        source = registry.current(name, from_env)
        if source is None:
            raise DeployError(f"{name} has never been deployed to {from_env}: nothing to promote")
        commit = source.commit
        prompt = registry.load_at(commit, name, path=source.path)
    elif version is not None:
        commit = registry.released_commit(name, version)
        prompt = registry.load_at(commit, name)
    else:
        released = release_one(registry, name, head_commit(registry))
        commit = released.commit
        prompt = registry.load_at(commit, name)

    current = registry.current(name, to)
    if current is not None and _runs_already(prompt, current):
        note = f"{to} already runs {name} {prompt.version} ({current.tag})"
        # It may run in this clone only: then push what exists (`promptreg sync` for `name`).
        done: tuple[str, ...] = (f"{note}: nothing to do",)
        if push is not None:
            done = push_existing(registry, push, name, note)
        return Deployed(
            name, to, None, prompt.version, commit, "promote", current.tag,
            pushed_to=push, released=released, notes=done,
        )  # fmt: skip
    refusals: list[str] = []
    index = envs.index(to)
    if index > 0:
        before = envs[index - 1]
        upstream = registry.current(name, before)
        if upstream is None or not content_matches(prompt, upstream.content_hash or ""):
            runs = f"runs {upstream.version}" if upstream else "runs nothing yet"
            refusals.append(
                f"{name} {prompt.version} is not what {before} runs ({before} {runs}): "
                f"promote it to {before} first"
            )
    refusals.extend(gate(prompt, current))
    notes: tuple[str, ...] = ()
    if refusals and not force:
        raise DeployError(
            "; ".join(refusals) + ". To override, add --force --reason '<why>' "
            "(the override is recorded in the tag)."
        )
    if refusals:
        notes = tuple(f"overridden: {r}" for r in refusals)
    extra = {"overrides": list(refusals)} if refusals else {}
    reason = _rerecord_reason(prompt, current, reason)
    return create_deployment(
        registry,
        prompt,
        env=to,
        commit=commit,
        action="promote",
        reason=reason,
        push=push,
        forced=force,
        extra=extra,
        released=released,
        notes=notes,
        sign=sign,
    )


RERECORD_REASON = "re-recorded under content-hash scheme 2"
"""The reason a promotion that only re-records a legacy (scheme-1) deployment writes."""


def _runs_already(prompt: Prompt, current: Deployment) -> bool:
    """Whether `current` proves `to` runs exactly `prompt` (promote is then a no-op). A
    legacy record (scheme 1, input defaults not covered) proves less: promoting the same
    version re-records it under scheme 2, which is how users migrate."""
    recorded = current.content_hash or ""
    return (
        content_matches(prompt, recorded)
        and not current.legacy
        and not is_legacy_match(prompt, recorded)
    )


def _rerecord_reason(prompt: Prompt, current: Deployment | None, reason: str | None) -> str | None:
    """The default reason of a promotion that re-records a legacy deployment of the same
    version (other promotions keep `reason`)."""
    if reason or current is None or current.version != prompt.version:
        return reason
    recorded = current.content_hash or ""
    if current.legacy or is_legacy_match(prompt, recorded):
        return RERECORD_REASON
    return reason


def promote_many(
    registry: Registry,
    names: Sequence[str],
    *,
    to: str,
    from_env: str | None = None,
    reason: str | None = None,
    push: str | None = None,
    force: bool = False,
    gate: Gate,
    sign: bool = False,
) -> list[Deployed]:
    """Deploy many prompts to `to` at once, all or nothing: the version at HEAD of each
    (released first where needed, in one release) or what `from_env` runs. Each prompt is
    held to the same promotion order and gate as `promote`; if any is refused (and not
    `force` with a `reason`), no tag is created and the error lists every refusal. The new
    tags are made as `promote` makes them (annotated, signed where required, created only if
    absent) in one ref transaction, after one atomic push of all of them with `push`."""
    registry.check_env(to)
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason: the reason is written into the deployment tag")
    names = list(dict.fromkeys(names))
    if not names:
        raise UsageError("no prompt to promote")
    envs = registry.environments
    before = envs[envs.index(to) - 1] if envs.index(to) > 0 else None
    if from_env is not None:
        registry.check_env(from_env)
    if push is not None:  # what the team's remote says first: the environments involved
        fetch_for_deploy(registry, push, env_patterns(registry, names, to, from_env))
    running = _running(registry, [e for e in (to, before, from_env) if e is not None], names)
    refusals: list[tuple[str, PromptregError]] = []
    sources: dict[str, tuple[Prompt, str, Released | None]] = {}
    if from_env is not None:
        for name in names:
            source = running.get((name, from_env))
            if source is None:
                err = DeployError(f"{name} has never been deployed to {from_env}")
                refusals.append((name, err))
                continue
            try:
                prompt = registry.load_at(source.commit, name, path=source.path)
            except PromptregError as err:
                refusals.append((name, err))
                continue
            sources[name] = (prompt, source.commit, None)
    else:
        # Checked now, created with the deployment tags: a refusal leaves no release behind.
        checked = check_releases(registry, names, head_commit(registry))
        registry._prefetch([(r.commit, registry.prompt_path(r.name)) for r in checked], full=True)
        for r in checked:
            sources[r.name] = (registry.load_at(r.commit, r.name), r.commit, r)
    plans: list[_Plan] = []
    results: list[Deployed] = []
    for name, (prompt, commit, released) in sources.items():
        current = running.get((name, to))
        if current is not None and _runs_already(prompt, current):
            note = f"{to} already runs {name} {prompt.version} ({current.tag}): nothing to do"
            results.append(
                Deployed(name, to, None, prompt.version, commit, "promote", current.tag,
                         released=released, notes=(note,))
            )  # fmt: skip
            continue
        upstream = running.get((name, before)) if before is not None else None
        found = _promotion_refusals(prompt, before, upstream) + list(gate(prompt, current))
        if found and not force:
            refusals.append((name, DeployError("; ".join(found))))
            continue
        plans.append(_Plan(prompt, commit, released, current, tuple(found)))
    if refusals:
        raise PromotionRefused(refusals, len(names))
    return results + _deploy_many(
        registry, plans, env=to, reason=reason, push=push, forced=force, sign=sign
    )


@dataclass(frozen=True)
class _Plan:
    prompt: Prompt
    commit: str
    released: Released | None
    current: Deployment | None
    overrides: tuple[str, ...]


def _running(
    registry: Registry, envs: Sequence[str], names: Sequence[str]
) -> dict[tuple[str, str], Deployment]:
    """What each of `envs` runs for each of `names`: one listing of the refs, the newest
    candidates judged together (the read model)."""
    wanted = set(names)
    with registry.lock:
        index = RefIndex.build(registry.reader)
        groups = {k: c for k, c in index.groups.items() if k[1] in envs and k[0] in wanted}
        newest = registry.reader.newest(groups)
    return {key: d for key, d in newest.items() if d is not None}


def _promotion_refusals(
    prompt: Prompt, before: str | None, upstream: Deployment | None
) -> list[str]:
    """The promotion-order refusal of `promote`: `before` must run this content."""
    if before is None:
        return []
    if upstream is not None and content_matches(prompt, upstream.content_hash or ""):
        return []
    runs = f"runs {upstream.version}" if upstream else "runs nothing yet"
    return [
        f"{prompt.name} {prompt.version} is not what {before} runs ({before} {runs}): "
        f"promote it to {before} first"
    ]


def _deploy_many(
    registry: Registry,
    plans: Sequence[_Plan],
    *,
    env: str,
    reason: str | None,
    push: str | None,
    forced: bool,
    sign: bool,
) -> list[Deployed]:
    """Create a deployment tag for every plan, all or nothing (one: `tagging.create_deployment`)."""
    if not plans:
        return []
    store = registry.store
    sign = sign or env in registry.project.config.signing.environments
    tried: list[str] = []  # the tags the last rejected push would have made
    for attempt in range(1, MAX_ATTEMPTS + 1):
        items, made = [], []
        with registry.lock:  # every prompt's log from one listing (readmany.py)
            logs = readmany.logs(registry.reader, [p.prompt.name for p in plans], env)
        for plan in plans:
            prompt, name = plan.prompt, plan.prompt.name
            # The seq rule of a single promote (`next_seq`): above every valid deployment,
            # stepping over names rejected tags took.
            tag = deployment_tag(name, env, next_seq(logs[name]))
            check_ref(tag)
            # What runs now, as read this attempt (a teammate's deployment that beat us in a
            # race is what ours follows; `plan.current` is from before the race).
            log = logs[name]
            previous = log.valid[0].tag if log.valid else None
            message = deployment_message(
                action="promote",
                name=name,
                env=env,
                version=prompt.version,
                content_hash=prompt.content_hash,
                commit=plan.commit,
                path=registry.prompt_path(name),
                previous=previous,
                reason=_rerecord_reason(prompt, plan.current, reason),
                forced=forced,
                scores=dict(prompt.evals.scores) if prompt.evals else {},
                extra={"overrides": list(plan.overrides)} if plan.overrides else {},
            )
            items.append((tag, plan.commit, message, sign))
            made.append((plan, tag, previous))
        # Releases checked by promote_many and still absent are created with the deployments
        # (one released meanwhile, by a release from the same HEAD, is left as it is).
        listed = {ref for ref, _, _ in store.ref_objects(f"{PREFIX}**/*@v*")}
        releases = [
            p.released
            for p in plans
            if p.released is not None and p.released.created and p.released.tag not in listed
        ]
        items += [(r.tag, r.commit, message_for_release(registry, r), False) for r in releases]
        names = [tag for _, tag, _ in made] + [r.tag for r in releases]
        objects = store.make_tag_objects(items)
        new_tags = [(tag, obj) for (_, tag, _), obj in zip(made, objects, strict=False)]
        with registry.lock:  # as every reader will judge them, in one batch
            verdicts = readmany.judge_refs(registry.reader, new_tags)
        for (tag, _), verdict in zip(new_tags, verdicts, strict=True):
            refuse_if_rejected(tag, verdict)
        if push is not None:
            refspecs = [f"{obj}:refs/tags/{tag}" for obj, tag in zip(objects, names, strict=True)]
            refspecs += [
                f"refs/tags/{p.released.tag}:refs/tags/{p.released.tag}"
                for p in plans
                if p.released is not None and p.released not in releases
            ]
            new = [
                Entry(p.prompt.name, env, parse_seq(tag), obj)
                for (p, tag, _), obj in zip(made, objects, strict=False)
            ]
            more, options = push_update(registry, push, new)  # and the state ref, atomically
            try:
                push_refs(store, push, refspecs + more, options)
            except PushRejectedError as err:
                if names == tried:  # fetched, re-read, and the same names: nothing moved
                    raise DeployError(f"{push} rejected it twice: {refusal(err.stderr)}") from err
                tried = names
                fetch_for_deploy(
                    registry, push, [deployments_prefix(p.prompt.name, env) + "*" for p in plans]
                )
                continue  # the remote has some of those seqs already: take the next ones
        try:
            store.publish_tags(list(zip(names, objects, strict=True)))
        except TagExistsError:
            if push is not None:
                raise DeployError(
                    f"pushed the tags to {push}, but a local tag of one of those names appeared "
                    "meanwhile; run `git fetch --tags` and check `promptreg history`"
                ) from None
            continue  # a concurrent promoter took a seq: re-read and take the next ones
        return [
            Deployed(
                name=plan.prompt.name,
                env=env,
                tag=tag,
                version=plan.prompt.version,
                commit=plan.commit,
                action="promote",
                previous=previous,
                pushed_to=push,
                attempts=attempt,
                released=plan.released,
                notes=tuple(f"overridden: {r}" for r in plan.overrides),
            )
            for plan, tag, previous in made
        ]
    raise DeployError(f"gave up after {MAX_ATTEMPTS} attempts: {env} keeps changing under us")
