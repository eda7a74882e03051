from __future__ import annotations

import pytest

from promptreg.render import ChatMessage
from promptreg.tokens import (
    ESTIMATE_METHOD,
    count_messages,
    encoding_for,
    upper_bound,
)

TEXTS = [
    "Hello world",
    "My invoice for March is wrong: I was charged twice.",
    "héllo wörld — 日本語のテキスト, emoji 🎉 and <|endoftext|> as plain text",
    "def f(x):\n    return x ** 2\n" * 20,
]


@pytest.mark.parametrize(
    ("provider", "model", "encoding"),
    [
        ("openai", "gpt-4o-2024-08-06", "o200k_base"),
        ("openai", "gpt-4o-mini-2024-07-18", "o200k_base"),
        ("openai", "gpt-4.1-2025-04-14", "o200k_base"),
        ("openai", "o3-2025-04-16", "o200k_base"),
        ("openai", "gpt-4-0613", "cl100k_base"),
        ("openai", "gpt-3.5-turbo-0125", "cl100k_base"),
        ("azure", "gpt-4o-2024-08-06", "o200k_base"),
        ("openai", "some-future-model", None),
        ("anthropic", "claude-sonnet-4-5-20250929", None),
    ],
)
def test_encoding_for(provider, model, encoding):
    assert encoding_for(provider, model) == encoding


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize("text", TEXTS)
def test_exact_counts_match_the_reference_tokenizer(encoding, text):
    """Cross-check against bpe-openai's tiktoken-compatible Python API (the slow path)."""
    import bpe_openai

    reference = len(bpe_openai.get_encoding(encoding).encode(text, disallowed_special=()))
    model = "gpt-4o-2024-08-06" if encoding == "o200k_base" else "gpt-4-0613"
    messages: list[ChatMessage] = [{"role": "user", "content": text}]
    count = count_messages(messages, provider="openai", model=model)
    assert count.exact is True
    assert count.method == encoding
    assert count.tokens == reference + 3 + 1 + 3  # message framing, role, reply priming


def test_chat_framing_adds_per_message_tokens():
    one: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    two: list[ChatMessage] = [
        {"role": "system", "content": "hi"},
        {"role": "user", "content": "hi"},
    ]
    a = count_messages(one, provider="openai", model="gpt-4o-2024-08-06").tokens
    b = count_messages(two, provider="openai", model="gpt-4o-2024-08-06").tokens
    assert b - a == 1 + 3 + 1  # "hi" + framing + role


@pytest.mark.parametrize("text", TEXTS)
def test_estimate_is_conservative_and_bounded(text):
    messages: list[ChatMessage] = [{"role": "user", "content": text}]
    estimate = count_messages(messages, provider="anthropic", model="claude-x-20250101")
    exact = count_messages(messages, provider="openai", model="gpt-4o-2024-08-06")
    assert estimate.exact is False
    assert estimate.method == ESTIMATE_METHOD
    assert estimate.tokens == -(-len(text.encode()) // 3) + 7
    assert upper_bound(messages) >= exact.tokens
    assert upper_bound(messages) >= estimate.tokens
