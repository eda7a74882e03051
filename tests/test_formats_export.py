"""`promptreg export NAME --format`: a prompt out in another tool's format and back.

An unedited export imports back to the same prompt (same content hash): the file carries
its source. Without that, the conversions themselves are a fixpoint after one round (the
content hash of export→import→export→import equals that of export→import) and render the
same messages; an edited export is converted, never silently replaced by the old source;
a hostile embedded source cannot write outside the prompts directory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import promptreg
from promptreg.formats.export import FORMATS, SUFFIXES, export
from promptreg.formats.importer import convert_file
from promptreg.formats.source_prompt import prompt_data
from promptreg.frontmatter.spec import MISSING
from promptreg.project.project import Project
from tests.conftest import Result, Workspace
from tests.formats_support import external_root

REPO = Path(__file__).parent.parent
MODEL = "openai/gpt-4o-2024-08-06"


@pytest.fixture
def demo(ws: Workspace) -> Workspace:
    """This repository's own prompts (partials included) in a fresh project."""
    shutil.rmtree(ws.prompts)
    shutil.copytree(REPO / "prompts", ws.prompts)
    return ws


def _hash(run: Callable[..., Result], name: str) -> str:
    result = run("show", name, "--json")
    assert result.code == 0, result.err
    return str(json.loads(result.out)["content_hash"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_unedited_export_imports_back_identical(
    demo: Workspace, run: Callable[..., Result], fmt: str
) -> None:
    names = ("support/triage", "summarize/article") if fmt == "prompty" else ("support/triage",)
    for name in names:
        out = demo.root / f"out/{name.replace('/', '-')}{SUFFIXES[fmt]}"
        out.parent.mkdir(exist_ok=True)
        exported = run("export", name, "--format", fmt, "-o", str(out))
        assert exported.code == 0, exported.err
        imported = run("import", str(out), "--to", f"back-{fmt}")
        assert imported.code == 0, imported.out + imported.err
        assert "restored exactly" in imported.out
        back = f"back-{fmt}/{out.name.removesuffix(SUFFIXES[fmt])}"
        assert _hash(run, back) == _hash(run, name)
    if fmt != "prompty":  # its macros: only Prompty takes the Jinja as it is
        refused = run("export", "summarize/article", "--format", fmt)
        assert refused.code == 2 and "`{% from … import %}`" in refused.err


def _round(prompt: promptreg.Prompt, root: Path, fmt: str, tmp: Path) -> promptreg.Prompt | None:
    """export (no embedded source) then import; None when either refuses."""
    from promptreg.formats.report import Refused

    try:
        text = export(prompt_data(prompt, root), fmt, embed=False).text
    except Refused:
        return None
    tmp.mkdir(parents=True, exist_ok=True)
    source = tmp / f"x{SUFFIXES[fmt]}"
    source.write_text(text, encoding="utf-8")
    conversion, _ = convert_file(source, prefix="", default_model=MODEL, shown="x")
    if conversion.refused:
        return None
    path = tmp / "y.prompt"
    path.write_text(next(v for k, v in conversion.files.items() if k.endswith(".prompt")))
    return promptreg.load(path)


def _prompts(project: Project) -> list[promptreg.Prompt]:
    return [project.load(str(p), serving_checks=False) for p in project.prompt_files()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_conversion_is_a_fixpoint(demo: Workspace, tmp_path: Path, fmt: str) -> None:
    """Hand-written layout aside (blank lines between messages count in the hash), one round
    of export and import reaches the format's canonical form: a second round gives the same
    content hash, and every round renders the sample as the original does."""
    project = Project.open(demo.root)
    rounds = 0
    for prompt in _prompts(project):
        once = _round(prompt, project.root, fmt, tmp_path / "1")
        if once is None:
            continue
        twice = _round(once, project.root, fmt, tmp_path / "2")
        assert twice is not None
        assert twice.content_hash == once.content_hash, prompt.name
        sample = {n: d.default for n, d in prompt.inputs.items() if d.default is not MISSING}
        sample.update(prompt.spec.sample or {})
        assert once.render(**sample) == prompt.render(**sample), prompt.name
        rounds += 1
    assert rounds == 1  # summarize/article imports macros from a partial: no format has them


def test_external_fixpoint(ws: Workspace, run: Callable[..., Result], tmp_path: Path) -> None:
    """The same over every external file that imports (105): stable after one round in
    each format the prompt can be written in."""
    external = external_root()
    if external is None:
        pytest.skip("shared/external is not on this machine")
    run("import", str(external), "--to", "x", "--model", MODEL)
    project = Project.open(ws.root)
    stable = 0
    for prompt in _prompts(project):
        for fmt in FORMATS:
            once = _round(prompt, project.root, fmt, tmp_path / "1")
            twice = None if once is None else _round(once, project.root, fmt, tmp_path / "2")
            if once is not None:
                assert twice is not None and twice.content_hash == once.content_hash
                stable += 1
    assert stable >= 300


def test_edited_export_is_converted(demo: Workspace, run: Callable[..., Result]) -> None:
    out = demo.root / "t.prompt.yml"
    assert run("export", "support/triage", "--format", "prompt.yml", "-o", str(out)).code == 0
    out.write_text(out.read_text().replace("support triage assistant", "TRIAGE BOT"))
    result = run("import", str(out), "--to", "edited")
    assert result.code == 0, result.out
    assert "restored" not in result.out
    messages = promptreg.load("prompts/edited/t.prompt").render(ticket="x", tier="pro")
    assert "TRIAGE BOT" in messages[0]["content"]


@pytest.mark.parametrize("partial", ["../escaped.j2", "/abs.j2", "a/../../b.j2", "x.prompt", ""])
def test_hostile_embedded_source(ws: Workspace, run: Callable[..., Result], partial: str) -> None:
    """An export whose embedded partials name paths outside the prompts directory: refused,
    nothing written anywhere."""
    import hashlib

    body = "name: x\nmodel: openai/gpt-4o-2024-08-06\nmessages:\n- role: user\n  content: hi\n"
    payload = {
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "file": "---\nversion: 1.0.0\n---\nhi\n",
        "partials": {partial: "EVIL"},
    }
    ws.write("in/x.prompt.yml", "# promptreg-source: " + json.dumps(payload) + "\n" + body)
    result = run("import", "in/x.prompt.yml")
    assert result.code == 1
    assert "not allowed" in result.out
    assert not (ws.root / "escaped.j2").exists() and not (ws.prompts / "x.prompt").exists()


def test_export_cli(demo: Workspace, run: Callable[..., Result]) -> None:
    printed = run("export", "support/triage", "--format", "dotprompt")
    assert printed.code == 0
    assert printed.out.startswith("---\n# promptreg-source: ")
    assert '{{~role "system"~}}' in printed.out
    assert "not carried: partials inlined: partials/tone.j2" in printed.err
    as_json = json.loads(run("export", "support/triage", "--format", "prompty", "--json").out)
    assert as_json["format"] == "prompty" and as_json["text"].startswith("---\n")
    assert run("export", "support/triage", "--format", "prompty", "--env", "prod").code == 2
    assert run("export").code == 2
    assert run("export", "support/triage").code == 2


def test_export_refuses_what_the_format_cannot_say(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    ws.prompt(
        "shout",
        "---\nversion: 1.0.0\nmodel: {provider: openai, name: gpt-4o-2024-08-06}\n"
        "inputs: {x: {type: string, required: true}}\nsample: {x: hi}\n---\n"
        "user:\n{{ x|upper }}\n",
    )
    for fmt in ("prompt.yml", "dotprompt"):
        result = run("export", "shout", "--format", fmt)
        assert result.code == 2
        assert "cannot express" in result.err and "line 2" in result.err
    assert run("export", "shout", "--format", "prompty").code == 0  # Jinja: as it is


def test_output_carried_both_ways(ws: Workspace, run: Callable[..., Result]) -> None:
    """A response schema comes in as `output:` (Dotprompt `output`, GitHub Models
    `responseFormat: json_schema`) and goes out in each format's own field."""
    ws.write(
        "in/a.prompt",
        "---\nmodel: googleai/gemini-2.0-flash\noutput:\n  format: json\n  schema:\n"
        "    label: string, the label\n    score?: number\n---\nClassify {{text}}\n",
    )
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
    ws.write(
        "in/b.prompt.yml",
        "model: openai/gpt-4o\nresponseFormat: json_schema\njsonSchema: '"
        + json.dumps({"name": "lbl", "strict": True, "schema": schema})
        + "'\nmessages:\n- role: user\n  content: Classify {{text}}\n",
    )
    result = run("import", "in", "--to", "s")
    assert result.code == 0, result.out
    a, b = promptreg.load("prompts/s/a.prompt"), promptreg.load("prompts/s/b.prompt")
    assert a.spec.output is not None and a.spec.output.format == "json"
    assert a.spec.output.schema is not None and "label" in a.spec.output.schema["properties"]
    assert b.spec.output is not None and (b.spec.output.name, b.spec.output.strict) == ("lbl", True)
    assert b.spec.output.schema == schema
    dotprompt = run("export", "s/a", "--format", "dotprompt").out
    assert "output:\n  format: json\n  schema:\n    label: string, the label" in dotprompt
    github = run("export", "s/b", "--format", "prompt.yml").out
    assert "responseFormat: json_schema" in github and '"name": "lbl"' in github
    prompty = run("export", "s/b", "--format", "prompty").out
    assert "response_format:" in prompty and "type: json_schema" in prompty


def test_json_helper_round_trip(ws: Workspace, run: Callable[..., Result], tmp_path: Path) -> None:
    """`{{json x}}` comes in as the `json` filter (JSON.stringify's text, key order kept),
    goes back out to Dotprompt as `{{json x}}` (also `this` and `indent=`), and the second
    import is the first; Prompty and GitHub Models have no such helper: refused."""
    ws.write(
        "in/j.prompt",
        "---\nmodel: googleai/gemini-2.0-flash\ninput:\n  schema:\n    order(object): {}\n"
        "    n?: integer\n---\nOrder: {{json order}}\nAll: {{json this indent=2}}\n",
    )
    assert run("import", "in/j.prompt", "--to", "s").code == 0
    first = promptreg.load("prompts/s/j.prompt")
    order = {"b": 1, "a": [1.0, "é"]}
    content = first.render(order=order, n=2)[0]["content"]
    assert content.startswith('Order: {"b":1,"a":[1,"é"]}\nAll: {\n  "order": {\n    "b": 1,')
    text = export(prompt_data(first, ws.root), "dotprompt", embed=False).text
    assert "{{json order}}" in text and "{{json this indent=2}}" in text
    again = tmp_path / "j.prompt"
    again.write_text(text, encoding="utf-8")
    conversion, _ = convert_file(again, prefix="", default_model=MODEL, shown="j")
    assert not conversion.refused
    path = tmp_path / "back.prompt"
    path.write_text(next(v for k, v in conversion.files.items() if k.endswith(".prompt")))
    back = promptreg.load(path)
    assert back.content_hash == first.content_hash
    assert back.render(order=order, n=2) == first.render(order=order, n=2)
    for fmt in ("prompty", "prompt.yml"):
        refused = run("export", "s/j", "--format", fmt)
        assert refused.code == 2 and "`json` filter" in refused.err


_TOOLS = """\
---
version: 1.2.0
owners: [ana]
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs: {q: {type: string, required: true}}
sample: {q: where is my order?}
tools:
  - type: function
    function:
      name: lookup_order
      description: Look an order up by its id
      parameters:
        type: object
        properties: {order_id: {type: string}}
        required: [order_id]
  - type: function
    function: {name: ping, parameters: {type: object, properties: {}}%s}
---
system:
Help.
user:
{{ q }}
"""


@pytest.mark.parametrize(
    ("fmt", "strict", "carried"),
    [
        ("prompty", "", True),
        ("prompty", ", strict: true", True),
        ("dotprompt", "", True),
        ("dotprompt", ", strict: true", False),  # a Dotprompt tool definition has no strict
        ("prompt.yml", "", False),  # GitHub Models' prompt file has no tools
    ],
)
def test_tools_round_trip(
    ws: Workspace, tmp_path: Path, fmt: str, strict: str, carried: bool
) -> None:
    """A prompt's `tools` go out where the format keeps them (Prompty v1
    `model.parameters.tools`, Dotprompt `toolDefs` and the names in `tools`) and come back
    the same where the format can carry them, with the same content hash (Dotprompt: once it
    holds the conversation Dotprompt adds, after one round); what it cannot is reported."""
    prompt = promptreg.load(ws.prompt("t", _TOOLS % strict))
    out = export(prompt_data(prompt, ws.root), fmt, embed=False)
    back = _round(prompt, ws.root, fmt, tmp_path / "1")
    assert back is not None
    tools = [t.to_openai() for t in prompt.spec.tools]
    assert ([t.to_openai() for t in back.spec.tools] == tools) is carried
    if fmt == "prompty":
        assert back.content_hash == prompt.content_hash
        assert "  parameters:\n    tools:\n" in out.text and "authors:\n- ana" in out.text
    if fmt == "dotprompt":
        again = _round(back, ws.root, fmt, tmp_path / "2")
        assert again is not None and again.content_hash == back.content_hash
        assert "tools:\n- lookup_order\n- ping\ntoolDefs:" in out.text
        assert any("no `strict`" in n for n in out.notes) is bool(strict)
    if fmt == "prompt.yml":
        assert "`tools` has no place in this format" in out.notes
        assert back.spec.tools == ()


def test_dotprompt_tool_names_without_definitions(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    """Names in `tools` that `toolDefs` defines become promptreg tools; the others (Genkit's
    registered tools) stay under metadata.dotprompt and go back out in `tools`."""
    ws.write(
        "in/d.prompt",
        "---\nmodel: googleai/gemini-2.0-flash\ntools: [weather, search]\ntoolDefs:\n"
        "  - name: weather\n    description: The weather\n    inputSchema:\n"
        "      city: string, the city\n---\nWeather in {{city}}?\n",
    )
    result = run("import", "in/d.prompt", "--to", "s")
    assert result.code == 0, result.out
    prompt = promptreg.load("prompts/s/d.prompt")
    (tool,) = prompt.spec.tools
    assert tool.to_openai()["function"]["parameters"]["properties"]["city"]["type"] == "string"
    assert prompt.spec.raw["metadata"]["dotprompt"] == {"tools": ["search"]}
    out = run("export", "s/d", "--format", "dotprompt").out
    assert "tools:\n- weather\n- search\ntoolDefs:\n- name: weather" in out
