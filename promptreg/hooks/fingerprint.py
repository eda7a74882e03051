"""A prompt's version and content hash from its bytes, as cheaply as they can be had.

The version-bump hook needs both for every changed prompt, on both sides of the comparison:
4,000 files for a PR that touches 2,000 prompts. Loading each as a `Prompt` would check its
schema and walk its template for variables; none of that changes the hash. So: the front-matter
is read with the fast YAML reader, and the template is parsed only when it has an
include/import/extends tag at all, to find the partials it pulls in. Nothing is compiled.
The result equals `Prompt.content_hash` (a test holds them together).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from promptreg.codecache import memoize
from promptreg.frontmatter._yaml import YamlError, read_yaml
from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.template.analysis import Reference, references
from promptreg.template.environment import IncludeError, TemplateEnv, content_hash, decode_source

# Every way a template can pull in another file starts like this; without a match there is
# nothing to parse for. A match in a comment or a raw block only costs a parse.
_REFERENCE = re.compile(r"\{%[-+]?\s*(?:include|import|from|extends)\b")
_REFERENCE_BYTES = re.compile(_REFERENCE.pattern.encode())


def has_references(data: bytes) -> bool:
    """Whether a file's bytes may include, import or extend another file."""
    return _REFERENCE_BYTES.search(data) is not None


@dataclass(frozen=True)
class Fingerprint:
    """What the version-bump check compares. `version` is the text as written (None when it is
    missing or not a string); `version_line` is where it is written."""

    version: str | None
    version_line: int
    content_hash: str
    body: str
    model: Any
    partials: Mapping[str, str]
    inputs: Any = None  # the `inputs:` mapping as written: what callers must pass


def fingerprint(data: bytes, env: TemplateEnv) -> Fingerprint | None:
    """The fingerprint of a prompt file's bytes; None when it is too broken to have one (not
    UTF-8, no front-matter, YAML that does not parse, a template that does not parse): the
    validate hook reports those."""
    try:
        parts = split_front_matter(decode_source(data))
        doc = read_yaml(parts.front_matter, line_offset=1, cache=env.code_cache)
    except (UnicodeDecodeError, FrontMatterError, YamlError):
        return None
    if not isinstance(doc.data, dict):
        return None
    body = parts.body
    partials = included_sources(body, env) if _REFERENCE.search(body) else {}
    if partials is None:
        return None
    version = doc.data.get("version")
    model = doc.data.get("model")
    return Fingerprint(
        version=version if isinstance(version, str) else None,
        version_line=doc.position(("version",))[0],
        content_hash=content_hash(body, partials, front_matter=doc.data, cache=env.code_cache),
        body=body,
        model=model,
        partials=partials,
        inputs=doc.data.get("inputs"),
    )


def included_sources(body: str, env: TemplateEnv) -> dict[str, str] | None:
    """The text of every partial `body` reaches through literal include/import/extends
    targets, by name; None when the body does not parse. Missing partials are left out, as
    the loader leaves them out of the hash (the validate hook reports them)."""
    body_refs = _references(body, env)
    if body_refs is None:
        return None
    sources: dict[str, str] = {}
    pending = [body_refs]
    while pending:
        for ref in pending.pop():
            if ref.target is None or ref.target in sources:
                continue
            try:
                part = env.partial(ref.target)
            except IncludeError:
                continue
            sources[part.name] = part.source
            if part.analysis is not None:
                pending.append(part.analysis.references)
    return sources


def changed_parts(old: Fingerprint, new: Fingerprint) -> list[str]:
    """What differs between two fingerprints, in words: `body`, `model`, partial names."""
    out = []
    if old.body != new.body:
        out.append("body")
    if old.model != new.model:
        out.append("model")
    names = sorted(set(old.partials) | set(new.partials))
    out.extend(n for n in names if old.partials.get(n) != new.partials.get(n))
    return out


def _references(body: str, env: TemplateEnv) -> tuple[Reference, ...] | None:
    """What `body` includes, from the code cache when this text was parsed before; None when
    it does not parse."""
    try:
        return memoize(
            env.code_cache,
            ("references", body),
            lambda: tuple(references(env.parse(body))),
            lambda found: tuple((r.target, r.lineno, r.ignore_missing) for r in found),
            lambda rows: tuple(Reference(*r) for r in rows),
        )
    except jinja2.TemplateSyntaxError:
        return None
