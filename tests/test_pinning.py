from __future__ import annotations

import pytest

from promptreg.pinning import pinning_problem


@pytest.mark.parametrize(
    ("provider", "name", "code"),
    [
        ("openai", "gpt-4o-2024-08-06", None),
        ("openai", "gpt-4-0613", None),
        ("openai", "o3-2025-04-16", None),
        ("openai", "gpt-4o", "PR031"),
        ("openai", "gpt-4.1-mini", "PR031"),
        ("openai", "chatgpt-4o-latest", "PR030"),
        ("anthropic", "claude-sonnet-4-5-20250929", None),
        ("anthropic", "claude-sonnet-4-5", "PR031"),
        ("anthropic", "claude-3-5-sonnet-latest", "PR030"),
        ("Anthropic", "claude-opus-4-1", "PR031"),
        ("bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", None),
        ("mistral", "mistral-large-latest", "PR030"),
        ("mistral", "mistral-large-2411", None),
        ("ollama", "llama3:latest", "PR030"),
        ("google", "gemini-2.5-flash", None),  # no dated ids to compare with: only `latest` fails
        ("openai", "latest", "PR030"),
    ],
)
def test_pinning(provider, name, code):
    problem = pinning_problem(provider, name)
    assert (problem[0] if problem else None) == code
    if problem:
        assert name in problem[1]


def test_allow_list_exempts_a_model():
    assert pinning_problem("openai", "gpt-4o", allowed=["gpt-4o"]) is None
    assert pinning_problem("openai", "gpt-4o-mini", allowed=["gpt-4o"]) is not None
