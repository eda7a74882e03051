"""The fast role-marker finder must agree with the rule as a regex, on any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.render import MARKER, find_markers

PIECES = st.sampled_from(
    ["system", "user", "assistant", ":", " ", "\t", "\n", "\r", "x", "sys", "\u3000", "\x0b"]
)


@given(st.lists(PIECES, max_size=40).map("".join))
@settings(max_examples=2000)
def test_find_markers_matches_the_regex(text: str) -> None:
    expected = [(m.start(), m.end(), m.group(1)) for m in MARKER.finditer(text)]
    assert find_markers(text) == expected
