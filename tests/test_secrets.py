"""The allow-marker silences its own line and nothing else (a planted bug that skipped the line
after the marker went uncaught), for every arrangement of secrets and markers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.hooks.secrets import ALLOW_MARKER, scan_text

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"
AWS = "AKIAIOSFODNN7EXAMPLE"
SECRET_LINES = [f"key: {OPENAI}", f"aws: {AWS}", "api_token=9f8e7d6c5b4a39281706f5e4d3c2b1a0"]
PLAIN_LINES = ["version: 1.0.0", "user:", "{{ ticket }}", "", "# a comment"]
MARKERS = [f"# {ALLOW_MARKER}", f"{{# {ALLOW_MARKER} #}}"]


@pytest.mark.parametrize("marker", MARKERS)
def test_the_line_after_a_marker_is_still_scanned(marker: str):
    hits = scan_text(f"---\n{marker}\nkey: {OPENAI}\n")
    assert [hit.line for hit in hits] == [3]


@pytest.mark.parametrize("marker", MARKERS)
def test_the_line_before_a_marker_is_still_scanned(marker: str):
    hits = scan_text(f"---\nkey: {OPENAI}\n{marker}\n")
    assert [hit.line for hit in hits] == [2]


def test_a_marker_silences_its_own_line_only():
    text = f"a: {AWS}\nb: {AWS}  # {ALLOW_MARKER}\nc: {AWS}\n"
    assert [hit.line for hit in scan_text(text)] == [1, 3]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(SECRET_LINES + PLAIN_LINES),
            st.sampled_from([None, *MARKERS]),
            st.booleans(),  # the marker on a line of its own before this one, or at its end
        ),
        max_size=12,
    )
)
def test_hits_are_exactly_the_secret_lines_without_a_marker(
    lines: list[tuple[str, str | None, bool]],
):
    text_lines: list[str] = []
    expected: list[int] = []
    for content, marker, own_line in lines:
        if marker is not None and own_line:
            text_lines.append(marker)
        if marker is not None and not own_line:
            text_lines.append(f"{content}  {marker}")
        else:
            text_lines.append(content)
            if content in SECRET_LINES:
                expected.append(len(text_lines))
    assert [hit.line for hit in scan_text("\n".join(text_lines))] == expected
