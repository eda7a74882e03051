"""Red-team attacks on the one Prompty reader, body side: the import of a `.prompty` renders
the messages the same file renders in place (Prompty's), or is refused as it is in place.

Found by a differential fuzz of bodies made of role lines, text, values and tags: a Mustache
body's text before its first role line (or a body with none) was a user message on import and
a system message in place (Prompty's rule); a Jinja body's was written as it was and failed
`validate` (PR048); `\\{{q}}` in Mustache was a literal mustache on import (Handlebars'
escape, which Prompty's Mustache does not have); a blank line then an empty role line crashed
the import (IndexError, exit 3); a Mustache `{{q}}:` line (PR085 in place) was imported as
text without a word. The fuzz stays in the suite, bounded.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.formats.importer import convert_file
from promptreg.formats.report import Conversion
from promptreg.project.loader import PromptFile
from promptreg.project.project import Project
from tests.conftest import Workspace

HEAD = """\
---
name: t
version: 0.1.0
model:
  api: chat
  configuration:
    type: openai
    name: gpt-4o-2024-08-06
inputs:
  q:
    type: string
sample:
  q: v
template: {engine}
---
"""
_QUIET = ("PR030", "PR031", "PR032", "PR041", "PR042", "PR052", "PR087", "PR088")


def _both(ws: Workspace, engine: str, body: str) -> tuple[PromptFile, Conversion]:
    path = ws.write("prompts/c.prompty", HEAD.format(engine=engine) + body)
    in_place = Project.open(ws.root).read(path)
    conversion, _ = convert_file(path, prefix="", default_model=None, shown=path.name)
    path.unlink()
    return in_place, conversion


def _messages(pf: PromptFile, q: str) -> list[dict[str, str]]:
    assert pf.prompt is not None
    given = {"q": q} if "q" in pf.prompt.inputs else {}
    rendered = pf.prompt.render_inputs(given, check_budget=False).messages
    # empty messages: Prompty v1 drops them, v2 keeps them (README); not compared here
    return [dict(m) for m in rendered if m["content"].strip()]


def _imported(ws: Workspace, conversion: Conversion) -> PromptFile:
    body = next(v for k, v in conversion.files.items() if k.endswith(".prompt"))
    return Project.open(ws.root).read(ws.write("prompts/imported.prompt", body))


def _agree(ws: Workspace, engine: str, body: str) -> None:
    in_place, conversion = _both(ws, engine, body)
    errors = [f for f in in_place.findings if f.code not in _QUIET]
    if engine == "jinja2" and errors and all(f.code == "PR085" for f in errors):
        return  # documented: the import writes a `{{ x }}:` line as marker lines under {% if %}
    if errors or in_place.prompt is None:
        assert conversion.refused, f"in place: {errors}; the import took it"
        return
    assert not conversion.refused, conversion.refused
    imported = _imported(ws, conversion)
    found = [f"{f.code} {f.message}" for f in imported.findings if f.code not in _QUIET]
    assert imported.prompt is not None and not found, found
    for q in ("v", "system:\nx", "  pad  "):
        want, got = _messages(in_place, q), _messages(imported, q)
        if got != want:  # a value's edge whitespace: the import keeps it, Prompty strips it
            assert [{**m, "content": m["content"].strip()} for m in got] == want, (q, body)


@pytest.mark.parametrize(
    ("engine", "body", "role"),
    [
        ("mustache", "Hello {{q}}", "system"),
        ("mustache", "Hello {{q}}\nuser:\nHi", "system"),
        ("jinja2", "{{ q }}::\nuser:\nHi", "system"),
        ("mustache", "{{!c}}\nuser:\nHi", "user"),
        ("jinja2", "{# c #}\nuser:\nHi", "user"),
    ],
)
def test_text_before_the_first_role_line_is_a_system_message(
    ws: Workspace, engine: str, body: str, role: str
) -> None:
    in_place, conversion = _both(ws, engine, body)
    assert in_place.prompt is not None and not conversion.refused, conversion.refused
    assert _messages(_imported(ws, conversion), "v")[0]["role"] == role
    _agree(ws, engine, body)


@pytest.mark.parametrize("body", ["\\{{q}} and \\\\{{q}}", "user:\n\\{{q}}"])
def test_a_backslash_before_a_mustache_is_text_in_prompty_mustache(
    ws: Workspace, body: str
) -> None:
    _, conversion = _both(ws, "mustache", body)
    assert "\\v" in _messages(_imported(ws, conversion), "v")[0]["content"]
    _agree(ws, "mustache", body)


@pytest.mark.parametrize("body", [" \nuser:\n", "\n\nuser:\n \nsystem:\n", " \nuser:"])
def test_blank_messages_never_crash_the_import(ws: Workspace, body: str) -> None:
    for engine in ("mustache", "jinja2"):
        _, conversion = _both(ws, engine, body)
        assert conversion.refused is None or "internal" not in conversion.refused


def test_a_value_deciding_a_role_in_mustache_is_refused_as_in_place(ws: Workspace) -> None:
    in_place, conversion = _both(ws, "mustache", "system:\nS\n{{ q }}:\nHi")
    assert any(f.code == "PR085" for f in in_place.findings)
    assert conversion.refused and "a value followed by `:`" in conversion.refused


PIECES = [
    "system:\n", "user:\n", "User:\n", "# system:\n", "assistant:\n", " system:\n", "\n", "  ",
    "text ", "{{q}}", "{{ q }}", ":", "\\", "---\n", "${q}", "user:", "system: inline\n",
]  # fmt: skip
JINJA = ["{% if q %}", "{% endif %}", "{{ q|upper }}", "{# c #}", "{%- if q -%}", "{{- q -}}"]
MUSTACHE = ["{{#q}}", "{{/q}}", "{{^q}}", "{{!c}}", "{{{q}}}"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), engine=st.sampled_from(["jinja2", "mustache"]))
def test_in_place_and_imported_render_the_same_messages(
    ws: Workspace, data: Any, engine: str
) -> None:
    extra = JINJA if engine == "jinja2" else MUSTACHE
    parts = data.draw(st.lists(st.sampled_from(PIECES + extra), min_size=1, max_size=8))
    body = "".join(parts)
    if engine == "mustache" and (body.count("{{#q}}") + body.count("{{^q}}")) != body.count(
        "{{/q}}"
    ):
        return  # an unbalanced section: both refuse it, with different words
    if engine == "jinja2" and body.count("if q") != body.count("endif"):
        return
    _agree(ws, engine, body)


_SECTION_BODIES = {
    "system:\nS\n{{#h}}\nuser:\n{{c}}\n{{/h}}\n": ["system", "user", "user"],
    "system:\nS\n{{#h}}\nuser:\n{{c}}\n{{/h}}\nassistant:\nA": [
        "system",
        "user",
        "user",
        "assistant",
    ],
    "{{!c}}\nuser:\nHi": ["user"],
    "system:\nS\n{{^none}}\n\n  indented\n{{/none}}\nuser:\nU": ["system", "user"],
}


@pytest.mark.parametrize("body", sorted(_SECTION_BODIES))
def test_role_lines_after_a_standalone_mustache_tag_are_role_lines(
    ws: Workspace, body: str
) -> None:
    """A standalone `{{#h}}` / `{{!c}}` line was kept as `{#\\n#}`, which glued the next
    line (`user:`) to the comment: in place, the chat history of a Mustache `.prompty` was one
    system message holding `user:` lines, where Prompty sends a message per turn."""
    path = ws.write("prompts/c.prompty", HEAD.format(engine="mustache") + body)
    text = path.read_text().replace("inputs:\n  q:\n    type: string\n", "")
    text = text.replace("sample:\n  q: v\n", "sample:\n  h: [{c: a}, {c: b}]\n")
    path.write_text(text)
    pf = Project.open(ws.root).read(path)
    assert pf.prompt is not None, pf.findings
    sample = pf.prompt.spec.sample or {}
    rendered = pf.prompt.render_inputs(dict(sample), check_budget=False).messages
    roles = [m["role"] for m in rendered if m["content"].strip()]
    assert roles == _SECTION_BODIES[body]
    assert all("user:" not in m["content"] for m in rendered)
