"""Placeholders of plain-text prompt collections: `{{name}}` and `${name}`.

A placeholder whose name can be a promptreg input becomes one; anything else that looks like
one (`{{ user.name }}`, `${1}`, `{{#if}}`) stays text, escaped, so the render is the original
byte for byte.
"""

from __future__ import annotations

import re

from promptreg.formats.hbs_paths import JINJA_WORDS
from promptreg.formats.jinja_out import JinjaOut

MUSTACHE = r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}"
DOLLAR = r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"


def add_text(out: JinjaOut, text: str, patterns: tuple[str, ...], used: list[str]) -> None:
    """Append `text` to `out`, its recognised placeholders as input expressions (their
    names, in order of first use, appended to `used`)."""
    if not patterns:
        out.text(text)
        return
    found = re.compile("|".join(f"(?:{p})" for p in patterns))
    pos = 0
    for match in found.finditer(text):
        name = next(g for g in match.groups() if g is not None)
        if name in JINJA_WORDS or name.lower() in ("true", "false", "none"):
            continue
        out.text(text[pos : match.start()])
        out.expr(name)
        if name not in used:
            used.append(name)
        pos = match.end()
    out.text(text[pos:])
