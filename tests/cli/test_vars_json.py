"""`--vars` reads JSON as JSON and YAML as YAML, with the same limits: through the real CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Workspace

PROMPT = """\
---
version: 1.0.0
description: d
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  ticket: {type: string, required: true}
  tags: {type: array}
---
user: {{ ticket }} {{ tags }}
"""


@pytest.fixture
def prompt(ws: Workspace) -> Workspace:
    ws.prompt("t", PROMPT)
    return ws


@pytest.mark.parametrize("name", ["vars.json", "vars.txt", "-"])
def test_json_dumps_output_with_an_emoji_is_read(prompt: Workspace, run, name, monkeypatch):
    text = json.dumps({"ticket": "thanks 🙂", "tags": ["a"]})
    assert "\\ud83d\\ude42" in text  # the surrogate-pair escape YAML's reader refused
    if name == "-":
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(text))
    else:
        prompt.write(name, text)
    result = run("render", "t", "--vars", name, "--json")
    assert result.code == 0, result.err
    assert "thanks 🙂 ['a']" in json.loads(result.out)["messages"][0]["content"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("v.json", '{"ticket": "a", "ticket": "b"}', "duplicate key 'ticket'"),
        ("v.yaml", "ticket: a\nticket: b\n", "duplicate key"),
        ("v.json", "[" * 101 + "]" * 101, "nested more than 100 levels"),
        ("v.json", '{"ticket": ' + "[" * 101 + "]" * 101 + "}", "nested more than 100 levels"),
        ("v.yaml", "ticket: " + "[" * 101 + "]" * 101, "nest"),
        ("v.json", '{"ticket": NaN}', "NaN is not a JSON number"),
        ("v.json", '{"ticket": 1' + "0" * 5000 + "}", "digits"),
        ("v.json", '{"ticket": "a",}', "not valid JSON"),
        ("v.json", '{"ticket": "\\ud83d"}', "lone surrogate"),
        ("v.json", '["ticket"]', "must be a mapping"),
    ],
)
def test_both_formats_have_the_same_limits(prompt: Workspace, run, name, text, message):
    prompt.write(name, text)
    result = run("render", "t", "--vars", name)
    assert result.code == 2, result.err
    assert message in result.err and "internal error" not in result.err


def test_yaml_flow_style_that_is_not_json_is_read_as_yaml(prompt: Workspace, run):
    prompt.write("v.txt", "{ticket: plain yaml, tags: [x]}")
    result = run("render", "t", "--vars", "v.txt")
    assert result.code == 0, result.err
    assert "plain yaml ['x']" in result.out


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ticket=st.text(min_size=1, max_size=20), tags=st.lists(VALUES, max_size=3))
def test_any_json_dumps_document_renders_or_names_the_input(prompt: Workspace, run, ticket, tags):
    """Whatever `json.dumps` writes (ASCII escapes included) is read back as that value."""
    prompt.write("v.json", json.dumps({"ticket": ticket, "tags": tags}))
    result = run("render", "t", "--vars", "v.json", "--json")
    assert result.code in (0, 2), result.err
    if result.code == 2:
        assert "input `" in result.err  # a value the input refuses (a lone surrogate), by name
