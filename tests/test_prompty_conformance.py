"""`.prompty` files render as Prompty renders them (issue 12 §1), against Prompty's own results.

- v1: `EXPECTED_v1_outputs.json` holds what prompty 0.1.50 produced for each test prompt
  (render of its sample, then the role parser) and for the pre-rendered `generated/*.md` texts
  (parser only). Each file is copied into a project as it is, with one line added: the
  `version:` promptreg requires (Prompty's v1 schema has the key; it changes no render).
- v2: the render and parse vectors (`vectors/*.json`): each template becomes a `.prompty` body.

A case promptreg refuses (a finding with a rule code) counts as refused, never as a different
render: the tests assert each refusal is the documented one. The pass counts are in the README
("Coming from Prompty").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from promptreg.project.loader import PromptFile
from promptreg.project.project import Project
from tests.conftest import Workspace

DATA = Path(__file__).parent / "data" / "prompty"
EXPECTED = json.loads((DATA / "EXPECTED_v1_outputs.json").read_text(encoding="utf-8"))
V2 = DATA / "v2_vectors"

# v1 files promptreg refuses, with the rule and a piece of the message.
V1_REFUSED = {
    "prompts/basic_json_output.prompty": ("PR021", "`model.name` is required"),  # prompty.json
    "prompts/chat.prompty": ("PR085", "a value followed by `:`"),
    "prompts/funcfile.prompty": ("PR084", "tools read from a file"),
    "prompts/embedding.prompty": ("PR084", "not a chat prompt"),
    "prompts/faithfulness.prompty": ("PR084", "`base:`"),
    "prompts/fake.prompty": ("PR084", "template format 'fake'"),
    # its response_format is `${file:...}`: Prompty sends that file's schema
    "prompts/structured_output.prompty": ("PR084", "Prompty reads it in"),
}


def _with_version(text: str) -> str:
    return text if "\nversion:" in text else text.replace("---\n", "---\nversion: 0.1.0\n", 1)


def _read(ws: Workspace, relative: str, text: str) -> PromptFile:
    path = ws.write(f"prompts/{relative}", text)
    return Project.open().read(path)


@pytest.fixture
def v1(ws: Workspace) -> Workspace:
    shutil.copytree(DATA / "v1_prompts", ws.prompts, dirs_exist_ok=True)
    return ws


@pytest.mark.parametrize("key", sorted(EXPECTED["render_then_parse"]))
def test_v1_render_then_parse(v1: Workspace, key: str) -> None:
    case = EXPECTED["render_then_parse"][key]
    relative = key.removeprefix("prompts/")
    text = (DATA / "v1_prompts" / relative).read_text(encoding="utf-8")
    pf = _read(v1, relative, _with_version(text))
    if key in V1_REFUSED:
        code, says = V1_REFUSED[key]
        assert any(f.code == code and says in f.message for f in pf.findings), pf.findings
        return
    assert pf.prompt is not None, pf.findings
    rendered = pf.prompt.render_inputs(case["sample"], check_budget=False)
    assert rendered.messages == case["parsed"]


@pytest.mark.parametrize("key", sorted(EXPECTED["parse_only"]))
def test_v1_parse_only(ws: Workspace, key: str) -> None:
    """A pre-rendered text read by the role parser: as a body with no template tags."""
    body = (DATA / "v1_generated" / key.removeprefix("generated/")).read_text(encoding="utf-8")
    head = "---\nversion: 0.1.0\nmodel: {api: chat, configuration: {type: openai, name: m}}\n---\n"
    pf = _read(ws, "parsed.prompty", head + "{% raw %}\n" + body + "{% endraw %}")
    if key == "generated/contoso_multi.md":  # inline images become image parts in v1
        assert any(f.code == "PR084" and "markdown image" in f.message for f in pf.findings)
        return
    assert pf.prompt is not None, pf.findings
    assert pf.prompt.render_inputs({}, check_budget=False).messages == EXPECTED["parse_only"][key]


def _vectors(name: str) -> list[dict[str, Any]]:
    data = json.loads((V2 / name).read_text(encoding="utf-8"))
    return list(data["vectors"])


V2_HEAD = "---\nversion: 0.1.0\nkind: prompt\nmodel: {id: gpt-4o-2024-08-06, provider: openai}\n"
# v2 render vectors promptreg refuses or renders differently on purpose (README).
V2_RENDER_REFUSED = {"thread_nonce_injection": "a thread input (Prompty's kind: thread)"}


@pytest.mark.parametrize("vector", _vectors("render_vectors.json"), ids=lambda v: v["name"])
def test_v2_render(ws: Workspace, vector: dict[str, Any]) -> None:
    given = vector["input"]
    if vector["name"] in V2_RENDER_REFUSED:
        pytest.skip(V2_RENDER_REFUSED[vector["name"]])
    template = {"kind": given["engine"]}
    # Prompty takes any input; promptreg takes declared ones: declared here as a user would.
    inputs = [{"name": k, "kind": _kind(v)} for k, v in given["inputs"].items()]
    head = V2_HEAD + f"template: {{format: {json.dumps(template)}}}\ninputs: {json.dumps(inputs)}\n"
    head += "---\n"
    # A template with no role line renders as one system message (Prompty's default).
    pf = _read(ws, "r.prompty", head + given["template"])
    assert pf.prompt is not None, pf.findings
    messages = pf.prompt.render_inputs(given["inputs"], check_budget=False).messages
    expected = vector["expected"]["rendered"]
    if "system:" in given["template"]:
        joined = "\n\n".join(f"{m['role']}:\n{m['content']}" for m in messages)
        assert joined == expected
    else:
        assert messages == [{"role": "system", "content": expected.strip("\n")}]


def _kind(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}.get(
        type(value), "string"
    )


V2_PARSE_REFUSED = {
    "developer_role": ("PR084", "the `developer` role"),
    "role_with_multiple_unquoted_attributes": ("PR084", "role attributes"),
    "role_with_quoted_attribute": ("PR084", "role attributes"),
    "thread_nonce_expansion": ("", ""),
}


@pytest.mark.parametrize("vector", _vectors("parse_vectors.json"), ids=lambda v: v["name"])
def test_v2_parse(ws: Workspace, vector: dict[str, Any]) -> None:
    rendered = vector["input"]["rendered"]
    pf = _read(ws, "p.prompty", V2_HEAD + "---\n{% raw %}\n" + rendered + "{% endraw %}")
    refused = V2_PARSE_REFUSED.get(vector["name"])
    if refused is not None:
        if not refused[0]:
            pytest.skip("thread inputs (Prompty's kind: thread) are not supported")
        assert any(f.code == refused[0] and refused[1] in f.message for f in pf.findings)
        return
    assert pf.prompt is not None, pf.findings
    messages = pf.prompt.render_inputs({}, check_budget=False).messages
    expected = [
        {"role": m["role"], "content": "".join(p["value"] for p in m["content"])}
        for m in vector["expected"]["messages"]
    ]
    assert messages == expected


@pytest.mark.parametrize(
    "vector", _vectors("render_segments_vectors.json"), ids=lambda v: v["name"]
)
def test_v2_render_segments_values_stay_values(ws: Workspace, vector: dict[str, Any]) -> None:
    """Prompty's renderSegments tags each printed value so its strict mode can refuse a value
    that forges a role line. promptreg needs no mode: a value never starts a message, so
    every vector renders one message holding the value as text (where strict Prompty throws,
    promptreg renders the text, never a second message)."""
    given = vector["input"]
    inputs = [{"name": k, "kind": _kind(v)} for k, v in given["inputs"].items()]
    head = V2_HEAD + f"inputs: {json.dumps(inputs)}\n---\n"
    pf = _read(ws, "s.prompty", head + given["template"])
    assert pf.prompt is not None, pf.findings
    messages = pf.prompt.render_inputs(given["inputs"], check_budget=False).messages
    value = given["inputs"]["q"]
    assert messages[-1] == {"role": "user", "content": value}
    assert all(m["role"] != "assistant" for m in messages)
