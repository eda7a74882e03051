"""Turn a compiled template and checked inputs into chat messages (or one text).

Role markers are decided by the template's source alone (see `promptreg.template.markers`): the
rendered text holds a sentinel wherever the template itself wrote a marker line, and it is
split at those sentinels only. Every value a template prints goes through `finalize`, which
turns any sentinel inside it back into plain text, so nothing an expression outputs can start
or end a message. Values with whitespace at an edge are swapped for a placeholder while the
template renders and put back after the text is split and each message trimmed, so trimming
never eats a value's own whitespace: a ticket comes back byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import jinja2
import markupsafe

from promptreg._lazyre import lazy_pattern
from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.limits import output
from promptreg.template.estimates import check_printable
from promptreg.template.markers import SENTINEL_ROLE, unmark
from promptreg.template.media import MediaPart, RenderSlots, current_slots, part_of
from promptreg.template.media import render_slots as _slots

if TYPE_CHECKING:
    from promptreg.template.media import ContentPart

__all__ = [
    "ChatMessage",
    "LeadingTextError",
    "NoneOutputError",
    "current_slots",
    "finalize",
    "finalize_captured",
    "finalize_escaped",
    "finalize_volatile",
    "finish_text",
    "render_raw",
    "rendered_messages",
    "restore",
    "split_messages",
]

_SLOT = lazy_pattern("\ue000([0-9]{1,9})\ue000")
# The rendered text is a sequence of template text, sentinels and placeholders, each of those
# a pair of U+E000: read left to right, so two placeholders around an `s` are not a sentinel.
_TOKEN = lazy_pattern("\ue000(?:[0-9]{1,9}|([sua]))\ue000")
# Placeholders and media parts (`\ue000m<slot>\ue000`, template/media.py), read the same way.
_PART = lazy_pattern("\ue000(?:[0-9]{1,9}|m([0-9]{1,9}))\ue000")
_MEDIA_HEAD = f"{RESERVED_CHAR}m"
_MAX_NESTING = 32


class ChatMessage(TypedDict):
    """`content` is a str, or a list of parts when the template placed `{% media %}` parts in
    the message (template/media.py): text-only messages are exactly what they always were."""

    role: Literal["system", "user", "assistant"]
    content: str | list[ContentPart]


class NoneOutputError(Exception):
    """`{{ x }}` where x is None: an optional input with no default was printed."""


def finalize(value: Any) -> Any:
    """Jinja's `finalize`: applied to every `{{ expression }}` the template outputs, and to the
    output of `{% call %}` and `{% filter %}` blocks.

    A value is content. One that holds U+E000 (a role sentinel from a string literal, or one
    built at render time) or has whitespace at an edge is held in a placeholder while a render
    collects them (`render_raw`): splitting never sees inside it, trimming never eats its
    whitespace, and `restore` turns any sentinel in it into plain `role:` text.
    """
    kind = type(value)
    if kind is not str and kind is not markupsafe.Markup:
        if kind is MediaPart:
            return _media_sentinel(value)
        if value is None:
            raise NoneOutputError("an expression printed null (an optional input with no value?)")
        if kind is int or kind is float or kind is bool:
            return value
        if not isinstance(value, str):
            check_printable(value)  # estimates.py: bounded before str() builds its text
        # What Jinja would print, as a plain str checked like any string. A subclass of str or
        # int (from the API) prints through its own `__str__`, which may say anything.
        value = str(value)
        if type(value) is not str:
            value = str.__str__(value)
    if not value:
        return value
    if RESERVED_CHAR not in value and not (value[0].isspace() or value[-1].isspace()):
        return value
    slots = _slots.get()
    if slots is None:
        return value
    slots.append(value)
    return f"{RESERVED_CHAR}{len(slots) - 1}{RESERVED_CHAR}"


def _media_sentinel(part: MediaPart) -> str:
    """A `{% media %}` part output by the template: its sentinel, the part in a slot. Only a
    part made by this render's own tag counts; anything else prints as an error."""
    slots = _slots.get()
    if slots is None or part.owner is not slots:
        str(part)  # raises MediaError
    assert slots is not None
    slots.append(part)
    return f"{RESERVED_CHAR}m{len(slots) - 1}{RESERVED_CHAR}"


