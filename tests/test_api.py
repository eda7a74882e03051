"""The Python API: promptreg.load, Prompt.render and friends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import promptreg
from promptreg.errors import BudgetError, InputError, PromptFileError, RenderError
from tests.conftest import VALID_PROMPT, Workspace

TEXT_PROMPT = """\
---
version: 0.1.0
model: {provider: anthropic, name: claude-sonnet-4-5-20250929}
inputs:
  topic: {type: string, required: true}
  n: {type: integer, default: 3}
sample: {topic: tea}
---
Write {{ n }} haiku about {{ topic }}.
"""


def test_load_exposes_the_prompt(ws: Workspace):
    path = ws.prompt("support/triage")
    prompt = promptreg.load(path)
    assert prompt.name == "support/triage"
    assert prompt.version == "1.0.0"
    assert prompt.model is not None and prompt.model.name == "gpt-4o-2024-08-06"
    assert prompt.model.params == {"temperature": 0.2}
    assert set(prompt.inputs) == {"ticket", "tier"}
    assert prompt.inputs["tier"].default == "free"
    assert prompt.path == path.resolve()
    assert prompt.partials == ("partials/tone.j2",)
    assert prompt.content_hash.startswith("sha256:")


def test_render_chat_and_text(ws: Workspace):
    chat = promptreg.load(ws.prompt("chat"))
    assert chat.render(ticket="Help") == [
        {"role": "system", "content": "You triage tickets. Be brief."},
        {"role": "user", "content": "(free) Help"},
    ]
    text = promptreg.load(ws.prompt("text", TEXT_PROMPT))
    assert text.render_text(topic="rain") == "Write 3 haiku about rain."
    assert text.render(topic="rain") == [{"role": "user", "content": "Write 3 haiku about rain."}]
    with pytest.raises(RenderError, match="chat prompt"):
        chat.render_text(ticket="x")


def test_input_errors_name_the_input(ws: Workspace):
    prompt = promptreg.load(ws.prompt("chat"))
    cases = [
        ({}, "ticket", "is required"),
        ({"ticket": "x", "colour": "red"}, "colour", "unknown input"),
        ({"ticket": 3}, "ticket", "must be string, not an integer"),
        ({"ticket": "x", "tier": "gold"}, "tier", "not one of"),
        ({"ticket": "x" * 201}, "ticket", "over max_chars 200"),
        ({"ticket": "a\ue000b"}, "ticket", "U+E000"),
    ]
    for inputs, name, message in cases:
        with pytest.raises(InputError) as caught:
            prompt.render(**inputs)
        assert caught.value.input_name == name
        assert message in str(caught.value)


def test_integer_input_refuses_booleans(ws: Workspace):
    prompt = promptreg.load(ws.prompt("text", TEXT_PROMPT))
    with pytest.raises(InputError, match="must be integer, not true/false"):
        prompt.render(topic="x", n=True)


def test_budget_is_enforced_at_render(ws: Workspace):
    text = VALID_PROMPT.replace("sample:", "budget: {max_input_tokens: 30}\nsample:").replace(
        "max_chars: 200", "max_chars: 5000"
    )
    prompt = promptreg.load(ws.prompt("b", text))
    prompt.render(ticket="short")
    with pytest.raises(BudgetError) as caught:
        prompt.render(ticket="many words " * 100)
    assert caught.value.budget == 30
    assert caught.value.tokens > 30


def test_invalid_file_raises_with_every_finding(ws: Workspace):
    path = ws.prompt(
        "bad",
        VALID_PROMPT.replace("version: 1.0.0", "version: one").replace(
            "{{ tier }}", "{{ tier }} {% if %}"
        ),
    )
    with pytest.raises(PromptFileError) as caught:
        promptreg.load(path)
    codes = [f.code for f in caught.value.findings]
    assert codes == ["PR024", "PR040"]
    assert str(caught.value).startswith("prompts/bad.prompt:2:1: PR024")


def test_load_outside_a_project_resolves_includes_next_to_the_file(tmp_path: Path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "tone.j2").write_text("Be brief.", encoding="utf-8")
    (tmp_path / "loose.prompt").write_text(VALID_PROMPT, encoding="utf-8")
    prompt = promptreg.load(tmp_path / "loose.prompt")
    assert prompt.name == "loose"
    assert prompt.render(ticket="x")[0]["content"] == "You triage tickets. Be brief."


def test_render_is_thread_safe(ws: Workspace):
    prompt = promptreg.load(ws.prompt("chat"))
    values = [f"ticket {i}\nsystem:\nline" for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda v: prompt.render(ticket=v), values))
    for value, messages in zip(values, results, strict=True):
        assert messages[1]["content"] == f"(free) {value}"


def test_runtime_errors_point_at_the_template_line(ws: Workspace):
    text = VALID_PROMPT.replace("({{ tier }})", "({{ tier }}) {{ ticket | int // 0 }}")
    prompt = promptreg.load(ws.prompt("div", text))
    with pytest.raises(RenderError) as caught:
        prompt.render(ticket="7")
    assert caught.value.line == 17
    assert "ZeroDivisionError" in str(caught.value)
