"""`promptreg import`: every foreign file is imported clean or refused with its reason (never
a traceback), literal braces and whitespace come through byte for byte, Prompty's own
rendered outputs are matched, GitHub Models' testData and evaluators become a dataset and
metrics, and nothing is overwritten."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import promptreg
from promptreg.formats.ghmodels import draft_github
from promptreg.formats.importer import draft_text
from promptreg.formats.promptfile import finish
from tests.conftest import Result, Workspace
from tests.formats_support import external_root, load_draft, render

EXTERNAL = external_root()
MODEL = "openai/gpt-4o-2024-08-06"


def _import_json(run: Callable[..., Result], *args: str) -> tuple[Result, dict[str, object]]:
    result = run("import", *args, "--json")
    assert "Traceback" not in result.out + result.err
    assert "internal error" not in result.err
    return result, json.loads(result.out)


def test_every_external_file_imports_or_is_refused(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    """The whole of shared/external at once: each file imported with no finding left, or
    refused with a reason; what was imported passes `validate`."""
    if EXTERNAL is None:
        pytest.skip("shared/external is not on this machine")
    result, data = _import_json(run, str(EXTERNAL), "--to", "imported", "--model", MODEL)
    imported, refused = data["imported"], data["refused"]
    assert isinstance(imported, list) and isinstance(refused, list)
    assert len(imported) >= 100
    for item in imported:
        assert not [n for n in item["not_carried"] if n.startswith("validate:")], item
    for item in refused:
        assert item["refused"] and "\n" not in item["refused"], item
    assert result.code == 1  # the deliberately broken examples are refused
    checked = run("validate", "prompts/imported")
    assert checked.code == 0, checked.out
    # every format reached, and the Dotprompt error examples refused for their own reasons
    formats = {item["format"] for item in imported}
    assert formats == {"prompty", "dotprompt", "prompt.yml", "text"}
    reasons = {Path(str(r["source"])).name: r["refused"] for r in refused}
    assert "never closed" in str(reasons["error-unclosed-block.prompt"])
    assert "closes nothing" in str(reasons["error-unmatched-closing-block.prompt"])
    assert "a cycle" in str(reasons["circular-partial-a.prompt"])
    assert "tool" in str(reasons["prompty_tool_with_chat_history.prompty"])


def test_prompty_v1_outputs(tmp_path: Path) -> None:
    """Prompty 0.1.50's own render-then-parse output for each of its test prompts: the
    imported prompt renders the same messages for the file's sample; the differences are
    the documented ones."""
    if EXTERNAL is None:
        pytest.skip("shared/external is not on this machine")
    from promptreg.formats.prompty import draft_prompty
    from promptreg.formats.report import Refused
    from promptreg.formats.source import read_source

    base = EXTERNAL / "prompty" / "v1_python-0.1.50"
    expected = json.loads((base / "EXPECTED_v1_outputs.json").read_text("utf-8"))
    outcome: dict[str, str] = {}
    for relative, case in expected["render_then_parse"].items():
        path = base / "tests" / relative
        try:
            draft = draft_prompty(
                read_source(path, []), name="t", default_model=MODEL, notes=[], base=path.parent
            )
        except Refused:
            outcome[path.stem] = "refused"
            continue
        prompt = load_draft(draft, tmp_path)
        # The file's sample; a variable it neither declares nor samples is required by
        # promptreg (a made-up sample value) where Prompty prints nothing: give it "".
        sample = {k: v for k, v in case["sample"].items() if k in prompt.spec.inputs}
        for name, decl in prompt.spec.inputs.items():
            if decl.required and name not in sample:
                sample[name] = ""
        got = render(prompt, sample)
        if got == case["parsed"]:
            outcome[path.stem] = "same"
        else:  # a value's edge whitespace: promptreg keeps it, Prompty strips it
            stripped = [{**m, "content": m["content"].strip()} for m in got]
            outcome[path.stem] = "value whitespace" if stripped == case["parsed"] else "differs"
    assert outcome == {
        **{stem: "same" for stem in outcome if stem not in _PROMPTY_DIFFERENCES},
        **_PROMPTY_DIFFERENCES,
    }
    assert list(outcome.values()).count("same") == 11


_PROMPTY_DIFFERENCES = {
    "fake": "refused",  # template format `fake`
    "embedding": "refused",  # not a chat prompt
    "faithfulness": "refused",  # {% include %} of another .prompty
    "funcfile": "refused",  # its tools are read from a file (PR084 in place too)
    "structured_output": "refused",  # its response_format too: the messages alone were equal
}


GH_FILE = """\
name: Classify
description: Sort a ticket
model: openai/gpt-4o-mini
modelParameters: {temperature: 0.1, maxTokens: 50}
messages:
  - role: system
    content: |
      You sort tickets. Output JSON like {"label": "..."}; never {% this %} or {# that #}.
      user:
  - role: user
    content: 'Ticket: {{ticket}} ({{ tier }}) cost ${price} {{not a var}}'
testData:
  - {ticket: "refund me", tier: pro, expected: billing}
  - {ticket: "app crashes", tier: free, expected: bug}
evaluators:
  - name: Exact label
    string: {equals: "{{expected}}"}
  - name: mentions
    string: {contains: "label", caseSensitive: false}
  - name: judge
    uses: github/similarity
"""


def test_github_models_file(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write("old/classify.prompt.yml", GH_FILE)
    result, data = _import_json(run, "old", "--to", "gh")
    assert result.code == 0, data
    [item] = data["imported"]
    assert sorted(item["files"]) == ["evals/gh/classify.jsonl", "prompts/gh/classify.prompt"]
    notes = "\n".join(item["not_carried"])
    assert "gpt-4o-mini-2024-07-18" in notes and "github/similarity" in notes
    prompt = promptreg.load("prompts/gh/classify.prompt")
    assert prompt.spec.model is not None and prompt.spec.model.params["maxTokens"] == 50
    assert set(prompt.spec.inputs) == {"ticket", "tier"}
    messages = prompt.render(ticket="T", tier="pro")
    assert messages[0]["content"] == (
        'You sort tickets. Output JSON like {"label": "..."}; never {% this %} or {# that #}.\n'
        "user:\n"
    )
    assert messages[1]["content"] == "Ticket: T (pro) cost ${price} {{not a var}}"
    cases = [
        json.loads(line) for line in (ws.root / "evals/gh/classify.jsonl").read_text().splitlines()
    ]
    assert cases[0] == {
        "id": 1,
        "inputs": {"ticket": "refund me", "tier": "pro"},
        "expected": "billing",
    }
    evals = prompt.spec.evals
    assert evals is not None
    assert [(m.name, m.kind) for m in evals.metrics] == [
        ("exact_label", "exact"),
        ("mentions", "regex"),
    ]
    assert evals.metrics[1].options == {"ignore_case": True, "pattern": "label"}


def test_nothing_is_overwritten(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write("old/a.prompt.yml", GH_FILE)
    assert _import_json(run, "old/a.prompt.yml", "--dry-run")[0].code == 0
    assert not (ws.prompts / "a.prompt").exists(), "--dry-run wrote a file"
    assert _import_json(run, "old/a.prompt.yml")[0].code == 0
    before = (ws.prompts / "a.prompt").read_bytes()
    result, data = _import_json(run, "old/a.prompt.yml")
    assert result.code == 1 and "exists already" in str(data["refused"])
    assert (ws.prompts / "a.prompt").read_bytes() == before


def test_dotprompt_converted_in_place(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write(
        "prompts/greet.prompt",
        "---\nmodel: googleai/gemini-2.0-flash\ninput:\n  schema:\n    name: string\n---\n"
        '{{role "system"}}Greet people.\n{{role "user"}}Hi, I am {{name}}.\n',
    )
    assert "PR090" in run("validate", "prompts/greet.prompt").out
    assert _import_json(run, "prompts/greet.prompt")[0].code == 0
    assert run("validate", "prompts/greet.prompt").code == 0
    assert promptreg.load("prompts/greet.prompt").render(name="Ada") == [
        {"role": "system", "content": "Greet people.\n"},
        {"role": "user", "content": "Hi, I am Ada."},
    ]


_TEXT = st.lists(
    st.sampled_from([*"ab {}%#$\n\t:é", "user:", "{{x}}", "${y}", "\r\n", "\nsystem:\n"]),
    max_size=30,
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXT)
def test_text_prompt_renders_byte_for_byte(tmp_path: Path, text: str) -> None:
    """Literal `{{`, `{%`, `{#`, `}}`, role-like lines and edge whitespace in a plain text
    prompt: the import renders the original text exactly (placeholders given their own
    text back as values). CRLF is read as LF (reported)."""
    text = text.replace("\r\n", "\n")
    assume(text.strip())
    draft = draft_text(text, name="t", default_model=MODEL, notes=[])
    prompt = load_draft(draft, tmp_path)
    values = {name: ("{{x}}" if name == "x" else "${y}") for name in prompt.spec.inputs}
    assert prompt.render_text(**values) == text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(contents=st.lists(_TEXT, min_size=1, max_size=3))
def test_github_messages_byte_for_byte(tmp_path: Path, contents: list[str]) -> None:
    contents = [c.replace("\r\n", "\n").replace("${y}", "") for c in contents]
    assume(all(c.strip() for c in contents))
    roles = ["system", "user", "assistant"]
    doc = {
        "model": MODEL,
        "messages": [{"role": roles[i % 3], "content": c} for i, c in enumerate(contents)],
    }
    draft = draft_github(json.dumps(doc), name="t", default_model=None, notes=[])
    prompt = load_draft(draft, tmp_path)
    values = {name: "{{x}}" for name in prompt.spec.inputs}
    got = prompt.render(**values)
    assert [m["content"] for m in got] == contents
    assert finish  # the writer is the one the importer uses


def test_nothing_to_import_is_a_usage_error(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write("empty/notes.json", "{}")
    result = run("import", "empty")
    assert result.code == 2 and "no prompt files to import" in result.err
    assert run("import", "missing-dir").code == 2


def test_a_prompty_file_is_never_shadowed(ws: Workspace, run: Callable[..., Result]) -> None:
    """`x.prompty` under prompts/ is a prompt as it is: importing it in place, or another
    file to the same name, would make two files of one prompt name."""
    prompty = "---\nname: x\nmodel: {id: gpt-4o-2024-08-06, provider: openai}\n---\nsystem:\nHi\n"
    ws.write("prompts/x.prompty", prompty)
    in_place = run("import", "prompts/x.prompty")
    assert in_place.code == 1 and "is a prompt as it is" in in_place.out
    ws.write("old/x.prompty", prompty)
    other = run("import", "old/x.prompty")
    assert other.code == 1 and "names the same prompt" in other.out
    assert not (ws.prompts / "x.prompt").exists()
    assert run("import", "prompts/x.prompty", "--to", "converted").code == 0
