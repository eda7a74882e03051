"""The `.prompty` reader and the Mustache translator on any input: a prompt or findings, never
a traceback (issue 8 §5 holds for the new reader too)."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.errors import PromptregError
from promptreg.project.project import Project
from promptreg.template.mustache import MustacheError, to_jinja
from tests.conftest import Workspace

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HEADS = [
    "---\nversion: 1.0.0\nmodel: {id: gpt-4o-2024-08-06, provider: openai}\n",
    "---\nversion: 1.0.0\ntemplate: mustache\nmodel: {api: chat, configuration: {name: m}}\n",
    "---\nkind: prompt\nmetadata: {version: 1.0.0}\ninputs: [{name: q, kind: string}]\n",
    "---\nversion: 1.0.0\nsample: ${file:../x.json}\ntools: [{kind: mcp}, 3]\n",
]
PIECES = st.sampled_from(
    [
        "system:\n",
        "User:\n",
        "# assistant :\n",
        "developer:\n",
        "user[name=x]:\n",
        "{{q}}",
        "{{#q}}",
        "{{/q}}",
        "{{^q}}",
        "{{{q}}}",
        "{{& q}}",
        "{{.}}",
        "{{! c }}",
        "{{> p}}",
        "{{=<% %>=}}",
        "{% if q %}",
        "{% endif %}",
        "{{ q }}:\n",
        "![i](x.png)",
        "text ",
        "\n",
        "{%",
        "{#",
        "}}",
        "inputs:\n",
        "  - {name: a, kind: thread}\n",
        "model: 3\n",
        "base: x.prompty\n",
        "---\n",
        "\r\n",
        "\x00",
        "\ue000",
    ]
)


def _check(ws: Workspace, text: str) -> None:
    path = ws.write("prompts/f.prompty", text)
    project = Project.open()
    pf = project.read(path)
    for finding in pf.findings:
        assert finding.code.startswith("PR") and finding.line >= 1
    if pf.prompt is not None:
        with contextlib.suppress(PromptregError):  # a render error, named: fine
            pf.prompt.render_inputs(pf.prompt.sample or {}, check_budget=False)


@SETTINGS
@given(head=st.sampled_from(HEADS), parts=st.lists(PIECES, max_size=12))
def test_any_prompty_file_gives_a_prompt_or_findings(ws: Workspace, head: str, parts) -> None:
    _check(ws, head + "---\n" + "".join(parts))


@SETTINGS
@given(text=st.text(max_size=200))
def test_random_text_as_a_prompty_file(ws: Workspace, text: str) -> None:
    _check(ws, text)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(PIECES, max_size=16))
def test_mustache_translation_is_refused_or_compiles(parts) -> None:
    import jinja2

    source = "".join(parts)
    try:
        translated, _ = to_jinja(source)
    except MustacheError as err:
        assert err.line >= 1
        return
    assert translated.count("\n") == source.count("\n")  # lines do not move
    # Jinja syntax in Mustache text (`{%`, `{#`) is printed as text: the result always parses.
    jinja2.Environment().parse(translated)
