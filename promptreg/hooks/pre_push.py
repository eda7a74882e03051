"""The pre-push hook: no deployment tag leaves this machine when its evals gate fails.

`promote` refuses a deployment whose gate fails, but a tag can be made by hand (`git tag -a`)
or by an older promptreg. git gives the hook one line per ref it is about to push; each
deployment tag among them (`refs/tags/prompts/<name>@<env>/<seq>`) is read back and its prompt,
as committed, is put through the gate, regression included: against the deployment it
replaces, with `evals.tolerance` from promptreg.yaml. A deployment whose tag records an
override (`forced`, made with `--force --reason`, a reason given) or a rollback (the emergency
exit) to content that environment ran before passes: the reason is in the tag for everyone to
read. A push that would delete or move a deployment or release tag on the remote is refused.

Before the gate, every tag under `refs/tags/prompts/` being pushed is judged by the read model
(deployments.py), as the object it would create on the remote: a tag that would not count
there (hand-made, a lying message, the wrong name, a lightweight tag) is refused with PR077,
and one that lacks the signature its environment requires with PR078.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptreg.errors import PromptregError
from promptreg.findings import Finding
from promptreg.hooks.report import HookReport
from promptreg.project.project import Project
from promptreg.registry.tags import (
    PREFIX,
    Deployment,
    parse_deployment_name,
    parse_release,
    split_deployment_ref,
)

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry

_ZERO = re.compile(r"0+\Z")


@dataclass(frozen=True)
class PushedRef:
    """One line of what git writes to a pre-push hook's stdin."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deleted(self) -> bool:
        return bool(_ZERO.match(self.local_sha))


def parse_push_lines(text: str) -> list[PushedRef]:
    """`<local ref> <local sha> <remote ref> <remote sha>` per line; other lines are ignored."""
    refs = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 4:
            refs.append(PushedRef(*fields))
    return refs


def deployment_tags(refs: list[PushedRef]) -> list[tuple[str, str]]:
    """(tag name, object) of every tag under `refs/tags/prompts/` being created or moved on
    the remote: deployments (canonical or not) and releases."""
    out = []
    for ref in refs:
        tag = ref.remote_ref.removeprefix("refs/tags/")
        ours = split_deployment_ref(tag) is not None or parse_release(tag) is not None
        if tag != ref.remote_ref and tag.startswith(PREFIX) and ours and not ref.deleted:
            out.append((tag, ref.local_sha))
    return out


def rewritten_tags(refs: list[PushedRef]) -> list[tuple[str, str]]:
    """(tag name, what the push does) of every deployment or release tag the push would delete
    or move on the remote. promptreg never deletes or moves one: deleting the newest
    deployment silently returns an environment to the one before, with no record of why; a
    forced push replaces an audit record."""
    out = []
    for ref in refs:
        tag = ref.remote_ref.removeprefix("refs/tags/")
        if tag == ref.remote_ref or not tag.startswith(PREFIX):
            continue
        if parse_deployment_name(tag) is None and parse_release(tag) is None:
            continue  # junk under prompts/ (a stray non-canonical name) may be cleaned up
        if ref.deleted:
            out.append((tag, "deletes"))
        elif not _ZERO.match(ref.remote_sha) and ref.remote_sha != ref.local_sha:
            out.append((tag, "replaces"))
    return out


def run_pre_push(project: Project, stdin: str) -> HookReport:
    """Check every deployment and release tag in a pre-push hook's input."""
    pushed = parse_push_lines(stdin)
    tags = deployment_tags(pushed)
    rewritten = rewritten_tags(pushed)
    findings: list[Finding] = [
        Finding(
            tag,
            1,
            1,
            "PR077",
            f"this push {what} the remote's tag {tag}: deployment and release tags are never "
            "deleted or moved (roll back with `promptreg rollback`, which adds a tag)",
        )
        for tag, what in rewritten
    ]
    if not tags:
        return HookReport(len(rewritten), findings)
    from promptreg.registry.runtime import Registry

    with Registry(project.root) as registry:
        for tag, obj in tags:
            problem = _tag_problem(registry, tag, obj)
            if problem:
                findings.append(Finding(tag, 1, 1, *problem))
    return HookReport(len(tags) + len(rewritten), findings)


def _tag_problem(registry: Registry, tag: str, obj: str) -> tuple[str, str] | None:
    """(rule code, message) for a tag that must not be pushed, else None."""
    from promptreg.evals.gate import gate_at_commit
    from promptreg.registry.verdicts import Rejected

    release = parse_release(tag)
    if release is not None:
        judged = registry.reader.release(*release, tag, obj, registry.store.object_type(obj))
        if judged.problem is None:
            return None
        return "PR077", f"not a release that counts: {judged.problem}"
    verdict = registry.reader.judge_ref(tag, obj)
    if verdict is None:
        return None
    if isinstance(verdict, Rejected):
        code = "PR078" if verdict.signature_problem else "PR077"
        return code, f"not a deployment that counts: {verdict.reason} (see `promptreg verify`)"
    deployment = verdict
    if _override_recorded(registry, deployment):
        return None
    try:
        prompt = registry.load_at(deployment.commit, deployment.name)
    except PromptregError as err:
        return "PR075", f"{deployment.name} {deployment.version} does not load: {err}"
    if prompt.evals is None:
        return None
    # The baseline is the deployment this one replaces: the newest valid one below it, not
    # what its message names as `previous` (a hand-made `previous: null` skipped the
    # regression check; naming a weak old deployment lowered the bar).
    history = registry.deployments(deployment.name, deployment.env)
    before = next((d for d in history if d.seq < deployment.seq), None)
    baseline = dict(before.scores) if before is not None else None
    result = gate_at_commit(registry, prompt, deployment.env, baseline)
    if result.ok:
        return None
    return "PR075", (
        f"the evals gate fails for {deployment.name} {deployment.version} "
        f"({'; '.join(result.reasons)}); fix and promote again, or override with "
        "`promptreg promote --force --reason TEXT`"
    )


def _override_recorded(registry: Registry, deployment: Deployment) -> bool:
    """Whether the tag is an override the gate lets pass: a forced promotion that gives its
    reason, or a rollback to content an earlier valid deployment of the same environment
    ran. A message saying `action: rollback` or `forced: true` is anyone's to write: a
    "rollback" to content that never ran there, or a force without a reason, is gated like
    any promotion."""
    if deployment.forced:
        return bool((deployment.reason or "").strip())
    if deployment.action != "rollback":
        return False
    from promptreg.registry.verdicts import content_matches

    try:
        prompt = registry.load_at(deployment.commit, deployment.name)
    except PromptregError:
        return False  # the gate says why it does not load
    earlier = registry.deployments(deployment.name, deployment.env)
    return any(
        d.seq < deployment.seq and content_matches(prompt, d.content_hash or "") for d in earlier
    )
