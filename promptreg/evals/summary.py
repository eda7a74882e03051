"""What an eval run comes to: per metric its mean, pass rate and worst cases; the judge's
agreement with people; the tokens used and what they cost.

A metric's **score** is the mean of its case scores (a case with no output counts 0), rounded
to 4 places: that is what `--write` records and what the gate compares with the threshold.
Its **pass rate** is the share of cases scoring at least the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptreg.evals.run import EvalRun
from promptreg.evals.stats import mean_absolute_error, spearman
from promptreg.frontmatter.spec import Metric
from promptreg.project.config import Pricing

WORST = 3


@dataclass(frozen=True)
class WorstCase:
    id: str
    score: float
    note: str | None  # the metric's reason, or why the case could not be scored


@dataclass(frozen=True)
class MetricSummary:
    metric: Metric
    mean: float
    pass_rate: float | None  # None without a threshold
    errors: int
    worst: tuple[WorstCase, ...]
    baseline: float | None = None

    @property
    def passed(self) -> bool | None:
        threshold = self.metric.threshold
        return None if threshold is None else self.mean >= threshold

    @property
    def delta(self) -> float | None:
        return None if self.baseline is None else round(self.mean - self.baseline, 4)


@dataclass(frozen=True)
class Agreement:
    """A judge metric against the cases' `human_score`s."""

    metric: str
    cases: int
    spearman: float | None
    mae: float


@dataclass(frozen=True)
class ModelCost:
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    usd: float | None  # None: no price for the model, or the runner reported no usage
    unreported: int = 0  # replies that came without token usage


@dataclass(frozen=True)
class EvalSummary:
    run: EvalRun
    metrics: tuple[MetricSummary, ...]
    agreement: tuple[Agreement, ...]
    costs: tuple[ModelCost, ...]
    prices_as_of: str | None
    baseline_env: str | None = None
    baseline_found: bool = False

    @property
    def scores(self) -> dict[str, float]:
        return {m.metric.name: m.mean for m in self.metrics}

    @property
    def failed_cases(self) -> int:
        return sum(r.error is not None for r in self.run.results)

    @property
    def usd(self) -> float | None:
        if any(c.usd is None for c in self.costs):
            return None
        return sum(c.usd or 0.0 for c in self.costs)

    @property
    def ok(self) -> bool:
        """Every metric meets its threshold and every case got an output."""
        return not self.failed_cases and all(m.passed is not False for m in self.metrics)

    def to_json(self) -> dict[str, Any]:
        """The `promptreg eval --json` document (docs/evals.md shows its shape)."""
        run, prompt, stats = self.run, self.run.prompt, self.run.stats
        return {
            "name": prompt.name,
            "version": prompt.version,
            "path": prompt.shown_path,
            "content_hash": prompt.content_hash,
            "model": prompt.model.to_json() if prompt.model else None,
            "runner": run.runner,
            "dataset": {
                "path": run.dataset.shown,
                "sha256": run.dataset.sha256,
                "cases": len(run.dataset.cases),
            },
            "ok": self.ok,
            "scores": self.scores,
            "metrics": [_metric_json(m) for m in self.metrics],
            "compare": None
            if self.baseline_env is None
            else {"env": self.baseline_env, "found": self.baseline_found},
            "agreement": [
                {"metric": a.metric, "cases": a.cases, "spearman": a.spearman, "mae": a.mae}
                for a in self.agreement
            ],
            "usage": {
                "requests": stats.requests,
                "cache_hits": stats.cache_hits,
                "retries": stats.retries,
                "input_tokens": sum(c.input_tokens for c in self.costs),
                "output_tokens": sum(c.output_tokens for c in self.costs),
                "cost_usd": None if self.usd is None else round(self.usd, 6),
                "prices_as_of": self.prices_as_of,
                "by_model": [
                    {
                        "model": c.model,
                        "requests": c.requests,
                        "input_tokens": c.input_tokens,
                        "output_tokens": c.output_tokens,
                        "cost_usd": None if c.usd is None else round(c.usd, 6),
                    }
                    for c in self.costs
                ],
            },
            "failed_cases": [
                {"id": r.case.id, "line": r.case.line, "error": r.error}
                for r in run.results
                if r.error is not None
            ],
            "cases": [
                {
                    "id": r.case.id,
                    "output": r.output,
                    "error": r.error,
                    "scores": {
                        name: {"score": round(s.value, 4), "reason": s.reason, "error": s.error}
                        for name, s in r.scores.items()
                    },
                }
                for r in run.results
            ],
            "seconds": round(run.seconds, 3),
        }


