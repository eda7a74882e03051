"""What `show` reports about a prompt: its metadata, its sample's tokens and what it costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptreg.errors import PromptregError
from promptreg.project.config import Pricing
from promptreg.template.prompt import Prompt
from promptreg.template.tokens import TokenCount

if TYPE_CHECKING:
    from promptreg.evals.provenance import Source


@dataclass(frozen=True)
class CostEstimate:
    """USD for one call: the sample's input tokens, and at most `output_tokens` of output."""

    model: str
    input_usd: float
    output_usd: float | None
    output_tokens: int | None
    prices_as_of: str | None

    @property
    def per_call(self) -> float:
        return self.input_usd + (self.output_usd or 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_usd_per_call": round(self.input_usd, 8),
            "output_usd_per_call": None if self.output_usd is None else round(self.output_usd, 8),
            "output_tokens_assumed": self.output_tokens,
            "usd_per_call": round(self.per_call, 8),
            "usd_per_1000_calls": round(self.per_call * 1000, 4),
            "prices_as_of": self.prices_as_of,
        }


@dataclass(frozen=True)
class PromptReport:
    prompt: Prompt
    sample_tokens: TokenCount | None
    sample_error: str | None
    cost: CostEstimate | None
    # Whether the recorded eval scores were measured on what is there now (the gate's `stale`
    # check: content hash, dataset, metric files); None without recorded scores.
    evals_fresh: bool | None = None

    def to_json(self) -> dict[str, Any]:
        p = self.prompt
        spec = p.spec
        budget = spec.budget
        evals = dict(spec.evals.raw) if spec.evals else None
        return {
            "name": p.name,
            "version": p.version,
            "path": p.shown_path,
            "description": spec.description,
            "owners": list(spec.owners),
            "model": spec.model.to_json() if spec.model else None,
            "inputs": {name: s.to_json() for name, s in spec.inputs.items()},
            "budget": None
            if budget is None
            else {
                "max_input_tokens": budget.max_input_tokens,
                "max_output_tokens": budget.max_output_tokens,
            },
            "content_hash": p.content_hash,
            "output": None if spec.output is None else spec.output.to_json(),
            "tools": [tool.to_openai() for tool in spec.tools],
            "partials": list(p.partials),
            "sample": dict(spec.sample) if spec.sample is not None else None,
            "sample_tokens": self.sample_tokens.to_json() if self.sample_tokens else None,
            "sample_error": self.sample_error,
            "cost": self.cost.to_json() if self.cost else None,
            "evals": evals,
            "evals_fresh": self.evals_fresh,
            "metadata": dict(spec.metadata),
        }


def report(prompt: Prompt, pricing: Pricing, source: Source | None = None) -> PromptReport:
    """`source`: the files the prompt's eval scores are checked against (None: not checked)."""
    fresh = evals_fresh(prompt, source) if source is not None else None
    try:
        rendered = prompt.render_inputs(prompt.sample or {}, check_budget=False)
    except PromptregError as err:
        return PromptReport(prompt, None, err.message, None, fresh)
    tokens = prompt.count_tokens(rendered)
    return PromptReport(prompt, tokens, None, estimate_cost(prompt, tokens, pricing), fresh)


def evals_fresh(prompt: Prompt, source: Source) -> bool | None:
    """The gate's verdict on staleness alone; None when no scores are recorded."""
    if prompt.evals is None or not prompt.evals.scores:
        return None
    from promptreg.evals.gate import STALE, check_gate

    return all(p.kind != STALE for p in check_gate(prompt, source=source).problems)


def estimate_cost(prompt: Prompt, tokens: TokenCount, pricing: Pricing) -> CostEstimate | None:
    """None when the price table has no entry for the prompt's model."""
    model = prompt.model
    if model is None or model.name not in pricing.models:
        return None
    price = pricing.models[model.name]
    output_tokens = _max_output_tokens(prompt)
    output_usd = None if output_tokens is None else output_tokens * price.output / 1e6
    return CostEstimate(
        model=model.name,
        input_usd=tokens.tokens * price.input / 1e6,
        output_usd=output_usd,
        output_tokens=output_tokens,
        prices_as_of=pricing.as_of,
    )


def _max_output_tokens(prompt: Prompt) -> int | None:
    if prompt.budget and prompt.budget.max_output_tokens:
        return prompt.budget.max_output_tokens
    params = prompt.model.params if prompt.model else {}
    for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def limit_text(value: int | None) -> str:
    """A budget limit as `show` and the site print it."""
    return "unlimited" if value is None else f"{value:,}"


def tokens_text(count: TokenCount) -> str:
    """A sample's token count, and how it was counted, as `show` and the site print it."""
    return f"{count.tokens:,} ({'exact, ' + count.method if count.exact else count.method})"
