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

from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.frontmatter.yamldoc import YamlError
from promptreg.template.content_hash import content_hash
from promptreg.template.environment import TemplateEnv
from promptreg.template.includes import included_sources
from promptreg.template.sources import decode_source

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
    asks: Any = None  # `output`, `tools` and `whitespace` as written (issue 12)


def fingerprint(data: bytes, env: TemplateEnv, *, prompty: bool = False) -> Fingerprint | None:
    """The fingerprint of a prompt file's bytes; None when it is too broken to have one (not
    UTF-8, no front-matter, YAML that does not parse, a template that does not parse): the
    validate hook reports those. `prompty`: a `.prompty` file, read through its Prompty view
    (promptreg/prompty.py), as the loader reads it."""
    try:
        parts = split_front_matter(decode_source(data))
        doc = read_yaml(parts.front_matter, line_offset=1, cache=env.code_cache)
    except (UnicodeDecodeError, FrontMatterError, YamlError):
        return None
    dialect = None
    if prompty:
        from promptreg.project.prompty import adapt

        adapted = adapt(doc, parts, lambda *_: None, None)
        doc, parts, dialect = adapted.doc, adapted.parts, adapted.dialect
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
        content_hash=content_hash(
            body, partials, front_matter=doc.data, cache=env.code_cache, dialect=dialect
        ),
        body=body,
        model=model,
        partials=partials,
        inputs=doc.data.get("inputs"),
        asks=[doc.data.get(key) for key in ("output", "tools", "whitespace")],
    )


def changed_parts(old: Fingerprint, new: Fingerprint) -> list[str]:
    """What differs between two fingerprints, in words: `body`, `model`, partial names."""
    out = []
    if old.body != new.body:
        out.append("body")
    if old.model != new.model:
        out.append("model")
    if old.asks != new.asks:
        out.append("output/tools")
    names = sorted(set(old.partials) | set(new.partials))
    out.extend(n for n in names if old.partials.get(n) != new.partials.get(n))
    return out
