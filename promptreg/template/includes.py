"""What a template body reaches through literal include, import, from and extends targets: the
text of each partial, by name, found without compiling anything (the references of a text
are cached on disk by `CodeCache`). What the version-bump hook fingerprints and what finding
the prompts that include a partial parses."""

from __future__ import annotations

import jinja2

from promptreg.codecache import memoize
from promptreg.template.analysis import Reference, references
from promptreg.template.environment import TemplateEnv
from promptreg.template.sources import IncludeError


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
