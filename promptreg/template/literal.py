"""Spot a Jinja syntax error that comes from literal text (JSON in double braces, a code block
with `{%`, another tool's template syntax) and say how to keep such text as it is."""

from __future__ import annotations

import re

# `{{"key": ...`, `{{ 'key': ...` (JSON or a dict written in double braces); `{{#`, `{{/`,
# `{{>`, `{{!`, `{{^` (Handlebars, Mustache); `{%` before a word Jinja has no tag for.
_LITERAL = re.compile(r"\{\{\s*(?:[\"'][^\"'\n]*[\"']\s*:|[#/>!^])|\{%-?\s*[A-Za-z_]")
HINT = (
    " (if the `{{`/`{%` on this line is text, not Jinja, wrap it in `{% raw %}` … `{% endraw %}`)"
)


def literal_text_hint(body: str, line: int, message: str) -> str:
    """HINT when line `line` of `body` looks like literal text Jinja tried to read."""
    lines = body.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    match = _LITERAL.search(text)
    if match is None:
        return ""
    if match.group(0).startswith("{%") and "unknown tag" not in message:
        return ""
    return HINT
