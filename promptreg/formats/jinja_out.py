"""Build a promptreg template (Jinja with role marker lines) that renders a given text.

Converters append literal text, expressions, statements and role markers; `source()` writes
Jinja whose render is exactly what the source format would print:
- literal `{{`, `{%`, `{#` become expressions printing them, so the text stays text;
- a text line that reads like a role marker (`user:`) is written so it is not one;
- promptreg trims a message's template whitespace but never a value's: whitespace at the
  edges of a message (and of the whole prompt) is written as an expression (`{{ "\\n" }}`),
  so it survives byte for byte;
- a carriage return becomes an expression too (Jinja reads CRLF as LF in template text).
"""

from __future__ import annotations

import json
import re

from promptreg.formats.report import Refused

_JINJA_OPEN = re.compile(r"\{[{%#]")
# A line promptreg reads as a marker, or one `validate` would flag as looking like one
# (PR087: `User:`, `# system:`, `Human:`): printed, so it stays text and says so.
_ROLE_LINE = re.compile(
    r"^([ \t]*#*[ \t]*(?:system|user|assistant|developer|human|ai)[ \t]*:)([ \t]*)$", re.I | re.M
)
_EDGE_WS = re.compile(r"\A\s*")
_TRAILING_WS = re.compile(r"\s*\Z")


def string_literal(text: str) -> str:
    """A Jinja string literal for `text` (Jinja reads Python-style escapes)."""
    return json.dumps(text, ensure_ascii=False)


def print_literal(text: str) -> str:
    return "{{ " + string_literal(text) + " }}"


def escape_text(text: str) -> str:
    """Jinja source that renders `text` as it is, when it is not at a message's edge."""
    if "\ue000" in text:
        raise Refused("the text contains U+E000, a character promptreg reserves")
    out = _JINJA_OPEN.sub(lambda m: print_literal(m.group(0)), text)
    out = _ROLE_LINE.sub(lambda m: print_literal(m.group(1)) + m.group(2), out)
    out = out.replace("\r", print_literal("\r"))
    if out.endswith("{"):  # a tag may follow: `{` then `{{ x }}` would read as `{{{`
        out = out[:-1] + print_literal("{")
    return out


