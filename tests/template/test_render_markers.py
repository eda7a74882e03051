"""Role markers are found in the template's source by one rule (`MARKER`), and the pieces that
carry them through rendering (sentinels, placeholders) can never be confused with each other."""

from __future__ import annotations

import re

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.template.markers import MARKER, SENTINEL, mark_source, unmark
from promptreg.template.render import restore, split_messages

PIECES = st.sampled_from(
    ["system", "user", "assistant", ":", " ", "\t", "\n", "\r", "x", "sys", "\u3000", "\x0b"]
)
SOURCES = st.lists(PIECES, max_size=40).map("".join)


@given(SOURCES)
@settings(max_examples=1000, deadline=None)
def test_mark_source_marks_exactly_the_marker_lines(source: str) -> None:
    marked = mark_source(source)
    expected = [m.group(1) for m in MARKER.finditer(source)]
    found = [
        role
        for line in re.split("[\r\n]", marked)  # a lone CR ends a line, as for Jinja
        for role, sentinel in SENTINEL.items()
        if line.startswith(sentinel)
    ]
    assert found == expected
    assert marked.count("\n") == source.count("\n")  # line numbers do not move
    assert unmark(marked) == source  # nothing else changed


def test_mark_source_refuses_the_reserved_character() -> None:
    with pytest.raises(jinja2.TemplateSyntaxError) as err:
        mark_source("system:\nok\nnot \ue000 ok\n")
    assert err.value.lineno == 3


def _placeholder(i: int) -> str:
    return f"{RESERVED_CHAR}{i}{RESERVED_CHAR}"


@given(
    st.lists(st.sampled_from(["s", "u", "a", "x", " ", "\n", "P0", "P1", "S", "U"]), max_size=20)
)
@settings(max_examples=500, deadline=None)
def test_placeholders_never_pair_into_a_sentinel(parts: list[str]) -> None:
    """Rendered text is template text, sentinels (S, U) and placeholders (P0, P1): two
    placeholders around a template `s` are read left to right, never as a `system` sentinel."""
    pieces = {"P0": _placeholder(0), "P1": _placeholder(1), "S": SENTINEL["system"]}
    pieces["U"] = SENTINEL["user"]
    parts = ["U", *parts]
    text = "".join(pieces.get(p, p) for p in parts)
    messages = split_messages(text, [" v0 ", " v1 "])
    assert messages is not None
    assert [m["role"] for m in messages] == [
        {"S": "system", "U": "user"}[p] for p in parts if p in ("S", "U")
    ]
    assert all(RESERVED_CHAR not in m["content"] for m in messages)


@pytest.mark.parametrize(
    ("text", "slots", "expected"),
    [
        (_placeholder(0), ["a"], "a"),
        (_placeholder(7), ["a"], ""),  # a mangled placeholder names no slot: dropped
        (_placeholder(1), ["in", f"<{_placeholder(0)}>"], "<in>"),  # nested
        (f"{RESERVED_CHAR}{'9' * 5000}{RESERVED_CHAR}", ["a"], "9" * 5000),  # not a number
        (f"x{RESERVED_CHAR}y", [], "xy"),  # a stray reserved character
        (SENTINEL["user"], [], "user:"),  # a sentinel inside a value is text
    ],
)
def test_restore_is_robust(text: str, slots: list[str], expected: str) -> None:
    assert restore(text, slots) == expected
