"""The pre-push hook: no deployment tag leaves this machine when its evals gate fails.

`promote` refuses a deployment whose gate fails, but a tag can be made by hand (`git tag -a`)
or by an older promptreg. git gives the hook one line per ref it is about to push; each
deployment tag among them (`refs/tags/prompts/<name>@<env>/<seq>`) is read back and its prompt,
as committed, is put through the gate, regression included: against the deployment it
replaces, with `evals.tolerance` from promptreg.yaml. A deployment whose tag records an
override (`forced`, made with `--force --reason`) or a rollback (the emergency exit) passes:
the reason is in the tag for everyone to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from promptreg.errors import PromptregError
from promptreg.findings import Finding
from promptreg.hooks.report import HookReport
from promptreg.project import Project
from promptreg.tags import parse_deployment_name

if TYPE_CHECKING:
    from promptreg.registry import Registry

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


def deployment_tags(refs: list[PushedRef]) -> list[str]:
    """The deployment tags (names under refs/tags/) being created or moved on the remote."""
    out = []
    for ref in refs:
        tag = ref.remote_ref.removeprefix("refs/tags/")
        if tag != ref.remote_ref and parse_deployment_name(tag) and not ref.deleted:
            out.append(tag)
    return out


def run_pre_push(project: Project, stdin: str) -> HookReport:
    """Check every deployment tag in a pre-push hook's input."""
    tags = deployment_tags(parse_push_lines(stdin))
    if not tags:
        return HookReport(0)
    from promptreg.registry import Registry

    findings: list[Finding] = []
    with Registry(project.root) as registry:
        for tag in tags:
            problem = _tag_problem(registry, tag)
            if problem:
                findings.append(Finding(tag, 1, 1, "PR075", problem))
    return HookReport(len(tags), findings)


def _tag_problem(registry: Registry, tag: str) -> str | None:
    from promptreg.evals.gate import gate_at_commit
    from promptreg.tags import parse_deployment

    refs = registry.store.tags(tag)
    deployment = parse_deployment(refs[0]) if refs else None
    if deployment is None:
        return (
            "not a deployment made by promptreg (a lightweight tag, or not promptreg's "
            "message): deploy with `promptreg promote`"
        )
    if deployment.forced or deployment.action == "rollback":
        return None
    try:
        prompt = registry.load_at(deployment.commit, deployment.name, path=deployment.path)
    except PromptregError as err:
        return f"{deployment.name} {deployment.version} cannot be loaded at its commit: {err}"
    if prompt.evals is None:
        return None
    baseline = None
    if deployment.previous:
        previous = registry.store.tags(deployment.previous)
        before = parse_deployment(previous[0]) if previous else None
        baseline = dict(before.scores) if before is not None else None
    result = gate_at_commit(registry, prompt, deployment.env, baseline)
    if result.ok:
        return None
    return (
        f"the evals gate fails for {deployment.name} {deployment.version} "
        f"({'; '.join(result.reasons)}); fix and promote again, or override with "
        "`promptreg promote --force --reason TEXT`"
    )