def _metric_json(m: MetricSummary) -> dict[str, Any]:
    return {
        "name": m.metric.name,
        "kind": m.metric.kind,
        "threshold": m.metric.threshold,
        "mean": m.mean,
        "pass_rate": m.pass_rate,
        "passed": m.passed,
        "errors": m.errors,
        "worst": [{"id": w.id, "score": w.score, "note": w.note} for w in m.worst],
        "baseline": m.baseline,
        "delta": m.delta,
    }


def summarize(
    run: EvalRun,
    pricing: Pricing,
    *,
    baseline: Mapping[str, float] | None = None,
    baseline_env: str | None = None,
) -> EvalSummary:
    """Summarise a run; `baseline` (the deployed version's scores) adds deltas."""
    metrics = tuple(_metric(run, m, baseline) for m in run.metrics)
    agreement = tuple(a for m in run.metrics if m.kind == "judge" for a in _agreement(run, m))
    costs = []
    for name, used in sorted(run.stats.by_model.items()):
        price = pricing.models.get(name)
        usd = None
        if price is not None and not used.unreported:
            usd = (used.input_tokens * price.input + used.output_tokens * price.output) / 1e6
        costs.append(
            ModelCost(
                name, used.requests, used.input_tokens, used.output_tokens, usd, used.unreported
            )
        )
    return EvalSummary(
        run=run,
        metrics=metrics,
        agreement=agreement,
        costs=tuple(costs),
        prices_as_of=pricing.as_of,
        baseline_env=baseline_env,
        baseline_found=baseline is not None,
    )


def _metric(run: EvalRun, metric: Metric, baseline: Mapping[str, float] | None) -> MetricSummary:
    scored = [(r.case.id, r.scores[metric.name]) for r in run.results]
    values = [s.value for _, s in scored]
    mean = round(sum(values) / len(values), 4) if values else 0.0
    threshold = metric.threshold
    pass_rate = None
    if threshold is not None and values:
        pass_rate = round(sum(v >= threshold for v in values) / len(values), 4)
    ranked = sorted(
        ((i, s) for i, (_, s) in enumerate(scored) if s.value < 1), key=lambda x: x[1].value
    )
    worst = tuple(
        WorstCase(scored[i][0], round(s.value, 4), s.error or s.reason) for i, s in ranked[:WORST]
    )
    return MetricSummary(
        metric=metric,
        mean=mean,
        pass_rate=pass_rate,
        errors=sum(s.error is not None for _, s in scored),
        worst=worst,
        baseline=None if baseline is None else baseline.get(metric.name),
    )


def _agreement(run: EvalRun, metric: Metric) -> list[Agreement]:
    pairs = [
        (r.scores[metric.name].value, r.case.human_score)
        for r in run.results
        if r.case.human_score is not None and r.scores[metric.name].error is None
    ]
    if not pairs:
        return []
    judge = [p[0] for p in pairs]
    human = [float(p[1]) for p in pairs if p[1] is not None]
    rho = spearman(judge, human)
    return [
        Agreement(
            metric=metric.name,
            cases=len(pairs),
            spearman=None if rho is None else round(rho, 4),
            mae=round(mean_absolute_error(judge, human), 4),
        )
    ]
