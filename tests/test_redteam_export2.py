"""Red-team attacks on `promptreg export --format prompty`: a promptreg prompt whose text has
lines Prompty reads as role lines. Prompty splits the rendered text at them, so the exported
file sends other messages than the prompt; the export cannot escape them (printing one still
puts it in the rendered text Prompty splits), so it must say so. It missed an indented
`  assistant:`, which promptreg reads as text and Prompty as a role line.

The oracle is promptreg's own in-place Prompty reader (Prompty's role rules, checked against
Prompty's outputs): the exported file, read as a `.prompty`, renders the prompt's messages, or
the export's notes name a line that reads as a role line to Prompty."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.formats.export import export
from promptreg.formats.importer import convert_file
from promptreg.formats.report import Refused
from promptreg.formats.source_prompt import prompt_data
from promptreg.project.project import Project
from tests.conftest import Workspace

HEAD = """\
---
version: 1.0.0
model:
  provider: openai
  name: gpt-4o-2024-08-06
inputs:
  q:
    type: string
    default: v
  l:
    type: array
    default: [a]
---
"""
LINES = [
    "system:", "user:", "assistant:", "User:", "  assistant:", "\tuser:", "# system:",
    "#user:", "user :", "ASSISTANT:", "text", "Rules: be brief", "{{ q }}", "", "---",
    "tool:", "developer:", " # Assistant :",
]  # fmt: skip


def _messages(ws: Workspace, relative: str, text: str) -> list[dict[str, str]]:
    pf = Project.open(ws.root).read(ws.write(relative, text))
    assert pf.prompt is not None, pf.findings
    rendered = pf.prompt.render_inputs({}, check_budget=False).messages
    return [{"role": m["role"], "content": m["content"].strip()} for m in rendered]


def _check(ws: Workspace, lines: list[str]) -> None:
    body = "system:\n" + "\n".join(lines) + "\n"
    path = ws.write("prompts/t.prompt", HEAD + body)
    project = Project.open(ws.root)
    pf = project.read(path)
    if pf.prompt is None:
        return  # not a prompt (an empty message...): nothing to export
    want = [{"role": m["role"], "content": m["content"].strip()} for m in pf.prompt.render()]
    exported = export(prompt_data(pf.prompt, ws.root), "prompty", embed=False)
    pf_out = project.read(ws.write("prompts/out/t.prompty", exported.text))
    if pf_out.prompt is None:  # Prompty would not take it as it is: the export said why
        assert any("role line" in note for note in exported.notes), (pf_out.findings, lines)
        return
    got = [
        {"role": m["role"], "content": m["content"].strip()}
        for m in pf_out.prompt.render_inputs({}, check_budget=False).messages
    ]
    if [m for m in got if m["content"]] != [m for m in want if m["content"]]:  # empties: v1/v2
        assert any("reads as a role line to Prompty" in n for n in exported.notes), (
            lines,
            got,
            want,
            exported.notes,
        )


def test_an_indented_role_word_is_reported(ws: Workspace) -> None:
    _check(ws, ["Rules.", "  assistant:", "more"])
    pf = Project.open(ws.root).read(ws.prompts / "t.prompt")
    assert pf.prompt is not None
    notes = export(prompt_data(pf.prompt, ws.root), "prompty", embed=False).notes
    assert "the text line '  assistant:' reads as a role line to Prompty" in notes


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(st.sampled_from(LINES), min_size=1, max_size=6))
def test_the_exported_prompty_renders_the_prompt_or_says_why_not(ws: Workspace, lines: Any) -> None:
    if not any(line.strip() and line != "---" for line in lines):
        return
    _check(ws, ["Rules.", *lines])


@pytest.mark.parametrize(
    "body",
    [
        "{% if q %}yes{% endif %}system:\nafter",
        "user:\n{{ q }}assistant:\nafter",
        "user:\n{% for i in l %}{{ i }}{% endfor %}system:\nafter",
    ],
)
def test_a_role_word_after_a_tag_on_its_line_stays_text_in_dotprompt(
    ws: Workspace, body: str
) -> None:
    """The export read each text chunk's start as a line start: `system:` after `{% endif %}`
    on the same line (text to promptreg) became `{{role "system"}}`, a new message."""
    path = ws.write("prompts/t.prompt", HEAD + body)
    pf = Project.open(ws.root).read(path)
    assert pf.prompt is not None, pf.findings
    want = [dict(m) for m in pf.prompt.render()]
    text = export(prompt_data(pf.prompt, ws.root), "dotprompt", embed=False).text
    source = ws.write("src/t.prompt", text)
    conversion, _ = convert_file(source, prefix="", default_model=None, shown="t")
    assert conversion.refused is None, conversion.refused
    written = next(v for k, v in conversion.files.items() if k.endswith(".prompt"))
    imported = Project.open(ws.root).read(ws.write("prompts/r.prompt", written))
    assert imported.prompt is not None
    assert [dict(m) for m in imported.prompt.render()] == want


def _round_trip(ws: Workspace, body: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    pf = Project.open(ws.root).read(ws.write("prompts/t.prompt", HEAD + body))
    assert pf.prompt is not None, pf.findings
    want = [dict(m) for m in pf.prompt.render()]
    text = export(prompt_data(pf.prompt, ws.root), "dotprompt", embed=False).text
    conversion, _ = convert_file(
        ws.write("src/t.prompt", text), prefix="", default_model=None, shown="t"
    )
    assert conversion.refused is None, (conversion.refused, text)
    written = next(v for k, v in conversion.files.items() if k.endswith(".prompt"))
    imported = Project.open(ws.root).read(ws.write("prompts/r.prompt", written))
    assert imported.prompt is not None, imported.findings
    return [dict(m) for m in imported.prompt.render()], want


@pytest.mark.parametrize(
    "body",
    [
        "user:\nC:\\{% if q %}yes{% endif %}",  # `\{{#if`: the block became literal text
        "user:\nC:\\\\{{ q }} and \\{{ q }}",
        "user:\n@{{ '{{' }}{{ q }}",  # `\{{{{q}}`: Handlebars' escape ends before the next `{{`
        "user:\n{{ '{{' }}{% raw %}{{x}}{% endraw %}{{ '{{' }}",
    ],
)
def test_backslashes_and_literal_braces_survive_the_dotprompt_round_trip(
    ws: Workspace, body: str
) -> None:
    got, want = _round_trip(ws, body)
    assert got == want


def test_a_backslash_before_a_literal_brace_is_refused(ws: Workspace) -> None:
    """Handlebars has no way to write `\\` then a literal `{{` (`\\\\{{` starts a tag)."""
    pf = Project.open(ws.root).read(ws.write("prompts/t.prompt", HEAD + "user:\n\\{{ '{{' }}x"))
    assert pf.prompt is not None
    with pytest.raises(Refused, match="backslash right before a literal"):
        export(prompt_data(pf.prompt, ws.root), "dotprompt", embed=False)


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("a \\\\{{q}} b", "a \\v b"),  # two backslashes: one printed, then the value
        ("\\{{{{q}}", "{{v"),  # the escape stops where the next `{{` starts
        ("\\{{x}} {{q}}", "{{x}} v"),
    ],
)
def test_the_import_reads_handlebars_escapes_as_handlebars_does(
    ws: Workspace, template: str, text: str
) -> None:
    source = ws.write("src/d.prompt", "---\nmodel: openai/gpt-4o-2024-08-06\n---\n" + template)
    conversion, _ = convert_file(source, prefix="", default_model=None, shown="d")
    assert conversion.refused is None, conversion.refused
    written = next(v for k, v in conversion.files.items() if k.endswith(".prompt"))
    pf = Project.open(ws.root).read(ws.write("prompts/d.prompt", written))
    assert pf.prompt is not None, pf.findings
    assert [m["content"] for m in pf.prompt.render(q="v")] == [text]
