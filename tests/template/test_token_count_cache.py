"""Token counts kept in the code cache, and the bound of messages with media parts.

A kept count is answered without loading a tokenizer (warm `validate`), so it must be exactly
the count a cold run makes, and only for the tokenizer build that made it. In process: the
mutation run of tokens.py runs these for every mutant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from promptreg.codecache import CodeCache
from promptreg.template import tokens
from promptreg.template.media import MEDIA_PART_TOKENS
from promptreg.template.render import ChatMessage
from promptreg.template.tokens import TokenCount, upper_bound

if TYPE_CHECKING:
    from promptreg.template.media import ContentPart

TEXTS = ["Summarise the ticket below.", "Printer on floor 3 is jammed again — 紙詰まり 🖨️"]


def count_messages(messages: list[ChatMessage], cache: CodeCache | None = None) -> TokenCount:
    return tokens.count_messages(
        messages, provider="openai", model="gpt-4o-2024-08-06", cache=cache
    )


def _messages(*texts: str) -> list[ChatMessage]:
    return [{"role": "user", "content": text} for text in texts]


@pytest.fixture
def cache(tmp_path: Path) -> CodeCache:
    return CodeCache(tmp_path / "code", b"k" * 32)


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tokenizer loaded in this process yet: a count that loads one shows in `_loaded`."""
    if tokens._bindings_stamp() is None:
        pytest.skip("bpe-openai's compiled tokenizer is not installed")
    monkeypatch.setattr(tokens, "_loaded", {})


@pytest.mark.usefixtures("cold")
def test_a_kept_count_is_the_count_itself(cache: CodeCache) -> None:
    """Tokens, exactness and method: all three come back from the cache as they were made."""
    first = count_messages(_messages(*TEXTS), cache=cache)
    assert first == count_messages(_messages(*TEXTS))  # what no cache says
    assert first.exact and first.method == "o200k_base"
    tokens._loaded.clear()
    kept = count_messages(_messages(*TEXTS), cache=cache)
    assert tokens._loaded == {}, "answered from the cache, no tokenizer loaded"
    assert kept == first
    assert (kept.tokens, kept.exact, kept.method) == (first.tokens, True, "o200k_base")


@pytest.mark.usefixtures("cold")
def test_a_new_tokenizer_build_counts_again(
    cache: CodeCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgraded bpe-openai (another file, size or mtime) may cut the same text otherwise:
    a count kept for the old build is not served for the new one."""
    count_messages(_messages(*TEXTS), cache=cache)
    path, size, mtime = tokens._bindings_stamp() or ("", 0, 0)
    monkeypatch.setattr(tokens, "_bindings_stamp", lambda: (path, size + 1, mtime))
    tokens._loaded.clear()
    count_messages(_messages(*TEXTS), cache=cache)
    assert "o200k_base" in tokens._loaded, "counted again for the new build"


@pytest.mark.parametrize(
    "data",
    [
        (5, 1, "o200k_base"),  # exact is not a bool
        (True, True, "o200k_base"),  # a bool is not a count
        (5, True, None),  # no method
        (5.0, False, "upper bound"),
        ("5", True, "o200k_base"),
    ],
)
def test_a_kept_entry_of_another_shape_is_not_a_count(data: tuple[object, ...]) -> None:
    """`memoize` counts again when an entry does not decode: anything but (int, bool, str)
    must not decode into a TokenCount."""
    with pytest.raises(ValueError):
        tokens._count_from_data(data)
    assert tokens._count_from_data((5, True, "o200k_base")) == TokenCount(5, True, "o200k_base")


def _parts(*texts: str, images: int = 0) -> list[ContentPart]:
    found: list[ContentPart] = [{"type": "text", "text": text} for text in texts]
    for n in range(images):
        found.append({"type": "image_url", "image_url": {"url": f"https://x.test/{n}.png"}})
    return found


def test_the_bound_adds_every_message_around_one_with_parts() -> None:
    """Text before and after a message with parts, and several text parts in it, all count."""
    before, after = "ticket: 紙詰まり", "Answer in one line."
    parts = _parts("Look at", " this: ", images=2)
    messages: list[ChatMessage] = [
        {"role": "system", "content": before},
        {"role": "user", "content": parts},
        {"role": "user", "content": after},
    ]
    framing = (tokens.PER_MESSAGE + tokens.PER_ROLE) * 3 + tokens.REPLY_PRIMING
    content = len(before.encode()) + len("Look at this: ") + 2 * MEDIA_PART_TOKENS + len(after)
    assert upper_bound(messages) == content + framing
