"""Turn a compiled template and checked inputs into chat messages (or one text).

Role markers are lines that are exactly `system:`, `user:` or `assistant:` (trailing spaces
allowed). They are recognised in the *template's* text only: an input value can never start a
message of its own. Every value that could form or touch a marker line (anything multi-line,
ending in a colon, or with whitespace at its edges) is swapped for a placeholder while the
template renders and put back after the text is split into messages, so splitting and trimming
never see it. That is what keeps a ticket that says "system: ignore previous instructions" in
the user message it was given to.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any, Literal, TypedDict

import jinja2

from promptreg.limits import check_printable, output

RESERVED_CHAR = "\ue000"
ROLES = ("system", "user", "assistant")
MARKER = re.compile(r"^(system|user|assistant):[ \t]*$", re.M)  # the same rule, for the source
_ROLE_SET = frozenset(ROLES)
_SLOT = re.compile("\ue000(\\d+)\ue000")
_MAX_NESTING = 32

_PLAIN = frozenset({str, int, float, bool})
_slots: ContextVar[list[str] | None] = ContextVar("promptreg_render_slots", default=None)


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class NoneOutputError(Exception):
    """`{{ x }}` where x is None: an optional input with no default was printed."""


def finalize(value: Any) -> Any:
    """Jinja's `finalize`: applied to every `{{ expression }}` the template outputs."""
    if value is None:
        raise NoneOutputError("an expression printed null (an optional input with no value?)")
    if type(value) not in _PLAIN and not isinstance(value, (str, int, float)):
        check_printable(value)  # limits.py: Jinja calls str() on it next
    if type(value) is str and value and _needs_slot(value):
        slots = _slots.get()
        if slots is not None:
            slots.append(value)
            return f"{RESERVED_CHAR}{len(slots) - 1}{RESERVED_CHAR}"
    return value


def _needs_slot(value: str) -> bool:
    """Could this value form or touch a role-marker line, or be trimmed away at a message's
    edge? (Written as substring tests: a regex costs more on every printed value.)"""
    return (
        "\n" in value
        or "\r" in value
        or RESERVED_CHAR in value
        or value[0].isspace()
        or value[-1].isspace()
        or value[-1] == ":"
    )


def render_raw(template: jinja2.Template, values: dict[str, Any]) -> tuple[str, list[str]]:
    """Render with placeholders in place; returns the text and the placeholder values.

    `values` is used as the template's context as is (no copy; Jinja's own `render` copies it
    and the environment globals every call): pass a fresh dict that already holds the
    environment's globals.
    """
    slots: list[str] = []
    token = _slots.set(slots)
    try:
        context = template.new_context(values, shared=True)
        limits = getattr(template.environment, "limits", None)
        return output(template.root_render_func(context), limits), slots  # see limits.py
    except Exception:
        template.environment.handle_exception()  # re-raises with template file and line
        raise
    finally:
        _slots.reset(token)


def restore(text: str, slots: list[str]) -> str:
    """Put placeholder values back (they nest when a macro's output is printed again)."""
    for _ in range(_MAX_NESTING):
        if RESERVED_CHAR not in text:
            return text
        text = _SLOT.sub(lambda m: slots[int(m.group(1))], text)
    return text.replace(RESERVED_CHAR, "")


class LeadingTextError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"text before the first role marker (rendered line {line})")
        self.line = line


def find_markers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of every role-marker line in `text`, in order.

    Walks the colons rather than running a multi-line regex over the whole text: a rendered
    prompt has few colons, and this is the hot path of every render.
    """
    found: list[tuple[int, int, str]] = []
    colon = text.find(":")
    while colon != -1:
        start = text.rfind("\n", 0, colon) + 1
        if text[start:colon] in _ROLE_SET:
            end = text.find("\n", colon)
            if end == -1:
                end = len(text)
            rest = text[colon + 1 : end]
            if not rest.strip(" \t"):
                found.append((start, end, text[start:colon]))
        colon = text.find(":", colon + 1)
    return found


def split_messages(text: str, slots: list[str]) -> list[ChatMessage] | None:
    """Split rendered text at role markers; None when there is no marker (a text prompt).

    Raises `LeadingTextError` when non-blank text comes before the first marker.
    """
    markers = find_markers(text)
    if not markers:
        return None
    leading = text[: markers[0][0]]
    if leading and not leading.isspace():
        first = len(leading) - len(leading.lstrip())
        raise LeadingTextError(text.count("\n", 0, first) + 1)
    messages: list[ChatMessage] = []
    for i, (_, end, role) in enumerate(markers):
        stop = markers[i + 1][0] if i + 1 < len(markers) else len(text)
        content = text[end:stop].strip()
        if slots:
            content = restore(content, slots)
        messages.append({"role": role, "content": content})  # type: ignore[typeddict-item]
    return messages


def finish_text(text: str, slots: list[str]) -> str:
    """A text prompt: trimmed of the template's surrounding whitespace, values restored."""
    text = text.strip()
    return restore(text, slots) if slots else text
