"""Red-team cases for a conversation given as an input (issue 8 §1 and §5): the history block
an imported Dotprompt prompt gets sent a `tool` turn (or `System`, or a list as a role) as
the assistant's, and a history of 1,000,000 turns took ~4 s of input checks and rendering
although the render deadline is 2 s. Input never chooses structure beyond the roles the
template places, and the inputs of one render are bounded before it starts
(`limits.max_input_values`, `limits.max_input_chars`)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.errors import InputError, RenderError
from promptreg.formats.jinja_out import history_source
from promptreg.project.project import Project
from tests.conftest import Workspace

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  history: {type: array, default: []}
  note: {type: string, default: ""}
sample: {history: [{role: user, content: hi}]}
---
system:
S{{ note }}
"""


def _write(ws: Workspace, limits: str = "") -> None:
    if limits:
        ws.write("promptreg.yaml", f"prompts_dir: prompts\nlimits: {{{limits}}}\n")
    body = history_source().replace("user:\n", "", 1)  # after the system message
    ws.prompt("h", HEAD + body + "\nuser:\nq\n")


def _render(ws: Workspace, history: Any, **more: Any) -> list[dict[str, Any]]:
    return [dict(m) for m in Project.open(ws.root).load("h").render(history=history, **more)]


@pytest.mark.parametrize(
    ("turns", "said"),
    [
        ([{"role": "tool", "content": "T"}], "history turn 0 has role 'tool'"),
        ([{"role": "user", "content": "a"}, {"role": "System", "content": "b"}], "turn 1 has"),
        ([{"role": "function", "content": "f"}], "history turn 0 has role 'function'"),
        ([{"role": "system:", "content": "s"}], "history turn 0 has role 'system:'"),
        ([{"role": ["user"], "content": "s"}], "history turn 0 has role a list"),
        ([{"role": None, "content": "s"}], "history turn 0 has role null"),
        ([{"content": "s"}], "history turn 0 has role null"),
        ([{"role": "x" * 10_000, "content": "s"}], "history turn 0 has role a string"),
        (["user: hi"], "history turn 0 must be a mapping {role, content}, not a string"),
        ([{"role": "user", "content": [{"media": {}}]}], "each part of its content"),
        ([{"role": "user", "content": 7}], "content must be text or [{text}], not int"),
    ],
)
def test_a_turn_the_template_does_not_place_is_refused(ws: Workspace, run, turns, said: str):
    _write(ws)
    with pytest.raises(RenderError, match=said.replace("[", r"\[").replace("{", r"\{")):
        _render(ws, turns)
    ws.write("vars.json", json.dumps({"history": turns}))
    result = run("render", "h", "--vars", "vars.json")
    assert result.code == 1 and said in result.err and "internal error" not in result.err


@settings(max_examples=60, deadline=None)
@given(
    roles=st.lists(
        st.one_of(
            st.sampled_from(["system", "user", "assistant", "model", "tool", "USER", " user"]),
            st.text(max_size=6),
        ),
        max_size=5,
    )
)
def test_only_the_roles_the_template_places_become_messages(roles: list[str]) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        ws.write("promptreg.yaml", "prompts_dir: prompts\n")
        _write(ws)
        turns = [{"role": role, "content": f"c{i}"} for i, role in enumerate(roles)]
        placed = {"system": "system", "user": "user", "assistant": "assistant"}
        placed["model"] = "assistant"
        bad = next((i for i, role in enumerate(roles) if role not in placed), None)
        if bad is not None:
            with pytest.raises(RenderError, match=f"history turn {bad} has role"):
                _render(ws, turns)
            return
        got = _render(ws, turns)
    assert got[1:-1] == [{"role": placed[r], "content": f"c{i}"} for i, r in enumerate(roles)]


