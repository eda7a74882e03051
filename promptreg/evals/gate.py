"""The gate: may this prompt ship? One function, `check_gate`, used by `promptreg check`, and
meant for `promote` and the pre-commit hook too.

It fails a prompt, in words a reviewer recognises, when its eval scores are
- **missing**: no metrics declared, no scores recorded, or no score for a declared metric;
- **stale**: `evals.content_hash` is not the prompt's content hash (the body, a partial or the
  model changed since the scores were measured);
- **below threshold**: a recorded score is under its metric's `threshold`;
- **regressed**: a score is lower than the deployed version's by more than the tolerance.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from promptreg.errors import PromptNotFoundError, UsageError
from promptreg.spec import Metric

if TYPE_CHECKING:
    from promptreg.project import Project
    from promptreg.prompt import Prompt
    from promptreg.tags import Deployment

MISSING: Final = "missing"
STALE: Final = "stale"
BELOW_THRESHOLD: Final = "below threshold"
REGRESSED: Final = "regressed"


@dataclass(frozen=True)
class GateProblem:
    """One reason the gate fails: its `kind` (one of the four words), the metric when it is
    about one, and a sentence saying what to do."""

    kind: str
    metric: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "metric": self.metric, "message": self.message}


@dataclass(frozen=True)
class GateResult:
    name: str
    problems: tuple[GateProblem, ...]
    scores: Mapping[str, float]
    baseline: Mapping[str, float] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> tuple[str, ...]:
        """The problems as lines, `kind: message` (what a deploy gate reports)."""
        return tuple(f"{p.kind}: {p.message}" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "scores": dict(self.scores),
            "baseline": None if self.baseline is None else dict(self.baseline),
        }


def check_gate(
    prompt: Prompt, *, baseline: Mapping[str, float] | None = None, tolerance: float = 0.0
) -> GateResult:
    """Whether `prompt`'s recorded eval scores let it ship.

    `baseline`: the scores of the version deployed to the target environment (see
    `baseline_scores`); None skips the regression check. `tolerance`: how far below the
    baseline a score may fall (0.02 = two points). Never raises for a gate failure: the
    problems are in the result.
    """
    evals = prompt.evals
    name = prompt.name
    rerun = f"run `promptreg eval {name} --write`"
    problems: list[GateProblem] = []
    scores: Mapping[str, float] = evals.scores if evals is not None else {}
    if evals is None or not evals.metrics:
        problems.append(GateProblem(MISSING, None, "no eval metrics declared (evals.metrics)"))
    elif not scores:
        problems.append(GateProblem(MISSING, None, f"no scores recorded: {rerun}"))
    else:
        if evals.content_hash != prompt.content_hash:
            what = (
                "scores were recorded without a content hash"
                if evals.content_hash is None
                else "scores were measured on other content (the body, a partial or the "
                "model changed since)"
            )
            problems.append(GateProblem(STALE, None, f"{what}: {rerun}"))
        for metric in evals.metrics:
            problems.extend(_metric_problems(metric, scores))
        if baseline is not None:
            problems.extend(_regressions(evals.metrics, scores, baseline, tolerance))
    return GateResult(name, tuple(problems), dict(scores), baseline)


def _metric_problems(metric: Metric, scores: Mapping[str, float]) -> list[GateProblem]:
    name, threshold = metric.name, metric.threshold
    score = scores.get(name)
    if score is None:
        return [GateProblem(MISSING, name, f"no score recorded for `{name}`")]
    if threshold is not None and score < threshold:
        message = f"`{name}` {score:g} is below its threshold {threshold:g}"
        return [GateProblem(BELOW_THRESHOLD, name, message)]
    return []


def _regressions(
    metrics: Iterable[Metric],
    scores: Mapping[str, float],
    baseline: Mapping[str, float],
    tolerance: float,
) -> list[GateProblem]:
    out = []
    for metric in metrics:
        score, before = scores.get(metric.name), baseline.get(metric.name)
        if score is None or before is None:
            continue
        drop = round(before - score, 6)  # 0.93 - 0.92 is 0.010000000000000009
        if drop > tolerance:
            out.append(
                GateProblem(
                    REGRESSED,
                    metric.name,
                    f"`{metric.name}` {score:g} is {drop:g} below the deployed version's "
                    f"{before:g} (tolerance {tolerance:g})",
                )
            )
    return out


def baseline_scores(project: Project, name: str, env: str) -> Mapping[str, float] | None:
    """The eval scores recorded by the version of `name` deployed to `env`: None when nothing
    is deployed there, `{}` when the deployed version recorded none.

    Resolves `name@env` through the git registry (`promptreg.registry.Registry`); raises
    `UsageError` when `env` is not a configured environment or the registry is unavailable.
    """
    check_environment(project, env)
    try:
        # Imported by name: the registry is optional here, and lazy keeps `check` fast.
        registry = importlib.import_module("promptreg.registry")
        registry_class = registry.Registry
    except (ImportError, AttributeError):
        raise UsageError(
            f"comparing with {name}@{env} needs the git registry (promptreg.registry), "
            "which this version of promptreg does not have yet"
        ) from None
    registry_ = registry_class(project.root)
    try:
        deployed = registry_.get(f"{name}@{env}")
    except PromptNotFoundError:  # never deployed there: nothing to regress against
        return None
    finally:
        close = getattr(registry_, "close", None)
        if callable(close):
            close()
    evals = getattr(deployed, "evals", None)
    return dict(evals.scores) if evals is not None else {}


def check_environment(project: Project, env: str) -> None:
    """Raise `UsageError` unless `env` is one of the project's environments."""
    if env not in project.config.environments:
        known = ", ".join(project.config.environments)
        raise UsageError(f"{env!r} is not an environment (promptreg.yaml lists {known})")


def deploy_gate(
    tolerance: float = 0.0,
) -> Callable[[Prompt, Deployment | None], tuple[str, ...]]:
    """The gate `promote` runs: a prompt that declares eval metrics must pass `check_gate`
    against what the target environment runs now (its recorded scores are the baseline).
    A prompt that declares no metrics has nothing to gate."""

    def gate(prompt: Prompt, current: Deployment | None) -> tuple[str, ...]:
        if prompt.evals is None or not prompt.evals.metrics:
            return ()
        baseline = dict(current.scores) if current is not None else None
        return check_gate(prompt, baseline=baseline, tolerance=tolerance).reasons

    return gate
