"""What the read model of deployments (deployments.py) works with and returns: candidates as
listed, verdicts (a `Deployment` that counts, or a `Rejected` tag and why), a prompt's log,
judged releases, and the content-hash match rules every path applies the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from promptreg._record import record
from promptreg.registry.tagobject import TagObject
from promptreg.registry.tags import Deployment

if TYPE_CHECKING:
    from promptreg.template.prompt import Prompt


def content_matches(prompt: Prompt, recorded: str) -> bool:
    """Whether `prompt` is the content a tag recorded (under scheme 2, or scheme 1: a legacy
    match counts here too; `is_legacy_match` says whether it is one)."""
    return prompt.has_content_hash(recorded)


def is_legacy_match(prompt: Prompt, recorded: str) -> bool:
    """Whether `recorded` matches `prompt` only under scheme 1, which does not cover the input
    defaults the prompt has: the record does not prove the same request."""
    return prompt.is_legacy_match(recorded)


def legacy_hint(name: str, env: str, version: str) -> str:
    """What to do about a legacy record (a deployment to `env`): re-record it under scheme 2."""
    return (
        "recorded under content-hash scheme 1, which does not cover input defaults: "
        f"re-record it with `promptreg promote {name} --to {env} --version {version}`"
    )


@record(frozen=True)
class Candidate:
    """A ref under `prompts/<name>@<env>/`, as listed (not yet judged)."""

    ref: str  # without refs/tags/
    object: str
    kind: str  # the type of the object the ref points at: tag for an annotated tag
    name: str
    env: str
    seq: int | None  # None: not a canonical name

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.env


@record(frozen=True)
class Rejected:
    """A tag that looks like a deployment (or release) but does not count, and why."""

    tag: str
    object: str
    name: str
    env: str | None
    seq: int | None
    reason: str
    tagger: str = ""
    date: str = ""
    signature_problem: bool = False  # rejected only because of its signature (PR078)

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "object": self.object,
            "name": self.name,
            "env": self.env,
            "seq": self.seq,
            "date": self.date,
            "tagger": self.tagger,
            "reason": self.reason,
        }


Verdict = Deployment | Rejected


@record(frozen=True)
class DeploymentLog:
    """The deployments of one prompt: the valid ones newest first, and the rejected tags."""

    valid: list[Deployment]
    rejected: list[Rejected]


def make_log(verdicts: Sequence[Verdict], env: str | None) -> DeploymentLog:
    """The log of one prompt's judged tags (to `env`, or to every environment when None):
    the valid ones newest first, then the rejected ones."""
    valid = [v for v in verdicts if isinstance(v, Deployment)]
    rejected = [v for v in verdicts if isinstance(v, Rejected)]
    if env is not None:
        valid.sort(key=lambda d: d.seq, reverse=True)
    else:
        valid.sort(key=lambda d: d.order, reverse=True)
    rejected.sort(key=lambda r: (r.env or "", r.seq or 0, r.tag), reverse=True)
    return DeploymentLog(valid, rejected)


@record(frozen=True)
class Release:
    """A release tag, judged: `commit` it points at, `problem` None when it counts."""

    tag: str
    commit: str | None
    problem: str | None


class SignatureChecker(Protocol):
    """What the read model asks of the `signing:` policy (see signing.py)."""

    def required(self, env: str) -> bool: ...

    def problem(self, tag: TagObject) -> str | None: ...


def rejection(
    candidate: Candidate, reason: str, tag: TagObject | None, *, signature: bool = False
) -> Rejected:
    return Rejected(
        candidate.ref,
        candidate.object,
        candidate.name,
        candidate.env,
        candidate.seq,
        reason,
        tag.tagger if tag else "",
        tag.date if tag else "",
        signature,
    )


def filed_scores(prompt: Prompt) -> dict[str, float] | None:
    """The scores the prompt file records, as a deployment message holds them (finite
    numbers as floats); None when one of them could not be written there as it is."""
    scores = dict(prompt.evals.scores) if prompt.evals is not None else {}
    out = {}
    for key, score in scores.items():
        if not isinstance(score, int | float) or isinstance(score, bool):
            return None
        try:
            value = float(score)
        except OverflowError:
            return None
        if value != value or value in (float("inf"), float("-inf")):
            return None
        out[str(key)] = value
    return out


def newest_first(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Canonical candidates by seq, newest first (only they can be valid)."""
    canonical = [c for c in candidates if c.seq is not None]
    return sorted(canonical, key=lambda c: c.seq or 0, reverse=True)


def one_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