def test_a_million_turns_are_refused_before_any_work(ws: Workspace):
    _write(ws)
    turns = [{"role": "user", "content": "a"}] * 1_000_000
    started = time.monotonic()
    with pytest.raises(InputError, match=r"more than 100,000 values .*limits.max_input_values"):
        _render(ws, turns)
    assert time.monotonic() - started < 0.5  # it took ~4 s, past the 2 s render deadline


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"history": [{"role": "user", "content": "a"}] * 30}, "max_input_values"),
        ({"history": [[[["x"] * 20] * 20]]}, "max_input_values"),  # shared: counted each time
        ({"note": "y" * 2_001}, "max_input_chars"),
        (
            {"history": [{"role": "user", "content": "z" * 1_500}], "note": "y" * 600},
            "max_input_chars",
        ),
        ({"history": [{"k" * 2_001: 1}]}, "max_input_chars"),  # keys are text too
    ],
)
def test_the_inputs_of_one_render_are_bounded(ws: Workspace, given: dict[str, Any], said: str):
    _write(ws, "max_input_values: 100, max_input_chars: 2000")
    with pytest.raises(InputError, match=f"limits.{said}"):
        Project.open(ws.root).load("h").render(**given)


def test_inputs_that_contain_themselves_stop_at_the_limit(ws: Workspace):
    _write(ws, "max_input_values: 1000")
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InputError, match=r"max_input_values|nested more than"):
        _render(ws, loop)


def test_inputs_within_the_limits_render(ws: Workspace):
    _write(ws, "max_input_values: 100, max_input_chars: 2000")
    turns = [{"role": "user", "content": "a" * 80}] * 19  # 96 values, 1,984 characters
    assert len(_render(ws, turns, note="n" * 16)) == 21


def test_vars_over_the_limit_exit_1(ws: Workspace, run):
    _write(ws, "max_input_values: 100")
    ws.write("vars.json", json.dumps({"history": [{"role": "user", "content": "a"}] * 50}))
    result = run("render", "h", "--vars", "vars.json")
    assert result.code == 2 and "limits.max_input_values" in result.err  # as any bad input
    assert "internal error" not in result.err


def test_the_limits_default_and_are_checked_in_the_config(ws: Workspace, run):
    from promptreg.limits import DEFAULT

    assert (DEFAULT.max_input_values, DEFAULT.max_input_chars) == (100_000, 10_000_000)
    ws.write("promptreg.yaml", "prompts_dir: prompts\nlimits: {max_input_values: 0}\n")
    _write(ws)
    result = run("validate")
    assert result.code in (1, 2) and "limits.max_input_values" in result.out + result.err


@pytest.mark.parametrize(("size", "refused"), [(99, False), (100, True)])
def test_a_list_counts_one_value_an_item_and_a_mapping_two(ws: Workspace, size: int, refused):
    # 1 (the list) + `size` items: refused only past max_input_values.
    from promptreg.frontmatter.inputs import size_problem
    from promptreg.limits import Limits

    limits = Limits(max_input_values=100)
    assert (size_problem({"history": ["a"] * size}, limits) is not None) is refused
    mappings = 33 if not refused else 34  # 1 + 33 * (1 + 2) = 100 values
    assert (size_problem({"h": [{"k": 1}] * mappings}, limits) is not None) is refused


OLD_BLOCK = (
    '{% for turn in history %}{% if turn.role == "system" %}\nsystem:\n'
    '{% elif turn.role == "user" %}\nuser:\n{% else %}\nassistant:\n{% endif %}'
    "{{ turn.content }}{% endfor %}\n"
)


def test_a_history_block_of_an_older_import_is_pr091(ws: Workspace, run):
    # Imported before `chat_history`: its else-branch sends a `tool` turn as the assistant's.
    ws.prompt("old", HEAD + OLD_BLOCK + "user:\nq\n")
    _write(ws)  # the new block, beside it: clean
    result = run("validate")
    assert result.code == 1
    assert "prompts/old.prompt:11:1: PR091 this history block" in result.out
    assert "h.prompt" not in result.out
    fixed = OLD_BLOCK.replace("in history %}", "in history|chat_history %}")
    ws.prompt("old", HEAD + fixed + "user:\nq\n")
    assert run("validate").code == 0