class JinjaOut:
    """Items of a template in order: ("text", s), ("expr", e), ("stmt", s), ("marker", r)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def text(self, text: str) -> None:
        if text and self.items and self.items[-1][0] == "text":
            self.items[-1] = ("text", self.items[-1][1] + text)
        elif text:
            self.items.append(("text", text))

    def expr(self, expression: str) -> None:
        self.items.append(("expr", expression))

    def stmt(self, statement: str) -> None:
        self.items.append(("stmt", statement))

    def marker(self, role: str) -> None:
        self.items.append(("marker", role))

    @property
    def has_marker(self) -> bool:
        return any(kind == "marker" for kind, _ in self.items)

    def source(self, *, edges: bool = True) -> str:
        """The template: starts with a marker line if the items hold one or more. `edges`
        off: whitespace at a message's edges is left to promptreg's trimming."""
        items = _drop_blank_messages(self.items)
        # The history block renders nothing but messages: no marker before it (an empty one)
        if items and self.has_marker and items[0][0] != "marker" and items[0] != _HISTORY_START:
            if items[0][0] == "text" and not items[0][1].strip():
                items.pop(0)  # whitespace before the first message is no message
            if items and items[0][0] != "marker":  # (every message may have been blank)
                items.insert(0, ("marker", "user"))
        kept = _edge_whitespace(items) if edges else {}
        out: list[str] = []
        for index, (kind, value) in enumerate(items):
            if kind == "marker":
                written = "".join(out)
                if written and not written.endswith("\n"):
                    out.append("\n")
                out.append(f"{value}:\n")
            elif kind == "text":
                lead, trail = kept.get(index, (0, 0))
                body = value[lead : len(value) - trail]
                if lead:
                    out.append(print_literal(value[:lead]))
                out.append(escape_text(body))
                if trail:
                    out.append(print_literal(value[len(value) - trail :]))
            elif kind == "expr":
                out.append("{{ " + value + " }}")
            else:
                out.append(value)
        return "".join(out) + "\n"


def _drop_blank_messages(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A marker followed by nothing but whitespace text up to the next marker (or the end)
    starts no message: Dotprompt drops such a piece, and promptreg would render an empty
    message (PR052)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(items):
        if items[i][0] == "marker":
            j = i + 1
            while j < len(items) and items[j][0] == "text" and not items[j][1].strip():
                j += 1
            if j == len(items) or items[j][0] == "marker":
                i = j
                continue
        out.append(items[i])
        i += 1
    return out


def _edge_whitespace(items: list[tuple[str, str]]) -> dict[int, tuple[int, int]]:
    """For each text item that may be at a message edge: how many leading and trailing
    whitespace characters to print as values, so promptreg's trimming leaves them.

    From each message start (and end) the walk goes forward (backward) through statements,
    values and conditional text, and stops at the first text that is always printed and is
    not all whitespace. Printing whitespace as a value is the same text wherever it is, so
    a walk that goes too far only costs readability, never fidelity."""
    lead: dict[int, int] = {}
    trail: dict[int, int] = {}
    markers = [i for i, (kind, _) in enumerate(items) if kind == "marker"]
    for start in [-1, *markers]:
        _walk(items, range(start + 1, len(items)), lead, forward=True)
    for end in [*markers, len(items)]:
        _walk(items, range(end - 1, -1, -1), trail, forward=False)
    out: dict[int, tuple[int, int]] = {}
    for i in set(lead) | set(trail):
        a = lead.get(i, 0)
        out[i] = (a, min(trail.get(i, 0), len(items[i][1]) - a))
    return out


_OPENS = ("{% if ", "{% for ")
_CLOSES = ("{% endif", "{% endfor")
_BRANCHES = ("{% else", "{% elif ")


def _walk(
    items: list[tuple[str, str]], order: range, found: dict[int, int], *, forward: bool
) -> None:
    depth = 0
    for i in order:
        kind, value = items[i]
        if kind == "marker" and depth <= 0:
            return
        if kind == "stmt":
            opens, closes = value.startswith(_OPENS), value.startswith(_CLOSES)
            if (opens and forward) or (closes and not forward):
                depth += 1
            elif opens or closes:
                depth -= 1
            elif value.startswith(_BRANCHES) and depth <= 0:
                depth += 1  # a sibling branch: skip it, up to the end (start) of its block
        if kind != "text":
            continue
        edge = _EDGE_WS.match(value) if forward else _TRAILING_WS.search(value)
        size = len(edge.group(0)) if edge else 0
        found[i] = max(found.get(i, 0), size)
        if size < len(value) and depth <= 0:
            return


_HISTORY_START = ("stmt", '{% for turn in history|chat_history %}{% if turn.role == "system" %}')


def history_block(out: JinjaOut) -> None:
    """The conversation so far, from the input `history` (a list of `{role, content}`, content
    a string or Dotprompt's `[{text}]` parts): each turn under a marker line the template
    picks with `{% if %}`, so a value chooses among the template's roles and never writes one
    (guarantee 1). `chat_history` refuses a turn of any other role (`tool`): it would fall
    into the last branch and be sent as the assistant's. `jinja_read.py` reads this block
    back as one piece."""
    out.stmt(_HISTORY_START[1])
    out.marker("system")
    out.stmt('{% elif turn.role == "user" %}')
    out.marker("user")
    out.stmt("{% else %}")  # `assistant` or Dotprompt's `model`: chat_history let no other by
    out.marker("assistant")
    out.stmt("{% endif %}")
    out.expr('turn.content if turn.content is string else turn.content|map(attribute="text")|join')
    out.stmt("{% endfor %}")


def history_source() -> str:
    """`history_block` as Jinja source (after a first marker, as it always is)."""
    out = JinjaOut()
    out.marker("user")
    history_block(out)
    return out.source(edges=False)


def with_implicit_history(items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool]:
    """`items` with the history block where Dotprompt puts the conversation in a template
    that never says `{{history}}` (its `insertHistory`): before the last message when that is
    a user message, else after the last one; before the whole template when it has no role
    (it is one user message). False with it: the last message is decided at render time (a
    role under `{{#if}}` or `{{#each}}`), and the history was put after everything."""
    items = _drop_blank_messages(items)
    block = JinjaOut()
    history_block(block)
    depth, last, last_depth = 0, -1, 0
    for index, (kind, value) in enumerate(items):
        if kind == "stmt":
            depth += value.startswith(_OPENS) - value.startswith(_CLOSES)
        elif kind == "marker":
            last, last_depth = index, depth
    if last < 0:
        if not any(kind != "text" or value.strip() for kind, value in items):
            return block.items, True
        return [*block.items, ("marker", "user"), *items], True
    if last_depth == 0 and items[last][1] == "user":
        return [*items[:last], *block.items, *items[last:]], True
    return [*items, *block.items], last_depth == 0
