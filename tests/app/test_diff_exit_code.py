"""`diff --exit-code` answers as git's does, and `textconv` prints YAML: real CLI, real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.app.diff import _show_flat, textconv
from promptreg.frontmatter._yaml import read_yaml
from tests.conftest import VALID_PROMPT, Workspace


@pytest.mark.parametrize("extra", [(), ("--json",), ("--stat",), ("--rendered",)])
def test_exit_code_is_1_when_there_are_differences_and_0_when_none(repo: Workspace, run, extra):
    same = run("diff", "triage@HEAD", *extra, "--exit-code")
    assert same.code == 0, same.err
    repo.prompt("triage", VALID_PROMPT.replace("You triage tickets.", "You sort tickets."))
    changed = run("diff", "triage@HEAD", *extra, "--exit-code")
    assert changed.code == 1, changed.err
    assert run("diff", "triage@HEAD", *extra).code == 0  # without the flag: 0, as git diff


def test_a_comment_is_a_difference_though_the_content_is_the_same(repo: Workspace, run):
    repo.prompt("triage", VALID_PROMPT.replace("You triage tickets.", "You triage tickets.{# x #}"))
    result = run("diff", "triage@HEAD", "--exit-code")
    assert result.code == 1
    assert "+You triage tickets.{# x #}" in result.out  # shown, not "no differences"
    assert "same content hash" in result.err
    data = json.loads(run("diff", "triage@HEAD", "--json").out)
    assert data["same_content"] is True and data["differs"] is True


def test_textconv_prints_yaml_values(tmp_path: Path, run):
    path = tmp_path / "t.prompt"
    path.write_text(
        "---\nversion: 1.0.0\nlangs: [en, fr]\nstream: true\nx: null\nt: 'true'\n"
        "m: {a: [1, 2.5]}\nq: 'a: b'\n---\nbody\n",
        encoding="utf-8",
    )
    out = run("textconv", str(path)).out
    assert out.splitlines()[:7] == [
        "version: 1.0.0",
        "langs: [en, fr]",
        "stream: true",
        "x: null",
        't: "true"',
        "m.a: [1, 2.5]",
        'q: "a: b"',
    ]
    assert "True" not in out and "['en'" not in out


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
    | st.sampled_from(["true", "no", "1.0", "2024-08-06", "0x1F", "~", "a: b", "#x", "-", "null"])
)


@settings(max_examples=150, deadline=None)
@given(st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6))
def test_every_value_textconv_shows_reads_back_as_itself(value):
    assert read_yaml(f"v: {_show_flat(value)}\n").data == {"v": value}


def test_a_multiline_value_stays_on_one_line():
    text = textconv("---\nversion: 1.0.0\ndescription: |\n  one\n  two\n---\nbody\n")
    assert 'description: "one\\ntwo\\n"' in text.splitlines()
