"""`budget.max_input_tokens` is a limit the prompt may reach: exactly at the budget passes, one
token over fails, through the API, `render` and `validate`, for exact counts (OpenAI) and for
the byte bound (other models). A planted `<` for `<=` went uncaught before these tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import promptreg
from promptreg.errors import BudgetError
from promptreg.project.project import Project
from promptreg.template.tokens import upper_bound
from tests.conftest import VALID_PROMPT, Result, Workspace

MODELS = {
    "exact": "  provider: openai\n  name: gpt-4o-2024-08-06",
    "bound": "  provider: anthropic\n  name: claude-sonnet-4-5-20250929",
}
SAMPLE = {"ticket": "My invoice is wrong"}


def budgeted(model: str, budget: int) -> str:
    text = VALID_PROMPT.replace(
        "  provider: openai\n  name: gpt-4o-2024-08-06", MODELS[model]
    ).replace("sample:", f"budget: {{max_input_tokens: {budget}}}\nsample:")
    assert f"max_input_tokens: {budget}" in text and MODELS[model] in text
    return text


def sample_tokens(ws: Workspace, model: str) -> int:
    """The sample's real count (exact, or the bound), measured on an unbudgeted copy."""
    path = ws.prompt("measure", budgeted(model, 1_000_000))
    prompt = Project.open(ws.root).load(str(path))
    tokens = prompt.count_tokens(prompt.render_inputs(SAMPLE)).tokens
    path.unlink()
    return tokens


@pytest.mark.parametrize("model", sorted(MODELS))
def test_api_at_the_budget_passes_one_over_fails(ws: Workspace, model: str):
    tokens = sample_tokens(ws, model)
    at = promptreg.load(ws.prompt("at", budgeted(model, tokens)))
    assert at.render(**SAMPLE)
    over = promptreg.load(ws.prompt("over", budgeted(model, tokens - 1)))
    with pytest.raises(BudgetError) as caught:
        over.render(**SAMPLE)
    assert (caught.value.tokens, caught.value.budget) == (tokens, tokens - 1)
    if model == "exact":  # the cheap bound alone would refuse it: the exact count decides
        assert upper_bound(over.render_inputs(SAMPLE, check_budget=False).messages) > tokens


@pytest.mark.parametrize("model", sorted(MODELS))
def test_render_at_the_budget_passes_one_over_fails(
    ws: Workspace, run: Callable[..., Result], model: str
):
    tokens = sample_tokens(ws, model)
    ws.prompt("at", budgeted(model, tokens))
    ws.prompt("over", budgeted(model, tokens - 1))
    assert run("render", "at", "--sample").code == 0
    result = run("render", "over", "--sample")
    assert result.code == 1
    assert f"is {tokens:,} tokens" in result.err
    assert f"over the budget of {tokens - 1:,}" in result.err


@pytest.mark.parametrize("model", sorted(MODELS))
def test_validate_at_the_budget_passes_one_over_fails(
    ws: Workspace, run: Callable[..., Result], model: str
):
    tokens = sample_tokens(ws, model)
    ws.prompt("at", budgeted(model, tokens))
    assert run("validate").code == 0
    ws.prompt("over", budgeted(model, tokens - 1))
    result = run("validate")
    assert result.code == 1
    assert [line.split(": ")[1].split()[0] for line in result.out.splitlines()] == ["PR053"]
    assert result.out.startswith("prompts/over.prompt:")
