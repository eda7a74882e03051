"""Release, promote and roll back: the only code that creates tags.

Nothing here ever moves or deletes a tag. A deployment tag is created with `update-ref` and an
empty old value, so when two promoters race for the same seq exactly one wins; the other
re-reads the refs and takes the next seq. With `--push`, the remote is the arbiter: the new
tag (and its version's release tag) are pushed atomically before the local ref is written, and
a rejection (someone else took that seq there) fetches the remote's deployments and retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promptreg.errors import PromptFileError, PromptNotFoundError, PromptregError, UsageError
from promptreg.names import SUFFIX, name_problem, ref_problem
from promptreg.registry.deployments import (
    DeploymentLog,
    Rejected,
    Release,
    content_matches,
    is_legacy_match,
)
from promptreg.registry.gitstore import PushRejectedError, StaleLockError, TagExistsError
from promptreg.registry.refindex import RefIndex
from promptreg.registry.runtime import Registry
from promptreg.registry.tags import (
    MAX_SEQ,
    PREFIX,
    Deployment,
    canonical_seq,
    deployment_message,
    deployment_tag,
    deployments_prefix,
    release_message,
    release_tag,
    split_deployment_ref,
)
from promptreg.template.prompt import Prompt
from promptreg.versions import Version

MAX_ATTEMPTS = 25

# A gate decides whether `prompt` may replace `current` in an environment: it returns the
# reasons it may not (empty: it may). The evals gate plugs in here.
Gate = Callable[[Prompt, Deployment | None], Sequence[str]]


class DeployError(PromptregError):
    """A release, promotion or rollback was refused; the message says why and what to do."""


@dataclass(frozen=True)
class Released:
    name: str
    version: str
    tag: str
    commit: str
    created: bool  # False: that version was already released with the same content
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "created": self.created,
            "note": self.note,
        }


@dataclass(frozen=True)
class Deployed:
    name: str
    env: str
    tag: str | None  # None: nothing was done (already running)
    version: str
    commit: str
    action: str
    previous: str | None
    pushed_to: str | None = None
    attempts: int = 1
    released: Released | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "env": self.env,
            "tag": self.tag,
            "version": self.version,
            "commit": self.commit,
            "action": self.action,
            "previous": self.previous,
            "pushed_to": self.pushed_to,
            "attempts": self.attempts,
            "released": self.released.to_json() if self.released else None,
            "notes": list(self.notes),
        }


# -- release ---------------------------------------------------------------------------------


def release(registry: Registry, names: Sequence[str]) -> list[Released]:
    """Tag each prompt's version at HEAD as `prompts/<name>@v<version>` (default: every
    prompt), all or nothing.

    Every prompt is checked first (it loads at HEAD, its tag name fits git, its version is
    not released with other content); if any is refused, no tag is created and the error
    lists every refusal. Then all the new tags are created in one ref transaction. A release
    is a snapshot of one commit: a half-made one (some prompts tagged here, the rest at a
    later commit once fixed) is what a team would have to untangle by hand.
    """
    wanted = list(dict.fromkeys(names)) if names else _names_at_head(registry)
    return _release_at(registry, wanted, _head(registry))


def _release_at(registry: Registry, wanted: Sequence[str], head: str) -> list[Released]:
    for _ in range(2):
        checked = _check_releases(registry, wanted, head)
        new = [r for r in checked if r.created]
        store = registry.store
        objects = store.make_tag_objects(
            [(r.tag, head, _release_message(registry, r), False) for r in new]
        )
        try:
            store.publish_tags([(r.tag, obj) for r, obj in zip(new, objects, strict=True)])
        except TagExistsError:
            continue  # someone released one of them a moment ago: check everything again
        return checked
    raise DeployError(
        "could not release: release tags keep appearing while we release (another release "
        "running?); run `promptreg release` again"
    )


class BatchRefused(DeployError):
    """Some prompts of an all-or-nothing command cannot go, so none did. `refusals`: (name,
    error) for each, in the order asked; `details`: one line per refusal or finding, for the
    CLI to print above `summary`. A misspelt name is a usage error (exit 2), as everywhere."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], summary: str) -> None:
        self.refusals = tuple(refusals)
        self.exit_code = max(err.exit_code for _, err in refusals)
        self.summary = summary
        details: list[str] = []
        for name, err in refusals:
            findings = err.findings if isinstance(err, PromptFileError) else ()
            if findings:
                details.append(f"{name}: {len(findings)} finding(s):")
                details += [f"  {f.format()}" for f in findings]
            else:
                details.append(f"{name}: {err}")
        self.details = tuple(details)
        super().__init__("\n".join([summary + ":", *details]))