def finalize_captured(value: Any) -> Any:
    """`finalize` for output being captured (a macro's body, `caller()`, a `{% set %}` or
    `{% filter %}` block): it reaches a message only when printed again, through `finalize`.
    Here a value is only made plain text; no placeholder, so filters applied to the captured
    text (`caller()|indent`, `s|upper`) see the value itself."""
    if value is None:
        raise NoneOutputError("an expression printed null (an optional input with no value?)")
    if isinstance(value, str):
        return unmark(value) if RESERVED_CHAR in value else value
    if type(value) is MediaPart:
        str(value)  # raises MediaError: a part captured would reach the message as a value
    if not isinstance(value, int | float):
        check_printable(value)  # estimates.py: Jinja calls str() on it next
    return value


def finalize_escaped(value: Any) -> Any:
    """`finalize` where Jinja escapes output (`{% autoescape true %}`): escape first, so a
    value held in a placeholder is escaped like any other (Jinja escapes the placeholder)."""
    if value is None:
        raise NoneOutputError("an expression printed null (an optional input with no value?)")
    if type(value) is MediaPart:
        return finalize(value)
    if not isinstance(value, str | int | float):
        check_printable(value)  # estimates.py: escaping calls str() on it
    return finalize(markupsafe.escape(value))


def finalize_volatile(eval_ctx: Any, value: Any) -> Any:
    """`finalize` where autoescaping is decided at render time (`{% autoescape flag %}`)."""
    return finalize_escaped(value) if eval_ctx.autoescape else finalize(value)


# The code generator (markers.py) reaches these through the environment's `finalize`.
finalize.captured = finalize_captured  # type: ignore[attr-defined]
finalize.escaped = finalize_escaped  # type: ignore[attr-defined]
finalize.volatile = finalize_volatile  # type: ignore[attr-defined]


