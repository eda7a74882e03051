"""HTML built by construction: every `str` that reaches a page is escaped, only `Html` is not.

There is no template engine here: a template engine with autoescape off (or a `|safe` in the
wrong place) is how user text becomes markup. Pages are built from `el(tag, attrs, *children)`:
tag and attribute names are constants of ours (checked), attribute values and text children
are escaped, and the only way to put markup in is to build it with `el` or to name one of our
own constants `Html(...)`. A description `<script>alert(1)</script>` is therefore text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import TypeAlias

_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
_ATTR = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*\Z")  # viewBox: SVG's names have capitals
# Elements with no end tag (HTML's void elements we use).
_VOID = frozenset({"meta", "link", "input", "br", "hr", "img"})


class Html:
    """A piece of markup that is already safe (built by `el`, or one of our constants)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Html) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Html({self.text!r})"


Child: TypeAlias = "Html | str | int | float | Iterable[Child] | None"
AttrValue = str | int | float | bool | None


_SPECIAL = re.compile(r"[&<>\"']")


def escape(text: str) -> str:
    """Text for an element's content or a quoted attribute value (`&<>"'` escaped)."""
    return html.escape(text, quote=True) if _SPECIAL.search(text) else text


def render(child: Child) -> str:
    """The markup of `child`: Html as it is, text escaped, None nothing, iterables joined."""
    if isinstance(child, str):  # the common cases first: pages are ~10^5 calls
        return escape(child)
    if isinstance(child, Html):
        return child.text
    if child is None:
        return ""
    if isinstance(child, int | float):  # (bool too: `True`)
        return escape(str(child))
    return "".join([render(c) for c in child])


_ATTR_NAMES: dict[str, str] = {}  # checked once each: ours are a few dozen constants


def _attr_name(name: str) -> str:
    shown = _ATTR_NAMES.get(name)
    if shown is None:
        if not _ATTR.match(name.replace("_", "-")):
            raise ValueError(f"not an attribute name of ours: {name!r}")
        shown = _ATTR_NAMES[name] = name.replace("_", "-").rstrip("-")
    return shown


def attrs_text(attrs: Mapping[str, AttrValue]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {_attr_name(name)}")
        else:
            out.append(f' {_attr_name(name)}="{escape(str(value))}"')
    return "".join(out)


_TAGS: set[str] = set()


def el(tag: str, attrs: Mapping[str, AttrValue] | None = None, *children: Child) -> Html:
    """`<tag attrs>children</tag>` with every attribute value and text child escaped.
    Attribute names may use `_` for `-` (`data_env` → `data-env`); `class_` is `class`."""
    if tag not in _TAGS:
        if not _NAME.match(tag):
            raise ValueError(f"not a tag name of ours: {tag!r}")
        _TAGS.add(tag)
    opening = f"<{tag}{attrs_text(attrs)}>" if attrs else f"<{tag}>"
    if tag in _VOID:
        if children:
            raise ValueError(f"<{tag}> has no content")
        return Html(opening)
    return Html(f"{opening}{render(children)}</{tag}>")


def row(attrs: Mapping[str, AttrValue] | None, cells: Iterable[Child]) -> Html:
    """`<tr attrs><td>cell</td>...</tr>`: `el` for the one shape a 10,000-row table repeats."""
    opening = f"<tr{attrs_text(attrs)}>" if attrs else "<tr>"
    return Html(opening + "".join([f"<td>{render(c)}</td>" for c in cells]) + "</tr>")


def join(parts: Iterable[Child], sep: Child = None) -> Html:
    """The parts in order, `sep` between them."""
    out: list[str] = []
    for i, part in enumerate(parts):
        if i and sep is not None:
            out.append(render(sep))
        out.append(render(part))
    return Html("".join(out))
