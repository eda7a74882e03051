from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.template import tokens
from promptreg.template.render import ChatMessage
from promptreg.template.tokens import (
    ESTIMATE_METHOD,
    TokenCount,
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
        ("azure_openai", "GPT-4-0613", "cl100k_base"),
        ("azure_openai", "o4-mini-2025-04-16", "o200k_base"),
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


OPENAI = {"o200k_base": "gpt-4o-2024-08-06", "cl100k_base": "gpt-4-0613"}


def _bound(messages: list[ChatMessage]) -> TokenCount:
    return count_messages(messages, provider="anthropic", model="claude-x-20250101")


@pytest.mark.parametrize("text", TEXTS)
def test_bound_is_the_bytes_plus_framing_and_not_below_either_real_count(text):
    """The text that used to count 194 on the estimate and 227 in o200k_base is in TEXTS."""
    messages: list[ChatMessage] = [{"role": "user", "content": text}]
    bound = _bound(messages)
    assert bound.exact is False
    assert bound.method == ESTIMATE_METHOD
    assert bound.tokens == len(text.encode()) + 7
    assert upper_bound(messages) == bound.tokens
    for encoding, model in OPENAI.items():
        exact = count_messages(messages, provider="openai", model=model)
        assert exact.method == encoding
        assert exact.tokens <= bound.tokens


CODE = [
    "def f(x):\n    return x ** 2\n",
    "for (int i = 0; i < n; ++i) { a[i] ^= b[i] >> 3; }",
    "SELECT * FROM t WHERE id = 1;",
    "<div class='x'>&amp;</div>",
    "!~|^`$#@",
    "0x7fffffff",
    "\t\t\n",
]
VARIED_TEXT = st.lists(
    st.one_of(
        st.sampled_from(CODE),
        st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=20),  # CJK
        st.text(st.characters(min_codepoint=0x3040, max_codepoint=0x30FF), max_size=20),  # kana
        st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=10),  # emoji
        st.integers(min_value=-(10**60), max_value=10**60).map(str),  # long numbers
        st.text(" \t\n\r\u00a0\u3000\u2028", max_size=40),  # whitespace runs
        st.text(st.characters(blacklist_categories=["Cs"]), max_size=30),  # any unicode
        st.text(st.characters(max_codepoint=0x7F), max_size=30),  # any ASCII, controls too
        st.text(st.characters(min_codepoint=0xF0000, max_codepoint=0x10FFFD), max_size=5),
    ),
    max_size=12,
).map("".join)
ROLES = st.sampled_from(["system", "user", "assistant"])


@pytest.mark.parametrize("encoding", sorted(OPENAI))
@settings(max_examples=150, deadline=None)
@given(
    messages=st.lists(
        st.builds(lambda role, content: {"role": role, "content": content}, ROLES, VARIED_TEXT),
        min_size=1,
        max_size=3,
    )
)
def test_bound_is_never_below_a_real_count(encoding: str, messages: list[ChatMessage]):
    exact = count_messages(messages, provider="openai", model=OPENAI[encoding])
    assert exact.exact is True
    assert exact.tokens <= _bound(messages).tokens == upper_bound(messages)


@pytest.mark.parametrize("encoding", sorted(OPENAI))
@pytest.mark.parametrize(
    "text", ["~^~^", "\x01\x03\x05\x07", "\U000f0000\U0010fffd", "\U00013000\U00013001"]
)
def test_no_smaller_bound_holds_some_texts_take_a_token_per_byte(encoding: str, text: str):
    """Why the bound is the byte count and not a fraction of it."""
    messages: list[ChatMessage] = [{"role": "user", "content": text}]
    exact = count_messages(messages, provider="openai", model=OPENAI[encoding])
    assert exact.tokens == _bound(messages).tokens


def test_count_to_json():
    count = TokenCount(12, False, ESTIMATE_METHOD)
    assert count.to_json() == {"tokens": 12, "exact": False, "method": ESTIMATE_METHOD}


def test_tokenizers_load_from_the_extension_module_once(monkeypatch: pytest.MonkeyPatch):
    """Loaded fresh (the module keeps them for the process), without bpe_openai's slow
    `__init__`, and only once per encoding."""
    monkeypatch.setattr(tokens, "_loaded", {})
    bindings = tokens._bindings()
    assert bindings is not None
    assert bindings.__name__ == "bpe_openai._bindings"
    for encoding in OPENAI:
        tokenizer = tokens._tokenizer(encoding)
        assert tokenizer is not None
        assert tokenizer.count("hello world") == 2
        assert tokens._tokenizer(encoding) is tokenizer
    assert sorted(tokens._loaded) == sorted(OPENAI)


def test_without_the_tokenizer_openai_counts_fall_back_to_the_bound(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(tokens, "_loaded", {})
    monkeypatch.setitem(sys.modules, "bpe_openai", None)  # as if it were not installed
    assert tokens._bindings() is None
    messages: list[ChatMessage] = [{"role": "user", "content": "hello world"}]
    count = count_messages(messages, provider="openai", model="gpt-4o-2024-08-06")
    assert count == TokenCount(len("hello world") + 7, False, ESTIMATE_METHOD)
