"""What the registry site shows of each prompt (read.py reads it from the repository).

The site adds no reading of its own: deployments and releases come from `DeploymentReader`
(a tag that does not count is listed as rejected, never shown as deployed), the metadata,
tokens and cost from `report.report` (what `promptreg show` prints), version diffs from
`diff.diff_prompts` (what `promptreg diff` prints).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptreg.app.diff import PromptDiff, diff_prompts
from promptreg.app.report import PromptReport, report
from promptreg.errors import PromptregError
from promptreg.registry.runtime import Registry
from promptreg.registry.tags import Deployment
from promptreg.registry.verdicts import Rejected
from promptreg.template.prompt import Prompt
from promptreg.versions import version_key

FRESH, STALE, MISSING, BELOW = "fresh", "stale", "missing", "below threshold"


@dataclass(frozen=True)
class VersionEntry:
    """One version of a prompt that was released or deployed, as committed."""

    version: str
    commit: str
    prompt: Prompt | None  # None: it does not load at that commit (`error` says why)
    error: str | None
    diff: PromptDiff | None  # to the previous version; None for the first
    released: bool  # a release tag counts for it (else it is known from a deployment)

    @property
    def scores(self) -> Mapping[str, float]:
        ev = self.prompt.evals if self.prompt is not None else None
        return ev.scores if ev is not None else {}


@dataclass(frozen=True)
class PromptEntry:
    name: str
    report: PromptReport | None  # the working tree's; None: not there or does not load
    tree_error: str | None
    eval_status: str
    running: Mapping[str, Deployment | None]  # environment → what it runs
    deployments: list[Deployment]  # newest first
    rejected: list[Rejected]
    versions: list[VersionEntry]  # oldest first

    @property
    def prompt(self) -> Prompt | None:
        return self.report.prompt if self.report is not None else None

    @property
    def last(self) -> Deployment | None:
        return self.deployments[0] if self.deployments else None

    @property
    def newest(self) -> Prompt | None:
        """What describes the prompt: the working tree's, else the newest version's."""
        if self.prompt is not None:
            return self.prompt
        for entry in reversed(self.versions):
            if entry.prompt is not None:
                return entry.prompt
        return None


@dataclass(frozen=True)
class Summary:
    """What the list pages show of a prompt; kept between runs (cache.py) with its page."""

    name: str
    version: str | None  # the working tree's, else the newest version's
    description: str | None
    owners: tuple[str, ...]
    model: str | None
    eval_status: str
    tree_version: str | None
    note: str | None  # why the working tree's file is not shown (does not load, not there)

    @classmethod
    def of(cls, entry: PromptEntry) -> Summary:
        p = entry.newest
        spec = p.spec if p is not None else None
        return cls(
            name=entry.name,
            version=p.version if p is not None else None,
            description=spec.description if spec else None,
            owners=tuple(spec.owners) if spec else (),
            model=spec.model.name if spec and spec.model else None,
            eval_status=entry.eval_status,
            tree_version=entry.prompt.version if entry.prompt is not None else None,
            note=entry.tree_error,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(**{**data, "owners": tuple(data.get("owners", ()))})


@dataclass(frozen=True)
class Listing:
    """A prompt as the site lists it. `detail` None: its page is unchanged since the last
    run (cache.py) and is kept as it is; `fingerprint` what the page was built from."""

    summary: Summary
    running: Mapping[str, Deployment | None]  # environment → what it runs
    deployments: list[Deployment]  # newest first
    detail: PromptEntry | None
    fingerprint: str | None = None

    @property
    def name(self) -> str:
        return self.summary.name

    @property
    def last(self) -> Deployment | None:
        return self.deployments[0] if self.deployments else None


@dataclass(frozen=True)
class SiteData:
    head: str | None  # the commit the working tree is on (the footer's "generated from")
    environments: tuple[str, ...]
    prompts: list[Listing]
    audit: list[Deployment]  # every valid deployment, newest first
    rejected: list[Rejected] = field(default_factory=list)


def build_entry(
    registry: Registry,
    name: str,
    *,
    in_tree: bool,
    deployments: list[Deployment],
    rejected: list[Rejected],
    released: Mapping[str, str],
) -> PromptEntry:
    project = registry.project
    result: PromptReport | None = None
    error: str | None = None
    if in_tree:
        from promptreg.evals.provenance import tree_source

        try:
            prompt = project.load(name, serving_checks=False)
            result = report(prompt, project.config.pricing, tree_source(project))
        except PromptregError as err:
            error = err.message
    else:
        error = "not in the working tree"
    running: dict[str, Deployment | None] = {env: None for env in registry.environments}
    for d in reversed(deployments):  # oldest first: the newest valid one is what runs
        running[d.env] = d
    versions = _versions(registry, name, deployments, released)
    status = _eval_status(result.prompt if result else None, result)
    return PromptEntry(name, result, error, status, running, deployments, rejected, versions)


def _versions(
    registry: Registry, name: str, deployments: list[Deployment], released: Mapping[str, str]
) -> list[VersionEntry]:
    """Every released or deployed version, oldest first, each diffed to the one before."""
    commits: dict[str, tuple[str, bool]] = {}
    for d in reversed(deployments):
        commits.setdefault(d.version, (d.commit, False))
    for version, commit in released.items():
        commits[version] = (commit, True)
    out: list[VersionEntry] = []
    previous: VersionEntry | None = None
    for version in sorted(commits, key=version_key):
        commit, is_release = commits[version]
        prompt: Prompt | None = None
        error: str | None = None
        try:
            prompt = registry.read_at(commit, name)
        except PromptregError as err:
            error = err.message
        diff = None
        if previous is not None and previous.prompt is not None and prompt is not None:
            diff = diff_prompts(
                previous.prompt, prompt, a_label=previous.version, b_label=version, rendered=True
            )
        entry = VersionEntry(version, commit, prompt, error, diff, is_release)
        out.append(entry)
        previous = entry
    return out


def _eval_status(prompt: Prompt | None, result: PromptReport | None) -> str:
    """fresh / stale / missing / below threshold, as `promptreg show` judges the scores."""
    if prompt is None or prompt.evals is None or not prompt.evals.scores:
        return MISSING
    ev = prompt.evals
    for metric in ev.metrics:
        score = ev.scores.get(metric.name)
        if metric.threshold is not None and score is not None and score < metric.threshold:
            return BELOW
    fresh = result.evals_fresh if result is not None else None
    return STALE if fresh is False else FRESH


__all__ = ["Listing", "PromptEntry", "SiteData", "Summary", "VersionEntry", "build_entry"]
