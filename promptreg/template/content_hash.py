"""The content hash: what a deployment records about the prompt it deploys, computed from
the template tokens (not the bytes), the partials it includes and the front-matter fields
that change what the model sees; and the scheme-1 (legacy) hash older tags still carry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jinja2

from promptreg.codecache import CodeCache, memoize

HASH_SCHEME = 2
"""The content hash scheme `content_hash` computes (1: `legacy_content_hash`)."""


# A lexer with the settings of `TemplateEnv`'s environment (Jinja shares one lexer between
# environments whose settings agree; a test holds them to the same object).
_LEXING = jinja2.Environment(keep_trailing_newline=False)


# Delimiters count only as what they are: `{%-` strips whitespace, which the data tokens
# around it already show.
_DELIMITERS = frozenset(("block_begin", "block_end", "variable_begin", "variable_end"))


def content_hash(
    body: str,
    partial_sources: Mapping[str, str],
    *,
    front_matter: Mapping[str, Any],
    cache: CodeCache | None = None,
    dialect: str | None = None,
) -> str:
    """`sha256:` over exactly what decides the request sent to the model (scheme 2):

    - the body and every included partial (by name) as Jinja reads them: the token stream
      with comments dropped, adjacent text merged, whitespace inside tags ignored and
      literals by value, so a comment, `{{x}}` vs `{{ x }}` or `'a'` vs `"a"` change nothing,
      while whitespace control (`{#- -#}`) does when it changes the text around it;
    - the `model` block (provider, name, params) as canonical JSON (key order, YAML style
      and `0.20` vs `0.2` do not count);
    - every input's `default` that is not null (what the template sees for an input that is
      not given; no default and `default: null` both render as null), by its Python value;
    - the request fields `output` and `tools` make (`response_format`, `tools`), when they
      make any; `whitespace: keep`; a `.prompty` file's `dialect` (Prompty's render rules).
      Each is absent when it does not apply, so the hashes of earlier prompts did not move.

    Not covered, because they never change a request that is made: version, description,
    owners, metadata, sample, budget, evals, and input types, `required`, `enum`,
    `max_chars` and descriptions (they decide which inputs are accepted, not what an accepted
    one renders). Also not covered: promptreg's and Jinja's own code (the filters, the
    sandbox); an upgrade that changed rendering would not change hashes.
    """
    defaults = {}
    inputs = front_matter.get("inputs")
    if isinstance(inputs, Mapping):
        for name, decl in inputs.items():
            default = decl.get("default") if isinstance(decl, Mapping) else None
            if default is not None:
                defaults[str(name)] = repr(default)
    payload = {
        "scheme": HASH_SCHEME,
        "body": template_digest(body, cache),
        "partials": {name: template_digest(text, cache) for name, text in partial_sources.items()},
        "model": front_matter.get("model"),
        "defaults": defaults,
    }
    if dialect is not None:  # a .prompty file renders by Prompty's rules (project/prompty.py)
        payload["dialect"] = dialect
    if front_matter.get("whitespace") == "keep":  # messages byte for byte (issue 12 §3)
        payload["whitespace"] = "keep"
    if "output" in front_matter or "tools" in front_matter:
        # Only then: a prompt without them keeps the hash it had (issue 12 §4).
        from promptreg.frontmatter.structured import hashed_request

        request = hashed_request(front_matter)
        if request is not None:
            payload["request"] = request
    canonical = json.dumps(
        payload,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def template_digest(source: str, cache: CodeCache | None = None) -> str:
    """The sha256 of what Jinja renders `source` from (see `content_hash`); a text Jinja cannot
    lex is hashed as it is (it renders nothing). Kept in the code cache: lexing costs ~20 µs
    per KiB."""
    return memoize(cache, ("digest-2", source), lambda: _digest_now(source), str, _as_digest)


def _as_digest(data: Any) -> str:
    if not isinstance(data, str):
        raise TypeError("not a digest")
    return data


def _digest_now(source: str) -> str:
    h = hashlib.sha256()
    try:
        pending: list[str] = []
        for token in _LEXING.lexer.tokenize(source):
            if token.type == "data":
                pending.append(token.value)
                continue
            if pending:
                _feed(h, "data", "".join(pending))
                pending = []
            value = "" if token.type in _DELIMITERS else token.value
            kind = type(value).__name__
            _feed(h, token.type, f"{kind}:{value if isinstance(value, str) else repr(value)}")
        if pending:
            _feed(h, "data", "".join(pending))
    except jinja2.TemplateSyntaxError:
        h = hashlib.sha256(b"unlexable\0" + source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _feed(h: Any, kind: str, value: str) -> None:
    data = value.encode("utf-8", "surrogatepass")
    h.update(f"{kind}:{len(data)}:".encode())
    h.update(data)


def legacy_content_hash(body: str, partial_sources: Mapping[str, str], model: Any) -> str:
    """The content hash of scheme 1 (earlier releases): the raw text of the body and the
    partials (comments included) and the model block, input defaults not included. Kept so
    that deployments and scores recorded under it can still be recognised."""
    canonical = json.dumps(
        {"body": body, "partials": dict(partial_sources), "model": model},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
