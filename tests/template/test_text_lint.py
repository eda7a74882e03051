"""Text another tool reads differently (issue 12 §3): role look-alikes, an input printed twice,
literal braces, and `whitespace: keep` for messages kept byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from promptreg.project.project import Project
from tests.conftest import Result, Workspace

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  ticket: {type: string, required: true}
sample: {ticket: "My invoice is wrong"}
"""
FIRST_BODY_LINE = HEAD.count("\n") + 2


def _validate(ws: Workspace, run: Callable[..., Result], body: str) -> tuple[int, list[dict]]:
    ws.prompt("t", HEAD + "---\n" + body)
    result = run("validate", "--json")
    return result.code, json.loads(result.out)["findings"]


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("User:", "write `user:` alone"),
        ("# system:", "write `system:` alone"),
        ("  user:", "write `user:` alone"),
        ("assistant :", "write `assistant:` alone"),
        ("SYSTEM:", "write `system:` alone"),
        ("Human:", "not human"),
    ],
)
def test_a_role_lookalike_is_a_warning(ws: Workspace, run, line: str, hint: str) -> None:
    code, findings = _validate(ws, run, f"system:\nBe brief.\n{line}\n{{{{ ticket }}}}\n")
    assert code == 0  # a warning fails nothing
    [finding] = findings
    assert finding["code"] == "PR087" and finding["severity"] == "warning"
    assert finding["line"] == FIRST_BODY_LINE + 2 and hint in finding["message"]
    plain = run("validate")
    assert f"PR087 warning: `{line.strip()}` looks like a role marker" in plain.out
    assert "1 warning, which fail nothing" in plain.err


@pytest.mark.parametrize(
    "body",
    [
        "system:\nBe brief.\nuser:\n{{ ticket }}\n",  # real markers
        'system:\nBe brief.\n{{ "User:" }}\n{{ ticket }}\n',  # printed on purpose
        "system:\nThe user: said hello\n{{ ticket }}\n",  # not alone on its line
    ],
)
def test_no_warning_for_markers_and_text(ws: Workspace, run, body: str) -> None:
    assert _validate(ws, run, body) == (0, [])


def test_prompty_role_lines_are_roles_not_lookalikes(ws: Workspace, run) -> None:
    ws.write(
        "prompts/p.prompty",
        "---\nversion: 1.0.0\nmodel: {id: gpt-4o-2024-08-06, provider: openai}\n---\n"
        "System:\nBe brief.\n# User:\nHi\n",
    )
    result = run("validate", "--json")
    assert json.loads(result.out)["findings"] == []
    assert [m["role"] for m in Project.open().load("p").render()] == ["system", "user"]


def test_an_input_printed_twice_is_a_warning(ws: Workspace, run) -> None:
    body = "system:\nThe ticket appears below as {{ticket}}.\n\nuser:\n{{ ticket }}\n"
    code, findings = _validate(ws, run, body)
    assert code == 0
    [finding] = findings
    assert finding["code"] == "PR088" and finding["line"] == FIRST_BODY_LINE + 4
    assert f"lines {FIRST_BODY_LINE + 1}, {FIRST_BODY_LINE + 4}" in finding["message"]
    assert "{% raw %}" in finding["message"]
    fixed = body.replace("{{ticket}}", "{% raw %}{{ticket}}{% endraw %}")
    assert _validate(ws, run, fixed) == (0, [])
    rendered = Project.open().load("t").render(ticket="T")
    assert rendered[0]["content"] == "The ticket appears below as {{ticket}}."


def test_literal_braces_get_the_raw_hint_with_the_line(ws: Workspace, run) -> None:
    body = 'system:\nAnswer as JSON like {"a": {{"b": 1}}}.\n\nuser:\n{{ ticket }}\n'
    code, findings = _validate(ws, run, body)
    assert code == 1
    [finding] = findings
    assert finding["code"] == "PR040" and finding["line"] == FIRST_BODY_LINE + 1
    assert f"on line {FIRST_BODY_LINE + 1} is literal text" in finding["message"]
    assert "wrap it in `{% raw %}` … `{% endraw %}`" in finding["message"]


def test_no_raw_hint_where_the_line_has_no_braces(ws: Workspace, run) -> None:
    code, findings = _validate(ws, run, "system:\n{% if ticket %}\nnever closed\n")
    assert code == 1 and findings[0]["code"] == "PR040"
    assert "raw" not in findings[0]["message"]


# -- whitespace ------------------------------------------------------------------------------

KEEP_BODY = "system:\n  Be brief.  \n\nuser:\n{{ ticket }}\n\n"


def test_whitespace_keep_keeps_messages_byte_for_byte(ws: Workspace) -> None:
    ws.prompt("k", HEAD + "whitespace: keep\n---\n" + KEEP_BODY)
    ws.prompt("t", HEAD + "---\n" + KEEP_BODY)
    project = Project.open()
    keep, trim = project.load("k"), project.load("t")
    assert keep.render(ticket=" x ") == [
        {"role": "system", "content": "  Be brief.  \n"},
        {"role": "user", "content": " x \n"},
    ]
    assert trim.render(ticket=" x ") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": " x "},
    ]
    assert keep.content_hash != trim.content_hash


def test_whitespace_keep_for_a_text_prompt(ws: Workspace) -> None:
    """Kept: the template's whitespace around the text; trimmed by default. A value keeps its
    own edge whitespace either way."""
    ws.prompt("k", HEAD + "whitespace: keep\n---\n\n  {{ ticket }}  \n")
    ws.prompt("t", HEAD + "---\n\n  {{ ticket }}  \n")
    project = Project.open()
    assert project.load("k").render_text(ticket="x") == "\n  x  "
    assert project.load("k").render_text(ticket=" x ") == "\n   x   "
    assert project.load("t").render_text(ticket=" x ") == " x "


def test_whitespace_takes_trim_or_keep(ws: Workspace, run) -> None:
    ws.prompt("k", HEAD + "whitespace: strip\n---\n" + KEEP_BODY)
    result = run("validate")
    assert result.code == 1 and "PR023 whitespace: 'strip': use trim" in result.out


def test_an_input_printed_twice_on_purpose_is_left_alone(ws: Workspace, run) -> None:
    body = "system:\nThe ticket: {{ ticket }}.\n\nuser:\n{{ ticket }}\n"
    assert _validate(ws, run, body) == (0, [])