def render_raw(template: jinja2.Template, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """Render with placeholders in place; returns the text and the placeholder values.

    `values` is used as the template's context as is (no copy; Jinja's own `render` copies it
    and the environment globals every call): pass a fresh dict that already holds the
    environment's globals.
    """
    slots = RenderSlots()
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


def restore(text: str, slots: list[Any]) -> str:
    """Put placeholder values back (they nest when a macro's output is printed again).

    A placeholder a filter has mangled (`replace` on a set block's text) may name no slot: it
    is dropped, never an IndexError; any other U+E000 left over is dropped too. A media part
    inside a value (a `{% media %}` in a partial included inside a `{% set %}` block) raises
    MediaError: a value never makes a part, and the part is not lost in silence either.
    """
    done: dict[int, str] = {}

    def restored(value: str, depth: int) -> str:
        if RESERVED_CHAR not in value:
            return value
        if _MEDIA_HEAD in value:
            _no_captured_part(value, slots)
        if depth > _MAX_NESTING:
            return value.replace(RESERVED_CHAR, "")

        def slot(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index not in done:
                value = slots[index] if index < len(slots) else ""
                done[index] = restored(value, depth + 1) if isinstance(value, str) else ""
            return done[index]

        return unmark(_SLOT.sub(slot, value)).replace(RESERVED_CHAR, "")

    return restored(text, 0)


def _no_captured_part(value: str, slots: list[Any]) -> None:
    for found in _PART.finditer(value):
        index = found[1]
        if index is not None and int(index) < len(slots):
            part = slots[int(index)]
            if type(part) is MediaPart:
                str(part)  # raises MediaError


class LeadingTextError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"text before the first role marker (rendered line {line})")
        self.line = line


def split_messages(
    text: str, slots: list[Any], trim: Callable[[str, bool], str] | None = None
) -> list[ChatMessage] | None:
    """Split rendered text at role sentinels; None when there is none (a text prompt).

    `trim(content, last)`: another whitespace rule, applied to each message with its values in
    place: a `.prompty` file's (Prompty trims a message whole) or `whitespace: keep`
    (`keep_edges`); by default the template's own whitespace is trimmed and values keep
    theirs. Raises `LeadingTextError` when non-blank text comes before the
    first marker. A text with media parts and no marker is one user message (as Dotprompt's).
    """
    if RESERVED_CHAR not in text:
        return None
    markers = [(m.start(), m.end(), m[1]) for m in _TOKEN.finditer(text) if m[1] is not None]
    if not markers:
        if not _has_media(text):
            return None
        return [{"role": "user", "content": _parts(text, slots, trim, True)}]
    leading = text[: markers[0][0]]
    if leading and not leading.isspace():
        first = len(leading) - len(leading.lstrip())
        raise LeadingTextError(text.count("\n", 0, first) + 1)
    messages: list[ChatMessage] = []
    media = _has_media(text)
    for i, (_, end, letter) in enumerate(markers):
        stop = markers[i + 1][0] if i + 1 < len(markers) else len(text)
        if media and _has_media(text, end, stop):
            parts = _parts(text[end:stop], slots, trim, i + 1 == len(markers))
            messages.append({"role": SENTINEL_ROLE[letter], "content": parts})  # type: ignore[typeddict-item]
            continue
        if trim is not None:
            content = trim(restore(text[end:stop], slots), i + 1 == len(markers))
            messages.append({"role": SENTINEL_ROLE[letter], "content": content})  # type: ignore[typeddict-item]
            continue
        content = text[end:stop].strip()
        if RESERVED_CHAR in content:
            content = restore(content, slots)
        role = SENTINEL_ROLE[letter]
        messages.append({"role": role, "content": content})  # type: ignore[typeddict-item]
    return messages


def _has_media(text: str, start: int = 0, stop: int | None = None) -> bool:
    """Whether `text[start:stop]` holds a media part (a placeholder followed by an `m` of
    template text is not one: the text is read token by token)."""
    stop = len(text) if stop is None else stop
    if text.find(_MEDIA_HEAD, start, stop) < 0:
        return False
    return any(m[1] is not None for m in _PART.finditer(text, start, stop))


def _parts(
    text: str, slots: list[Any], trim: Callable[[str, bool], str] | None, last: bool
) -> list[ContentPart]:
    """A message's content with media parts: its text split at the part sentinels, each text
    piece trimmed as a message is (by default the template's whitespace at its edges), empty
    and whitespace-only pieces (a value's too) left out."""
    if trim is None:
        text = text.strip()
    parts: list[ContentPart] = []
    start = 0
    media = [m for m in _PART.finditer(text) if m[1] is not None]
    for found in [*media, None]:
        piece = text[start : found.start() if found else len(text)]
        if trim is None:
            piece = restore(piece.strip(), slots)
        else:
            piece = trim(restore(piece, slots), last and found is None)
        if piece and not piece.isspace():  # as Dotprompt: no whitespace-only part
            parts.append({"type": "text", "text": piece})
        if found is not None:
            start = found.end()
            index = int(found[1])
            part = slots[index] if index < len(slots) else None
            if type(part) is MediaPart:
                parts.append(part_of(part))
    return parts


def rendered_messages(
    raw: str, slots: list[Any], trim: Callable[[str, bool], str] | None, *, keep: bool
) -> tuple[list[ChatMessage], str | None]:
    """A render's messages, and its text when it is a text prompt (one user message; `keep`:
    `whitespace: keep`, nothing trimmed)."""
    messages = split_messages(raw, slots, trim)
    if messages is not None:
        return messages, None
    text = restore(raw, slots) if keep else finish_text(raw, slots)
    return [{"role": "user", "content": text}], text


def keep_edges(content: str, last: bool) -> str:
    """`whitespace: keep`: a message is the text between its marker line and the next marker
    line, byte for byte: only the line break that ends the marker line, and the one that ends
    the message's last line, are not part of it. (The body's final line break is not in the
    rendered text at all: Jinja drops it, so the last message loses nothing more.)"""
    if content.startswith("\n"):
        content = content[1:]
    if not last and content.endswith("\n"):
        content = content[:-1]
    return content


def finish_text(text: str, slots: list[str]) -> str:
    """A text prompt: trimmed of the template's surrounding whitespace, values restored."""
    text = text.strip()
    return restore(text, slots) if RESERVED_CHAR in text else text
