"""Token counts for rendered prompts: exact for OpenAI models, an upper bound otherwise.

Exact counts use `bpe-openai`, whose tokenizer tables are compiled into its wheel (tiktoken
downloads its tables at run time and fails offline). Its Python package builds every table at
import (~0.6 s), so we load only its compiled extension module (~10 ms) and build the one
encoding a model needs (~60 ms), once per process.

Chat framing follows OpenAI's published accounting: each message costs 3 tokens plus its role
and content, and the reply is primed with 3 more. For other providers the count is a bound:
the UTF-8 bytes of each message's content plus the same framing. A byte-level BPE tokenizer
(OpenAI's, and most others) cuts the text's bytes into tokens of at least one byte each, so it
never makes more tokens than there are bytes; and no smaller simple bound holds, because some
texts do take a token per byte (`!~|^` in o200k_base, rare CJK, symbols and emoji outside the
tables). A budget that passes on the bound passes for real; it over-counts English about 4x.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from promptreg._record import record
from promptreg.template.media import MEDIA_PART_TOKENS
from promptreg.template.render import ChatMessage

if TYPE_CHECKING:
    from promptreg.codecache import CodeCache
    from promptreg.template.media import ContentPart

PER_MESSAGE = 3
PER_ROLE = 1
REPLY_PRIMING = 3
ESTIMATE_METHOD = "upper bound: UTF-8 bytes per message"

_O200K = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "gpt-oss")
_CL100K = ("gpt-4", "gpt-3.5", "gpt-35")


class _Tokenizer(Protocol):
    def count(self, text: str) -> int: ...


@record(frozen=True)
class TokenCount:
    tokens: int
    exact: bool
    method: str

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "exact": self.exact, "method": self.method}


def encoding_for(provider: str, model: str) -> str | None:
    """The tiktoken encoding of an OpenAI model, or None when we only estimate."""
    if provider not in ("openai", "azure", "azure_openai"):
        return None
    name = model.lower()
    if name.startswith(_O200K):
        return "o200k_base"
    if name.startswith(_CL100K):
        return "cl100k_base"
    return None


def count_messages(
    messages: Sequence[ChatMessage], *, provider: str, model: str, cache: CodeCache | None = None
) -> TokenCount:
    """The count for `messages`. With a `cache`, an exact count is kept there under the
    encoding, the tokenizer's build and the texts: a process that finds every count there
    never loads a tokenizer (~60 ms)."""
    encoding = encoding_for(provider, model)
    if encoding is not None and cache is not None and _bindings_stamp() is not None:
        from promptreg.codecache import memoize

        # Each text with its length before it: no two lists of texts make the same key (a
        # message with media parts as its JSON, which no text's `len:` prefix can match).
        texts = (_key_text(m["content"]) for m in messages)
        key = ("tokens-1", encoding, str(_bindings_stamp()), *texts)
        return memoize(
            cache, key, lambda: count_messages(messages, provider=provider, model=model),
            lambda c: (c.tokens, c.exact, c.method), _count_from_data,
        )  # fmt: skip
    tokenizer = _tokenizer(encoding) if encoding else None
    if tokenizer is None:
        return TokenCount(upper_bound(messages), False, ESTIMATE_METHOD)
    total = 0
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            total += tokenizer.count(content)
            continue
        for part in content:  # template/media.py: a media part counts a fixed amount
            total += tokenizer.count(part["text"]) if part["type"] == "text" else MEDIA_PART_TOKENS
    total += (PER_MESSAGE + PER_ROLE) * len(messages) + REPLY_PRIMING
    return TokenCount(total, True, str(encoding))


def _key_text(content: str | list[ContentPart]) -> str:
    if isinstance(content, str):
        return f"{len(content)}:{content}"
    import json  # only for media parts, off the runtime path

    return "parts:" + json.dumps(content, sort_keys=True)


def _count_from_data(data: Any) -> TokenCount:
    tokens, exact, method = data
    if not (type(tokens) is int and type(exact) is bool and type(method) is str):
        raise ValueError("not a token count")
    return TokenCount(tokens, exact, method)


def upper_bound(messages: Sequence[ChatMessage]) -> int:
    """A cheap bound no count exceeds, since a token is at least one byte: the count itself for
    models without an exact tokenizer, and lets `render` skip counting OpenAI prompts that are
    under budget even so."""
    content = 0
    for m in messages:
        text = m["content"]
        if not isinstance(text, str):
            content += _parts_bound(text)
            continue
        content += len(text) if text.isascii() else len(text.encode("utf-8"))
    return content + (PER_MESSAGE + PER_ROLE) * len(messages) + REPLY_PRIMING


def _parts_bound(parts: list[ContentPart]) -> int:
    """A message with media parts: its text parts' bytes, and `MEDIA_PART_TOKENS` a part."""
    total = 0
    for part in parts:
        if part["type"] == "text":
            total += len(part["text"].encode("utf-8"))
        else:
            total += MEDIA_PART_TOKENS
    return total


_lock = threading.Lock()
_loaded: dict[str, _Tokenizer | None] = {}


def _tokenizer(encoding: str) -> _Tokenizer | None:
    if encoding in _loaded:
        return _loaded[encoding]
    with _lock:
        if encoding not in _loaded:
            bindings = _bindings()
            _loaded[encoding] = bindings.tokenizer_for_encoding(encoding) if bindings else None
    return _loaded[encoding]


def _bindings_file() -> Path | None:
    """The compiled extension module of `bpe_openai` (found without importing anything)."""
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or spec.origin is None:
        return None
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    for candidate in sorted(Path(spec.origin).parent.glob("_bindings*")):
        if candidate.name.endswith(suffixes):
            return candidate
    return None


@functools.cache
def _bindings_stamp() -> tuple[str, int, int] | None:
    """Which build of the tokenizer this is (a kept count is valid for it only): its file,
    size and modification time."""
    path = _bindings_file()
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return None if info is None or path is None else (str(path), info.st_size, info.st_mtime_ns)


def _bindings() -> Any:
    """`bpe_openai._bindings` without running the package's slow `__init__`."""
    candidate = _bindings_file()
    if candidate is None:
        return None
    module_spec = importlib.util.spec_from_file_location("bpe_openai._bindings", candidate)
    if module_spec is None or module_spec.loader is None:
        return None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module
