"""The state ref's message (state_ref.py): what promptreg writes reads back, and anything a
pusher could write is a StateError or a state, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.errors import StateError
from promptreg.registry.state_ref import (
    Entry,
    format_state,
    lost_state_race,
    parse_state,
)

OID = "a" * 40


def test_what_is_written_reads_back():
    entries = [Entry("support/triage", "prod", 12, OID), Entry("b", "dev", 1, "b" * 64)]
    state = parse_state(format_state(entries))
    assert state == {(e.name, e.env): e for e in entries}
    assert state[("support/triage", "prod")].tag == "prompts/support/triage@prod/000012"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "promptreg state 2\n",
        "promptreg state 1\n\nt dev 000001\n",
        "promptreg state 1\n\nt dev ９ " + OID + "\n",
        "promptreg state 1\n\nT@x dev 000001 " + OID + "\n",
        "promptreg state 1\n\nt dev 0000000000001 " + OID + "\n",
        "promptreg state 1\n\nt dev 000001 zz\n",
    ],
)
def test_what_promptreg_did_not_write_is_refused(text: str):
    with pytest.raises(StateError):
        parse_state(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_state_or_a_state_error(text: str):
    try:
        state = parse_state("promptreg state 1\n\n" + text)
    except StateError:
        return
    for (name, env), entry in state.items():
        assert (entry.name, entry.env) == (name, env)
        assert entry.tag.startswith(f"prompts/{name}@{env}/")


def test_a_lost_state_race_is_told_from_a_taken_seq():
    race = (
        " ! [rejected]        abc -> refs/promptreg/state (stale info)\n"
        " ! [rejected]        prompts/t@dev/000002 -> prompts/t@dev/000002 (atomic push failed)\n"
    )
    taken = (
        " ! [rejected]        prompts/t@dev/000002 -> prompts/t@dev/000002 (already exists)\n"
        " ! [rejected]        abc -> refs/promptreg/state (atomic push failed)\n"
    )
    assert lost_state_race(race)
    assert not lost_state_race(taken)