class ReleaseRefused(BatchRefused):
    """Some prompts cannot be released, so none was."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], total: int) -> None:
        super().__init__(
            refusals,
            f"nothing released: {len(refusals)} of {total} prompt(s) cannot be released, and "
            "a release tags all or nothing; fix them (or name the prompts to release) and run "
            "it again",
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "message": str(err),
                "findings": [
                    f.to_json() for f in (err.findings if isinstance(err, PromptFileError) else ())
                ],
            }
            for name, err in self.refusals
        ]


def _check_releases(registry: Registry, names: Sequence[str], head: str) -> list[Released]:
    """What releasing `names` at `head` would do (`created`: a new tag is needed); raises
    ReleaseRefused listing every prompt that cannot be released. One listing of the release
    tags, one `git diff` and a few pipelined reads, however many prompts."""
    store = registry.store
    existing = {ref: (obj, kind) for ref, obj, kind in store.ref_objects(f"{PREFIX}**/*@v*")}
    registry._prefetch([(head, registry.prompt_path(n)) for n in names if not name_problem(n)])
    refusals: list[tuple[str, PromptregError]] = []
    at_head: dict[str, Prompt] = {}
    for name in names:
        try:
            at_head[name] = _load_for_release(registry, name, head, full=False)
        except PromptregError as err:
            refusals.append((name, _full_refusal(registry, name, head, err)))
    listed = [
        (name, p.version, tag, *existing[tag])
        for name, p in at_head.items()
        if (tag := release_tag(name, p.version)) in existing
    ]
    with registry.lock:
        judged = {
            item[0]: r for item, r in zip(listed, registry.reader.releases(listed), strict=True)
        }
    dirty = _changed_in_tree(registry)
    checked: list[Released] = []
    for name, prompt in at_head.items():
        try:
            checked.append(_plan_release(registry, prompt, judged.get(name), head, dirty))
        except PromptregError as err:
            refusals.append((name, err))
    if refusals:
        order = {name: n for n, name in enumerate(names)}
        raise ReleaseRefused(sorted(refusals, key=lambda r: order[r[0]]), len(names))
    return checked


def _plan_release(
    registry: Registry,
    prompt: Prompt,
    existing: Release | None,
    head: str,
    dirty: frozenset[str] | None,
) -> Released:
    """What releasing `prompt` (as loaded at `head`) does: a new tag, or nothing when its
    version is already released with the same content. Raises PromptregError if it may not."""
    name = prompt.name
    tag = release_tag(name, prompt.version)
    _check_ref(tag)
    if existing is None:
        registry.load_at(head, name)  # a new release: the file passes every check of validate
        note = _uncommitted_note(registry, name, prompt, dirty)
        return Released(name, prompt.version, tag, head, True, note)
    commit = _same_release(registry, prompt, existing)
    return Released(
        name, prompt.version, tag, commit, False, _uncommitted_note(registry, name, prompt, dirty)
    )


def _load_for_release(registry: Registry, name: str, head: str, *, full: bool) -> Prompt:
    """`name` at `head`: `full`, every check `validate` makes; otherwise the front-matter and
    the content hash, which is all an already released version needs (same hash, same file)."""
    problem = name_problem(name)
    if problem is not None:
        raise PromptNotFoundError(problem)
    if full:
        return registry.load_at(head, name)
    return registry._load_deployed(head, name, registry.prompt_path(name))


def _full_refusal(registry: Registry, name: str, head: str, err: PromptregError) -> PromptregError:
    """The error that lists every finding of a file that does not load (a light load stops
    at the front-matter)."""
    if not isinstance(err, PromptFileError):
        return err
    try:
        _load_for_release(registry, name, head, full=True)
    except PromptregError as full:
        return full
    return err


def _same_release(registry: Registry, prompt: Prompt, release: Release) -> str:
    """The commit of the existing release of `prompt`'s version; DeployError unless that
    tag counts and holds the same content (a version is never reused)."""
    name = prompt.name
    if release.problem is not None or release.commit is None:
        raise DeployError(
            f"the release tag {release.tag} is rejected ({release.problem}) and a "
            f"tag is never moved: bump the version (e.g. `promptreg bump {name}`), "
            "commit, and release again"
        )
    # The read model loaded it to judge the tag (its hash computed from the file).
    released = registry._load_deployed(release.commit, name, registry.prompt_path(name))
    if not content_matches(released, prompt.content_hash):
        raise DeployError(
            f"{name} {prompt.version} was already released with different content "
            f"(tag {release.tag} at {release.commit[:12]}): a version is never "
            f"reused; bump the version (e.g. `promptreg bump {name}`) and commit"
        )
    return release.commit


def _changed_in_tree(registry: Registry) -> frozenset[str] | None:
    """Paths under the prompts directory whose working-tree copy differs from HEAD (one
    `git diff`); None where there is no working tree."""
    store = registry.store
    if store.bare:
        return None
    prefix = registry.prompt_path("x")[: -len("x" + SUFFIX)]
    out = store.run("diff", "HEAD", "--name-only", "-z", "--no-renames", "--", prefix or ".")
    return frozenset(p for p in out.split("\0") if p)


def _release_message(registry: Registry, r: Released) -> str:
    prompt = registry.load_at(r.commit, r.name)
    return release_message(
        name=r.name,
        version=r.version,
        content_hash=prompt.content_hash,
        path=registry.prompt_path(r.name),
    )


def _release_one(registry: Registry, name: str, head: str) -> Released:
    """Release one prompt (promote releases the version it deploys when needed)."""
    (released,) = _release_at(registry, [name], head)
    return released


def _names_at_head(registry: Registry) -> list[str]:
    return registry.project.names()


def _uncommitted_note(
    registry: Registry, name: str, committed: Prompt, dirty: frozenset[str] | None = None
) -> str | None:
    """A note when the working tree's copy of `name` (or a partial it includes) is not what
    HEAD has. `dirty`: the paths `git diff HEAD` lists; a prompt none of whose files is
    listed needs no second load."""
    if dirty is not None:
        prefix = registry.prompt_path(name)[: -len(name + SUFFIX)]
        files = [registry.prompt_path(name), *(prefix + p for p in committed.partials)]
        if not dirty.intersection(files):
            return None
    elif registry.store.bare:
        return None
    try:
        tree = registry.project.load(name, serving_checks=False)
    except PromptregError:
        return "the working tree copy differs from HEAD (and does not load): released HEAD's"
    if tree.content_hash != committed.content_hash or tree.version != committed.version:
        return "the working tree has uncommitted changes to this prompt: released HEAD's"
    return None


# -- promote ---------------------------------------------------------------------------------


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
    gate: Gate | None = None,
    sign: bool = False,
) -> Deployed:
    """Deploy a version of `name` to `to` (default: the version at HEAD, released if needed).

    Refused, unless `force` with a `reason`, when the previous environment does not run that
    version, or when `gate` (default: the evals gate, `evals.gate.deploy_gate`) says no.
    `sign`: sign the tag with git's ssh signing key (always, where `signing:` requires it).
    """
    envs = registry.environments
    registry.check_env(to)
    if version is not None and from_env is not None:
        raise UsageError("give --version or --from, not both")
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason: the reason is written into the deployment tag")
    released = None
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
        released = _release_one(registry, name, _head(registry))
        commit = released.commit
        prompt = registry.load_at(commit, name)

    current = registry.current(name, to)
    if current is not None and _runs_already(prompt, current):
        return Deployed(
            name, to, None, prompt.version, commit, "promote", current.tag,
            released=released,
            notes=(f"{to} already runs {name} {prompt.version} ({current.tag}): nothing to do",),
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
    if gate is None:
        from promptreg.evals.gate import deploy_gate

        gate = deploy_gate(registry, to)
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
    return _deploy(
        registry, prompt, to, commit, "promote", reason, push, force, extra, released, notes, sign
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
    gate: Gate | None = None,
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
        for r in _check_releases(registry, names, _head(registry)):
            sources[r.name] = (registry.load_at(r.commit, r.name), r.commit, r)
    if gate is None:
        from promptreg.evals.gate import deploy_gate

        gate = deploy_gate(registry, to)
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
    return results + _deploy_many(registry, plans, to, reason, push, force, sign)


@dataclass(frozen=True)
class _Plan:
    prompt: Prompt
    commit: str
    released: Released | None
    current: Deployment | None
    overrides: tuple[str, ...]


class PromotionRefused(BatchRefused):
    """Some prompts may not be promoted, so none was."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], total: int) -> None:
        super().__init__(
            refusals,
            f"nothing promoted: {len(refusals)} of {total} prompt(s) may not be promoted, and "
            "a promotion of several prompts is all or nothing. To override the order or the "
            "gate, add --force --reason '<why>' (the override is recorded in each tag)",
        )


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
    env: str,
    reason: str | None,
    push: str | None,
    forced: bool,
    sign: bool,
) -> list[Deployed]:
    """Create a deployment tag for every plan, all or nothing (see `_deploy` for one)."""
    if not plans:
        return []
    store = registry.store
    sign = sign or env in registry.project.config.signing.environments
    for attempt in range(1, MAX_ATTEMPTS + 1):
        items, made = [], []
        for plan in plans:
            prompt, name = plan.prompt, plan.prompt.name
            # The seq rule of a single promote (`next_seq`): above every valid deployment,
            # stepping over names rejected tags took.
            tag = deployment_tag(name, env, next_seq(registry.deployment_log(name, env)))
            _check_ref(tag)
            previous = plan.current.tag if plan.current is not None else None
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
        items += [(r.tag, r.commit, _release_message(registry, r), False) for r in releases]
        names = [tag for _, tag, _ in made] + [r.tag for r in releases]
        objects = store.make_tag_objects(items)
        for (_, tag, _), obj in zip(made, objects, strict=False):
            _refuse_unless_it_counts(registry, tag, obj)  # as every reader will judge it
        if push is not None:
            refspecs = [f"{obj}:refs/tags/{tag}" for obj, tag in zip(objects, names, strict=True)]
            refspecs += [
                f"refs/tags/{p.released.tag}:refs/tags/{p.released.tag}"
                for p in plans
                if p.released is not None and p.released not in releases
            ]
            try:
                store.push(push, refspecs)
            except PushRejectedError:
                store.fetch_tag_patterns(
                    push, [deployments_prefix(p.prompt.name, env) + "*" for p in plans]
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


# -- rollback --------------------------------------------------------------------------------


def rollback(
    registry: Registry,
    name: str,
    *,
    env: str,
    to: str | None = None,
    reason: str | None = None,
    push: str | None = None,
    sign: bool = False,
) -> Deployed:
    """Deploy an earlier version again (a new tag, action rollback); nothing is deleted.

    A rollback goes back, never forward: the default target is what ran before the current
    deployment once the rollbacks are undone (see `rollback_path`), so a second rollback goes
    further back instead of re-deploying what the first one rolled back from. `to` names an
    earlier deployment (its seq) or a version; either must be on that path, or (a version)
    never deployed to `env` and older than what runs. Forward is `promote`.
    """
    registry.check_env(env)
    log = registry.deployment_log(name, env)
    history = log.valid
    if not history:
        raise DeployError(f"{name} has never been deployed to {env}: nothing to roll back")
    current = history[0]
    path_back = rollback_path(history)
    forward = f"to deploy it again, `promptreg promote {name} --to {env} --version"
    target: Deployment | None
    if to is None:
        target = next_rollback(history)
        # (both hashes were checked against their commits' content by the read model)
        if target is None:
            raise DeployError(_nothing_earlier(name, env, history))
        commit, path = target.commit, target.path
    elif to.isascii() and to.isdigit():
        target = next((d for d in history if d.seq == int(to)), None)
        bad = next((r for r in log.rejected if r.seq is not None and r.seq == int(to)), None)
        if target is None and bad is not None:
            raise DeployError(f"{bad.tag} is not a deployment that counts: {bad.reason}")
        if target is None:
            seqs = ", ".join(str(d.seq) for d in history)
            raise DeployError(f"{name} has no deployment {to} in {env} (deployments: {seqs})")
        if target.content_hash != current.content_hash and not _on_path(target, path_back):
            raise DeployError(
                f"{target.tag} ({name} {target.version}) was rolled back from: a rollback goes "
                f"back, never forward; {forward} {target.version}`"
            )
        commit, path = target.commit, target.path
    else:
        commit, path = registry.released_commit(name, to), None
        wanted = registry.load_at(commit, name)
        deployed = [d for d in history if content_matches(wanted, d.content_hash or "")]
        if (
            deployed
            and deployed[0] is not current
            and not any(_on_path(d, path_back) for d in deployed)
        ):
            raise DeployError(
                f"{name} {wanted.version} was rolled back from in {env}: a rollback goes back, "
                f"never forward; {forward} {wanted.version}`"
            )
        if not deployed and _newer(wanted.version, current.version):
            raise DeployError(
                f"{name} {wanted.version} is newer than what {env} runs ({current.version}): "
                f"a rollback goes back, never forward; {forward} {wanted.version}`"
            )
    prompt = registry.load_at(commit, name, path=path)
    if content_matches(prompt, current.content_hash or ""):
        raise DeployError(f"{env} already runs {name} {prompt.version} ({current.tag})")
    return _deploy(
        registry, prompt, env, commit, "rollback", reason, push, False, {}, None, (), sign
    )


def rollback_path(history: Sequence[Deployment]) -> list[Deployment]:
    """The deployments a rollback can go back through, oldest first; the last runs now.

    `history` is one environment's valid deployments, newest first. Replayed oldest first, a
    promotion goes on top; a rollback to content already on the path takes the path back to
    that point (what it rolled back from is off the path for good), then goes on top itself.
    A rollback to content not on the path (an older release never deployed here) goes on top.
    """
    path: list[Deployment] = []
    for deployment in reversed(history):
        if deployment.action == "rollback":
            hashes = [d.content_hash for d in path]
            if deployment.content_hash in hashes:
                del path[len(hashes) - 1 - hashes[::-1].index(deployment.content_hash) :]
        path.append(deployment)
    return path


def next_rollback(history: Sequence[Deployment]) -> Deployment | None:
    """What `rollback` without `--to` would deploy: the newest deployment on the rollback path
    with content other than what runs now (None: nothing earlier)."""
    path = rollback_path(history)
    if not path:
        return None
    running = path[-1].content_hash
    return next((d for d in reversed(path) if d.content_hash != running), None)


def _on_path(target: Deployment, path: Sequence[Deployment]) -> bool:
    return any(d.content_hash == target.content_hash for d in path[:-1])


def _nothing_earlier(name: str, env: str, history: Sequence[Deployment]) -> str:
    current = history[0]
    if all(d.content_hash == current.content_hash for d in history):
        return f"{env} has only ever run {name} {current.version}: nothing to roll back to"
    return (
        f"{env} runs {name} {current.version}, and every earlier deployment there was rolled "
        f"back past: nothing earlier to roll back to (a rollback goes back, never forward; "
        f"to deploy another version, `promptreg promote {name} --to {env} --version V` or "
        f"`promptreg rollback {name} --env {env} --to OLDER_VERSION`)"
    )


def _newer(a: str, b: str) -> bool:
    try:
        return Version(a) > Version(b)
    except ValueError:
        return False


# -- creating the deployment tag -------------------------------------------------------------


def _deploy(
    registry: Registry,
    prompt: Prompt,
    env: str,
    commit: str,
    action: str,
    reason: str | None,
    push: str | None,
    forced: bool,
    extra: Mapping[str, Any],
    released: Released | None,
    notes: tuple[str, ...],
    sign: bool = False,
) -> Deployed:
    store = registry.store
    sign = sign or env in registry.project.config.signing.environments
    name = prompt.name
    scores = dict(prompt.evals.scores) if prompt.evals else {}
    version_tag = release_tag(name, prompt.version)
    failed_seq, why = None, ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if push is not None:
            store.fetch_tags(push, deployments_prefix(name, env) + "*")
        log = registry.deployment_log(name, env)
        previous = log.valid[0].tag if log.valid else None
        seq = next_seq(log)
        if seq == failed_seq:
            # Not a race: a racer's tag would be listed now, and the seq would have moved on.
            raise DeployError(
                f"cannot create {deployment_tag(name, env, seq)}, yet no tag of that name is "
                f"listed ({why.strip() or 'git gave no reason'}): check "
                "`git for-each-ref refs/tags/prompts/` and `promptreg verify`"
            )
        tag = deployment_tag(name, env, seq)
        _check_ref(tag)
        message = deployment_message(
            action=action,
            name=name,
            env=env,
            version=prompt.version,
            content_hash=prompt.content_hash,
            commit=commit,
            path=registry.prompt_path(name),
            previous=previous,
            reason=reason,
            forced=forced,
            scores=scores,
            extra=extra,
        )
        obj = store.make_tag_object(tag, commit, message, sign=sign)
        _refuse_unless_it_counts(registry, tag, obj)
        if push is not None:
            refspecs = [f"{obj}:refs/tags/{tag}"]
            if prompt.version in registry.releases(name):
                refspecs.append(f"refs/tags/{version_tag}:refs/tags/{version_tag}")
            try:
                store.push(push, refspecs)
            except PushRejectedError as err:
                failed_seq, why = seq, err.stderr
                continue  # the remote has that seq already: fetch and take the next one
        try:
            store.publish_tag(tag, obj)
        except TagExistsError as err:
            if push is not None:
                raise DeployError(
                    f"pushed {tag} to {push}, but a different local tag of that name appeared "
                    "meanwhile; run `git fetch --tags` and check `promptreg history`"
                ) from None
            failed_seq, why = seq, err.stderr
            continue  # a concurrent promoter took this seq: re-read and take the next one
        except StaleLockError as err:
            if push is None:
                raise
            raise DeployError(
                f"pushed {tag} to {push}, but could not create it here: {err}; then run "
                f"`git fetch {push} 'refs/tags/{tag}:refs/tags/{tag}'`"
            ) from None
        return Deployed(
            name=name,
            env=env,
            tag=tag,
            version=prompt.version,
            commit=commit,
            action=action,
            previous=previous,
            pushed_to=push,
            attempts=attempt,
            released=released,
            notes=notes,
        )
    raise DeployError(f"gave up after {MAX_ATTEMPTS} attempts: {env} keeps changing under us")


def _refuse_unless_it_counts(registry: Registry, tag: str, obj: str) -> None:
    """Judge the new tag object as every reader will, before any ref points at it: a tag
    that would not count (signed by a key `allowed_signers` does not list for git, say)
    must not be published with "promoted" printed while the environment keeps running what
    it ran."""
    verdict = registry.reader.judge_ref(tag, obj)
    if isinstance(verdict, Rejected):
        raise DeployError(
            f"{tag} would not count as a deployment ({verdict.reason}); nothing was created"
        )


def next_seq(log: DeploymentLog) -> int:
    """The seq of the next deployment: above every *valid* one, on a name nobody took.

    Rejected tags do not count, so they do not decide the seq either: a hand-made tag at
    `999999999999` (the largest canonical seq) would otherwise push the next seq to 13
    digits, a name the read model rejects, and no deployment could ever count again. Their
    names are taken, though, so the seq steps over them. Raises DeployError when no
    canonical seq is left above the newest valid deployment."""
    taken = {r.seq for r in log.rejected if r.seq is not None}
    # A ref *below* a seq's name (`.../000003/x`, not canonical) takes that name as well:
    # git cannot create a ref where a directory of refs is.
    for r in log.rejected:
        parts = split_deployment_ref(r.tag) if r.seq is None else None
        if parts is not None and "/" in parts[2]:
            below = canonical_seq(parts[0], parts[1], parts[2].partition("/")[0])
            if below is not None:
                taken.add(below)
    seq = max((d.seq for d in log.valid), default=0) + 1
    while seq in taken:
        seq += 1
    if seq > MAX_SEQ:
        raise DeployError(
            f"no deployment seq is left above {seq - 1}: seqs have at most "
            f"{len(str(MAX_SEQ))} digits (see `promptreg history` for the tags up there)"
        )
    return seq


def _check_ref(tag: str) -> None:
    """Refuse, up front and saying why (PR007), a tag git could not store as a ref."""
    problem = ref_problem(tag)
    if problem is not None:
        raise DeployError(f"PR007 cannot create a tag for this prompt: {problem}")


def _head(registry: Registry) -> str:
    head = registry.store.rev_parse_commit("HEAD")
    if head is None:
        raise DeployError("the repository has no commits yet: commit your prompts first")
    return head
