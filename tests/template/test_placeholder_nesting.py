"""Placeholders nest (a macro's output printed again holds its values' placeholders): they are
put back to a fixed depth, and past it dropped, never followed without end."""

from __future__ import annotations

import pytest

from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.template.render import restore

_MAX_NESTING = 32  # render.py: how deep placeholders are put back


def _placeholder(i: int) -> str:
    return f"{RESERVED_CHAR}{i}{RESERVED_CHAR}"


def _chain(levels: int) -> list[str]:
    """Slot i holds `<` placeholder i+1 `>`; the last slot holds `end`."""
    return [f"<{_placeholder(i + 1)}>" for i in range(levels - 1)] + ["end"]


def test_placeholders_nested_to_the_limit_are_all_put_back():
    slots = _chain(_MAX_NESTING + 1)  # slot 0 at depth 1 ... slot 32 at depth 33: no U+E000
    assert restore(_placeholder(0), slots) == "<" * _MAX_NESTING + "end" + ">" * _MAX_NESTING


def test_a_placeholder_nested_past_the_limit_is_dropped_not_followed():
    slots = _chain(_MAX_NESTING + 2)  # slot 32, at depth 33, still names slot 33
    expected = "<" * _MAX_NESTING + f"<{_MAX_NESTING + 1}>" + ">" * _MAX_NESTING
    assert restore(_placeholder(0), slots) == expected


@pytest.mark.parametrize("slots", [[_placeholder(0)], [_placeholder(1), _placeholder(0)]])
def test_a_placeholder_that_names_itself_ends(slots: list[str]):
    """A mangled placeholder may name the slot it is in: the loop stops at the depth limit."""
    restored = restore(_placeholder(0), slots)
    assert RESERVED_CHAR not in restored
    assert restored in ("0", "1")


def test_a_placeholder_one_past_the_last_slot_is_dropped():
    assert restore(f"a{_placeholder(1)}b", ["x"]) == "ab"
