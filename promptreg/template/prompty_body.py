"""A `.prompty` body as a promptreg template: Prompty's role lines, read from template text.

Prompty splits the *rendered* text at role lines; promptreg decides roles from the template's
own text (guarantee 1: no input value ever starts a message). The two agree on every template
whose role lines are written in it, which is what this module arranges: each line Prompty reads
as a role line (`system:`, `User:`, `# Assistant :`, indented; case and a leading `#` do not
matter) becomes promptreg's marker line on the same source line, and a body whose text does not
start with a role line gets Prompty's default `system:` first. Mustache bodies are translated to
Jinja (`mustache.py`). Line numbers do not move, so findings point at the user's lines.

What Prompty does and promptreg will not is a finding, never a silent difference:

- PR085: a line that is a value followed by `:` (`{{ item.role }}:`, the chat-history
  pattern): Prompty makes it a role line when the value is a role name; promptreg keeps values
  out of chat structure, so the line stays text. Write the roles as marker lines under
  `{% if %}`.
- PR084: a role promptreg does not send (`developer`, `tool`, `function`), role attributes
  (`user[name=Bob]:`), Mustache partials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from promptreg.template.mustache import MustacheError, to_jinja

_V1_ROLE = re.compile(r"(?i)^\s*#?\s*(assistant|function|tool|system|user)\s*:\s*$")
_V2_ROLE = re.compile(r"(?i)^\s*#?\s*(system|user|assistant|developer)(\[[^\]\n]*\])?\s*:\s*$")
_SENT = ("system", "user", "assistant")
_VALUE_ROLE = re.compile(r"^\s*#?\s*\{\{[^{}]*\}\}\s*:\s*$")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
# What prints nothing: Jinja comments and statements, Mustache comments and section tags
# (which are not Jinja, so a body of either engine may hold them only in its own).
_JINJA_TAGS = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{[#^/!].*?\}\}", re.S)


@dataclass
class Body:
    """The translated body; `shift` is 1 when a `system:` line was put before the first line
    (the body then starts one line earlier); `soft` the names a Mustache section looks up."""

    text: str
    shift: int = 0
    soft: frozenset[str] = frozenset()
    findings: list[tuple[int, str, str]] = field(default_factory=list)  # (body line, code, msg)


def translate_body(body: str, *, generation: int, engine: str) -> Body:
    """promptreg's template for a Prompty body of this generation and template engine."""
    role_line = _V2_ROLE if generation == 2 else _V1_ROLE
    out: list[str] = []
    findings: list[tuple[int, str, str]] = []
    first_role: int | None = None
    for number, line in enumerate(body.splitlines(keepends=True), 1):
        text = line.rstrip("\r\n")
        ending = line[len(text) :]
        match = role_line.match(text)
        if match is None:
            if _VALUE_ROLE.match(text):
                findings.append((number, "PR085", _VALUE_ROLE_MESSAGE))
            elif generation == 1 and _IMAGE.search(text):
                findings.append((number, "PR084", _IMAGE_MESSAGE))
            out.append(line)
            continue
        role = match.group(1).lower()
        attributes = match.group(2) if match.lastindex and match.lastindex >= 2 else None
        if role not in _SENT or attributes:
            what = f"role attributes `{attributes}`" if attributes else f"the `{role}` role"
            findings.append(
                (
                    number,
                    "PR084",
                    f"{what}: promptreg sends system, user and "
                    "assistant messages only; this line stays text",
                )
            )
            out.append(line)
            continue
        first_role = number if first_role is None else first_role
        out.append(role + ":" + ending)
    text = "".join(out)
    shift = 0
    if _needs_system(body, first_role):
        text, shift = "system:\n" + text, 1
    soft: frozenset[str] = frozenset()
    if engine == "mustache":
        try:
            text, soft = to_jinja(text)
        except MustacheError as err:
            findings.append((err.line - shift, "PR084", err.message))
            text = ""  # nothing rendered from a body that cannot be read
    return Body(text, shift, soft, findings)


_VALUE_ROLE_MESSAGE = (
    "a value followed by `:` alone on a line is a role line to Prompty when the value is a role "
    "name; promptreg never lets a value start a message, so it stays text: write the roles as "
    "marker lines under {% if %} (see README, Coming from Prompty)"
)


_IMAGE_MESSAGE = (
    "a markdown image: Prompty v1 sends it as an image part of the message; promptreg sends "
    "text only, so it would reach the model as text (Prompty v2 does the same): remove it, or "
    "write the file as Prompty v2"
)


def _needs_system(body: str, first_role: int | None) -> bool:
    """Prompty's default: text before the first role line (or a body without one) is a
    system message. Blank lines, comments, statements and sections before it are not text."""
    lines = body.splitlines(keepends=True)
    before = "".join(lines if first_role is None else lines[: first_role - 1])
    return bool(_JINJA_TAGS.sub("", before).strip())
