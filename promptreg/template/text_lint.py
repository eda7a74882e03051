"""Warnings about text that reads one way to a person and another to promptreg (issue 12 §3).

Prompts written for other tools carry their conventions, and each one is valid promptreg text
that silently means something else:

- PR087: a line that looks like a role marker but is not one. promptreg's markers are exactly
  `system:`, `user:` or `assistant:` alone on a line; `User:`, `# system:`, `  user:` or
  `assistant :` stay text inside the message before them (Prompty reads all of those as role
  lines). To keep such a line as text on purpose, print it: `{{ "User:" }}`.
- PR088: an input printed more than once, bare, one of the prints written as other tools write
  a placeholder (`{{input}}`, no spaces): often one written for another tool (LangChain,
  promptflow, a doc) that now takes the user's input a second time. Wrap the one meant as text
  in `{% raw %}...{% endraw %}`. (A template that prints `{{ x }}` twice on purpose, in
  promptreg's own spacing, is left alone.)

Both are warnings (`findings.WARNING_CODES`): reported by `validate` and the hooks, they do not
fail them. `raw_hint` adds the fix to a template syntax error caused by literal `{{`/`{%` text.
The checks read the body's source with one regular-expression pass each: no parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Add = Callable[[int, int, str, str], None]

_LOOKALIKE = re.compile(
    r"^[ \t]*#*[ \t]*(system|user|assistant|developer|human|ai)[ \t]*:[ \t]*\r?$", re.I | re.M
)
_MARKER = re.compile(r"(system|user|assistant):[ \t]*\r?\Z")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_COMPACT_PRINT = re.compile(r"\{\{([A-Za-z][A-Za-z0-9_]*)\}\}")
_BARE_PRINT = re.compile(r"\{\{-?\s*([A-Za-z][A-Za-z0-9_]*)\s*-?\}\}")


# The loop `promptreg import` wrote for Dotprompt's history before `chat_history` existed:
# its `{% else %}` made a `tool` turn (any role but system and user) the assistant's.
OLD_HISTORY = '{% for turn in history %}{% if turn.role == "system" %}'


def old_history_block(body: str, offset: int, add: Add) -> None:
    """PR091 (an error) at each history block of an older import: input would choose a role
    the template never placed (issue 8 §1)."""
    start = body.find(OLD_HISTORY)
    while start >= 0:
        add(
            offset + body.count("\n", 0, start) + 1,
            1,
            "PR091",
            "this history block (from an older `promptreg import`) sends a turn of any role "
            "but system and user (`tool`, `System`) as the assistant's: write "
            "`{% for turn in history|chat_history %}`, which refuses the roles it does not "
            "place, or import the file again",
        )
        start = body.find(OLD_HISTORY, start + 1)


def lookalike_markers(body: str, offset: int, add: Add) -> None:
    """PR087 for each body line that looks like a role marker but is not one."""
    if ":" not in body:
        return
    for match in _LOOKALIKE.finditer(body):
        line_text = match.group(0)
        if _MARKER.match(line_text):
            continue
        role = match.group(1).lower()
        line = offset + body.count("\n", 0, match.start()) + 1
        fix = (
            f"write `{role}:` alone on the line to start a {role} message"
            if role in ("system", "user", "assistant")
            else f"promptreg's roles are system, user and assistant, not {role}"
        )
        add(
            line,
            1,
            "PR087",
            f"`{line_text.strip()}` looks like a role marker but is text in the message before "
            f'it: {fix}, or print it (`{{{{ "{line_text.strip()}" }}}}`) to keep it as text',
        )


def spaced_prints(body: str) -> str:
    """`body` with each bare `{{name}}` print written `{{ name }}` (raw blocks left as they are):
    the same render, in promptreg's own spacing, so an imported prompt that prints an input
    twice on purpose is not taken for another tool's placeholder (PR088)."""
    out, pos = [], 0
    for raw in _RAW.finditer(body):
        out.append(_COMPACT_PRINT.sub(r"{{ \1 }}", body[pos : raw.start()]) + raw.group(0))
        pos = raw.end()
    out.append(_COMPACT_PRINT.sub(r"{{ \1 }}", body[pos:]))
    return "".join(out)


def repeated_inputs(body: str, offset: int, inputs: Iterable[str], add: Add) -> None:
    """PR088 for each declared input printed bare more than once, once at least as `{{name}}`
    (raw blocks are text)."""
    if "{{" not in body:
        return
    declared = set(inputs)
    seen: dict[str, list[int]] = {}
    compact: set[str] = set()
    text = _RAW.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    for match in _BARE_PRINT.finditer(text):
        name = match.group(1)
        if name in declared:
            seen.setdefault(name, []).append(offset + text.count("\n", 0, match.start()) + 1)
            if match.group(0) == "{{" + name + "}}":
                compact.add(name)
    for name, lines in seen.items():
        if len(lines) > 1 and name in compact:
            where = ", ".join(str(n) for n in lines)
            add(
                lines[1],
                1,
                "PR088",
                f"input `{name}` is printed {len(lines)} times (lines {where}): if one is a "
                "placeholder written for another tool, it takes the input a second time; wrap "
                "it in {% raw %}...{% endraw %} to keep it as text",
            )


# Literal text Jinja tried to read: `{{"key": ...` or `{{ 'key': ...` (JSON, or a dict written
# in double braces); `{{#`, `{{/`, `{{>`, `{{!`, `{{^` (Handlebars, Mustache); `{%` before a word
# Jinja has no tag for (then the error says "unknown tag"). An ordinary Jinja mistake (`{{ x }`,
# an unclosed `{% if %}`) gets no hint.
_LITERAL = re.compile(r"\{\{\s*(?:[\"'][^\"'\n]*[\"']\s*:|[#/>!^])|\{%-?\s*[A-Za-z_]")


def raw_hint(body: str, line: int, message: str, file_line: int) -> str:
    """The fix for a syntax error on a body line that holds literal `{{` or `{%` text (a JSON
    example, another tool's placeholder), or "" when it does not look like such text. `line` is
    the body's, `file_line` the file's."""
    lines = body.split("\n")
    match = _LITERAL.search(lines[line - 1]) if 1 <= line <= len(lines) else None
    if match is None or (match.group(0).startswith("{%") and "unknown tag" not in message):
        return ""
    return (
        f"; if the `{{{{`/`{{%` on line {file_line} is literal text (a JSON example, another "
        "tool's placeholder), wrap it in `{% raw %}` … `{% endraw %}`"
    )
