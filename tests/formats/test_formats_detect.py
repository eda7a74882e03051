"""Dotprompt files share the `.prompt` suffix: validate, list and render name them (PR090)
with the import command, instead of a pile of schema and Jinja errors, and never mistake a
promptreg prompt (valid, or with a typo) for one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from promptreg.frontmatter.foreign import dotprompt_finding
from tests.conftest import VALID_PROMPT, Result, Workspace

DOTPROMPT = """\
---
model: googleai/gemini-1.5-pro
input:
  schema:
    name: string
---
{{role "system"}}You greet people.
{{role "user"}}Hello, I am {{name}}.
"""


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (DOTPROMPT, 'Handlebars `{{role "'),
        ("# Copyright\n---\nmodel: a/b\n---\n{{#if x}}y{{/if}}\n", "Handlebars `{{#"),
        ("Hi {{> header}} there\n", "Handlebars `{{>"),
        ("---\nmodel: googleai/gemini\nconfig: {temperature: 1}\n---\nHi {{name}}\n", "`model:"),
        ("---\nconfig: {temperature: 1}\n---\nHi\n", "front-matter `config:`"),
    ],
)
def test_dotprompt_is_one_finding(
    ws: Workspace, run: Callable[..., Result], text: str, says: str
) -> None:
    ws.write("prompts/greet.prompt", text)
    result = run("validate", "prompts/greet.prompt")
    assert result.code == 1
    [line] = result.out.splitlines()
    assert line.startswith("prompts/greet.prompt:1:1: PR090 this is a Dotprompt file")
    assert says in line
    assert "`promptreg import prompts/greet.prompt`" in line


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # a promptreg prompt with a typo keeps its own finding
        (VALID_PROMPT.replace("inputs:", "input:"), "PR020"),
        # a string model in a file that is otherwise promptreg's
        (VALID_PROMPT.replace("model:\n  provider: openai\n", "model: openai/x\n_:\n"), "PR022"),
        # Prompty's front-matter (a model mapping, `template:`) is not Dotprompt's
        ("---\nname: x\nmodel: {api: chat}\ntemplate: mustache\n---\n{{#a}}b{{/a}}\n", "PR020"),
    ],
)
def test_not_dotprompt(ws: Workspace, run: Callable[..., Result], text: str, code: str) -> None:
    ws.write("prompts/t.prompt", text)
    result = run("validate", "prompts/t.prompt")
    assert result.code == 1
    assert f" {code} " in result.out
    assert "PR090" not in result.out


def test_valid_prompts_never_asked() -> None:
    """The check keys on text that Jinja cannot parse: a promptreg body has none of it."""
    body = VALID_PROMPT.split("---\n", 2)[2]
    assert dotprompt_finding(VALID_PROMPT, None, "x") is None
    assert dotprompt_finding(body + "{{ a }} {% if b %}{{ c }}{% endif %}", None, "x") is None


def test_list_and_render_say_import(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write("prompts/greet.prompt", DOTPROMPT)
    ws.prompt("ok")
    listed = run("list")
    assert "ok" in listed.out
    assert "DOTPROMPT: run `promptreg import prompts/greet.prompt`" in listed.out
    assert run("list", "--json").out.count('"format": "dotprompt"') == 1
    rendered = run("render", "greet", "--set", "name=Ada")
    assert rendered.code == 1
    assert "PR090" in rendered.err and "promptreg import" in rendered.err
    assert "Traceback" not in rendered.err
