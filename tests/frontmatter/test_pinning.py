from __future__ import annotations

import pytest

from promptreg.frontmatter.pinning import pinning_problem


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


def test_the_hint_names_a_snapshot_of_the_same_model_or_none():
    """`gpt-4o-mini` was told to pin `gpt-4o-2024-08-06`, a different model (issue 13)."""
    import re

    from promptreg.frontmatter.pinning import SNAPSHOTS

    problem = pinning_problem("openai", "gpt-4o-mini")
    assert problem is not None and "'gpt-4o-mini-2024-07-18'" in problem[1]
    assert "gpt-4o-2024-08-06" not in problem[1]
    for provider, table in SNAPSHOTS.items():
        for alias, snapshot in table.items():
            hint = pinning_problem(provider, alias)
            assert hint is not None and f"{snapshot!r}" in hint[1]
            assert pinning_problem(provider, snapshot) is None  # the suggestion is pinned
            # ... and is the same model: the alias plus a date (claude-*-4-0 drops its `-0`)
            assert snapshot.startswith(alias.removesuffix("-0") + "-")
    # an alias promptreg knows no snapshot of: no model is named at all
    unknown = pinning_problem("openai", "gpt-9-ultra")
    assert unknown is not None and not re.search(r"'gpt-[^']*-\d{4}", unknown[1])
    assert "'gpt-9-ultra'" in unknown[1] and "dated snapshots" in unknown[1]
