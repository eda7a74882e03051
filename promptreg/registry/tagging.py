"""Creating one deployment tag: the ref transaction that never moves a tag. The tag object is
made, judged as every reader will judge it, pushed first with `--push` (the remote is the
arbiter), and then created with an empty old value; a lost race re-reads and takes the next
seq."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptreg.errors import DeployError, PushRejectedError, StaleLockError, TagExistsError
from promptreg.names import ref_problem
from promptreg.registry.deployed import Deployed, Released
from promptreg.registry.remote import fetch_for_deploy, push_refs
from promptreg.registry.runtime import Registry
from promptreg.registry.state_ref import Entry, lost_state_race, push_update
from promptreg.registry.tags import (
    MAX_SEQ,
    canonical_seq,
    deployment_message,
    deployment_tag,
    deployments_prefix,
    release_tag,
    split_deployment_ref,
)
from promptreg.registry.verdicts import DeploymentLog, Rejected, Verdict
from promptreg.template.prompt import Prompt

MAX_ATTEMPTS = 25


def create_deployment(
    registry: Registry,
    prompt: Prompt,
    *,
    env: str,
    commit: str,
    action: str,
    reason: str | None,
    push: str | None,
    forced: bool,
    extra: Mapping[str, Any],
    released: Released | None,
    notes: tuple[str, ...],
    sign: bool,
) -> Deployed:
    """Deploy `prompt` (as committed at `commit`) to `env` under the next free seq: one new
    annotated tag (signed where `sign` or `signing:` asks), pushed first with `push`, created
    only if absent. Keyword-only past the two subjects: eight of one kind are easy to swap."""
    store = registry.store
    sign = sign or env in registry.project.config.signing.environments
    name = prompt.name
    scores = dict(prompt.evals.scores) if prompt.evals else {}
    version_tag = release_tag(name, prompt.version)
    failed_seq, why = None, ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if push is not None:
            fetch_for_deploy(registry, push, [deployments_prefix(name, env) + "*"])
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
        check_ref(tag)
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
        refuse_unless_it_counts(registry, tag, obj)
        if push is not None:
            refspecs = [f"{obj}:refs/tags/{tag}"]
            if prompt.version in registry.releases(name):
                refspecs.append(f"refs/tags/{version_tag}:refs/tags/{version_tag}")
            more, options = push_update(registry, push, [Entry(name, env, seq, obj)])
            try:
                push_refs(store, push, refspecs + more, options)  # with the state ref
            except PushRejectedError as err:
                if not lost_state_race(err.stderr):  # (else the seq was free: keep it)
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


def refuse_unless_it_counts(registry: Registry, tag: str, obj: str) -> None:
    """Judge the new tag object as every reader will, before any ref points at it: a tag
    that would not count (signed by a key `allowed_signers` does not list for git, say)
    must not be published with "promoted" printed while the environment keeps running what
    it ran."""
    refuse_if_rejected(tag, registry.reader.judge_ref(tag, obj))


def refuse_if_rejected(tag: str, verdict: Verdict | None) -> None:
    """DeployError when the verdict on a new tag `tag` is a rejection (see above)."""
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


def check_ref(tag: str) -> None:
    """Refuse, up front and saying why (PR007), a tag git could not store as a ref."""
    problem = ref_problem(tag)
    if problem is not None:
        raise DeployError(f"PR007 cannot create a tag for this prompt: {problem}")


def head_commit(registry: Registry) -> str:
    head = registry.store.rev_parse_commit("HEAD")
    if head is None:
        raise DeployError("the repository has no commits yet: commit your prompts first")
    return head
