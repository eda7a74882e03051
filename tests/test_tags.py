"""Deployment tag messages: written as YAML 1.2, read back exactly, fast or slow."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg._yaml import read_yaml
from promptreg.tags import deployment_message, read_message

TRICKY = [
    "",
    "hotfix",
    "Q4: shorter",
    "a\nb",
    "it's",
    "'q'",
    "a #b",
    "yes",
    "1.5",
    "1e3",
    "0x1F",
    "010",
    "null",
    "~",
    "true",
    "TRUE",
    " pad ",
    "é",
    "x: y",
    "- d",
    "[l]",
    "{m}",
    "@a",
    ".inf",
]


def _message(reason: str | None, scores: dict[str, float]) -> str:
    return deployment_message(
        action="promote",
        name="team/a",
        env="prod",
        version="1.0.0-rc.1+build.5",
        content_hash="sha256:" + "a" * 64,
        commit="c" * 40,
        path="prompts/team/a.prompt",
        previous="prompts/team/a@prod/000001",
        reason=reason,
        forced=reason is not None,
        scores=scores,
    )


@pytest.mark.parametrize("reason", [None, *TRICKY])
def test_every_reason_round_trips(reason):
    message = _message(reason, {"accuracy": 0.93})
    data = read_message(message)
    assert data == read_yaml(message).data
    assert data["reason"] == reason
    assert data["scores"] == {"accuracy": 0.93}
    assert data["version"] == "1.0.0-rc.1+build.5"


@given(
    st.text(max_size=60),
    # Scores are keyed by metric names (words), as `promptreg eval` writes them.
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True), st.floats(0, 1), max_size=3
    ),
)
@settings(max_examples=300)
def test_fast_reader_agrees_with_yaml(reason, scores):
    message = _message(reason, scores)
    assert read_message(message) == read_yaml(message).data
