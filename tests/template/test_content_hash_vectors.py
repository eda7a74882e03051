"""The content hash is recorded in every deployment and release tag and beside every score:
the same prompt must hash the same in every release of promptreg, or every recorded
deployment would read as "content that is not what the message records". These vectors
hold scheme 2 (and scheme 1, `legacy_content_hash`) to the values it gives. A change to any
of them is a new scheme: a new HASH_SCHEME, a CHANGELOG entry saying how to move forward,
and the older scheme kept for the hashes already recorded (README: "Content hash", and
"Content hashes recorded by earlier releases")."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from promptreg.codecache import CodeCache
from promptreg.template.content_hash import (
    HASH_SCHEME,
    content_hash,
    legacy_content_hash,
    template_digest,
)

MODEL = {"provider": "openai", "name": "gpt-4o-2024-08-06", "params": {"temperature": 0.2}}
INPUTS = {
    "tier": {"type": "string", "default": "free"},
    "n": {"type": "integer", "default": 3},
    "tags": {"type": "list", "default": ["a", 1]},
    "none": {"type": "string", "default": None},
}
OUTPUT = {"format": "json", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "lookup", "description": "d", "parameters": {"type": "object"}},
    }
]
TOKENS = (
    "system:\n{# note #}Be {{ tone }}.{%- if x %} {{ 1 }} {{ 2.5 }} {{ 'a' }}{% endif %}\n"
    "user:\n{{ ticket|upper }}"
)

# name, body, partials, front-matter, dialect, the hash
VECTORS = [
    (
        "plain text",
        "system:\nYou triage tickets.\n\nuser:\nHello",
        {},
        {"model": MODEL},
        None,
        "sha256:c5c4120103f3e43dbd8708f24152031d965c395c1c6dba841216deafe31c8ed2",
    ),
    (
        "tokens of every kind, a partial",
        TOKENS,
        {"partials/tone.j2": "Be brief. {{ 'x' ~ y }}"},
        {"model": MODEL},
        None,
        "sha256:a72b8a5de1b93250eac59e69d57f71d5b28a780df2b92a087a4fae0c6c9ce3d0",
    ),
    (
        "defaults",
        "{{ tier }} {{ n }}",
        {},
        {"model": MODEL, "inputs": INPUTS},
        None,
        "sha256:b9479a6f23732e10bc7c4ee364f8e524286b5e5f4ce5f2d251e04ae3e365d98e",
    ),
    (
        "whitespace kept, a dialect",
        "user:\n  {{ q }}  \n",
        {},
        {"model": MODEL, "whitespace": "keep"},
        "prompty-1",
        "sha256:cc0a6ab00be58d48fba0cf578271dfb87a0170ae20656cdf7f5bd6006dce1399",
    ),
    (
        "output and tools",
        "user:\n{{ q }}",
        {},
        {"model": MODEL, "output": OUTPUT, "tools": TOOLS},
        None,
        "sha256:25514dec0311b7bb60bef5d72d151fe9d0f32a3260e5f58c027f6ab0b73eb7a8",
    ),
    (
        "output only",
        "user:\n{{ q }}",
        {},
        {"model": MODEL, "output": OUTPUT},
        None,
        "sha256:547290153cb25cc9d23ed94a40123f5e094555ee161ca56afa1efaa821109d64",
    ),
    (
        "tools only",
        "user:\n{{ q }}",
        {},
        {"model": MODEL, "tools": TOOLS},
        None,
        "sha256:6746cd90b0a477c9e0d6e227efadd3aa9a9c0690b8024937488b693f2fbafd6d",
    ),
    (
        "a template Jinja parses but cannot render",
        "user:\n{{ x",
        {},
        {"model": MODEL},
        None,
        "sha256:f9d869bc68ba6cb5aea4abfc7d7d77c7d6d53927a049df93d2df7cd456df425f",
    ),
    (
        "a template Jinja cannot lex, with a lone surrogate",
        "user:\n{{ x $ }}\ud800",
        {},
        {"model": MODEL},
        None,
        "sha256:842df84c142806ab2a8d29530ff9c93813fa35dad4a3193e7f9cc6ad2953c262",
    ),
    (
        "non-ASCII in the model, a default and a partial's name; a shorthand input",
        "{{ q }}",
        {"partials/é.j2": "x"},
        {
            "model": {"provider": "openai", "name": "gpt-4o", "params": {"stop": ["é"]}},
            "inputs": {"q": {"type": "string", "default": "café"}, "short": "string, a note"},
        },
        None,
        "sha256:06ac1b5145eaa1410b0f1887ea8c4068be1603846d14a2fd94fd8f9949c379b5",
    ),
    (
        "lone surrogates",
        "user:\n\ud800 é",
        {"p.j2": "\udfff"},
        {"model": {"provider": "anthropic", "name": "claude", "params": {}}},
        None,
        "sha256:3814df92e8cca7c33867a381017d9900cf9c614dda62978def7511ce94f76557",
    ),
]


@pytest.mark.parametrize(
    ("body", "partials", "front_matter", "dialect", "expected"),
    [v[1:] for v in VECTORS],
    ids=[v[0] for v in VECTORS],
)
def test_scheme_2_gives_the_hashes_it_always_gave(body, partials, front_matter, dialect, expected):
    assert HASH_SCHEME == 2
    assert content_hash(body, partials, front_matter=front_matter, dialect=dialect) == expected


@pytest.mark.parametrize(
    ("body", "partials", "expected"),
    [
        (
            "Hi {# c #}{{ x }}",
            {"p.j2": "P"},
            "sha256:dff1b75161a402cdd67737b0df87e27b47a8e243fa95b9626a1dc3e23939842e",
        ),
        (
            "Grüße {{ x }}",
            {"partials/é.j2": "é"},
            "sha256:7ac87d264187a8522d67ba58f8a51b9d4e621f80ca4a4bd614b4256c1ca14fc2",
        ),
    ],
)
def test_scheme_1_gives_the_hashes_older_tags_record(body, partials, expected):
    assert legacy_content_hash(body, partials, MODEL) == expected


def test_a_kept_digest_of_another_shape_is_computed_again(tmp_path: Path):
    """The code cache keeps each template's digest; an entry that is not a digest (another
    release's format, a stray value) is computed again, never hashed as it is."""
    cache = CodeCache(tmp_path, b"k" * 32)
    digest = template_digest(TOKENS)
    cache.store(CodeCache.key("digest-2", TOKENS), marshal.dumps(12345))
    assert template_digest(TOKENS, cache) == digest
    assert template_digest(TOKENS, cache) == digest  # and what it kept is the digest
