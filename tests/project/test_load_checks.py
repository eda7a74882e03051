"""`promptreg.load` refuses what `validate` refuses about what a prompt serves (PR030, PR031,
PR041, besides every reading check), with every such finding; the upkeep lints are
validate's alone. Checked against the real `validate` on the same files."""

from __future__ import annotations

import itertools

import pytest

import promptreg
from promptreg.app.validate import validate
from promptreg.errors import PromptFileError
from promptreg.findings import Finding
from promptreg.project.project import Project
from tests.conftest import Workspace

# validate's lints that are about a file's upkeep and test data, not what it renders
UPKEEP = {"PR032", "PR042", "PR050", "PR051", "PR052", "PR053", "PR054"}

MODELS = ["gpt-4o-2024-08-06", "gpt-4o", "gpt-latest"]
BODIES = ["{{ q }}", "{{ q }} {{ undeclared }}", "{{ undeclared }}", "{{ q }", "{{ q }} {{ x }}"]
INPUTS = ["q: {type: string}", "q: {type: strin}", "q: {type: string}\n  unused: {type: string}"]


def _text(model: str, body: str, inputs: str) -> str:
    return (
        "---\nversion: 1.0.0\ndescription: d\n"
        f"model: {{provider: openai, name: {model}}}\n"
        f"inputs:\n  {inputs}\nsample: {{q: hi}}\n---\nuser: {body}\n"
    )


def _key(f: Finding) -> tuple[str, int, str]:
    return (f.code, f.line, f.message)


@pytest.mark.parametrize(
    ("model", "body", "inputs"), list(itertools.product(MODELS, BODIES, INPUTS))
)
def test_load_refuses_exactly_validates_findings_but_the_upkeep_lints(
    ws: Workspace, model: str, body: str, inputs: str
) -> None:
    path = ws.write("prompts/p.prompt", _text(model, body, inputs))
    project = Project.open(ws.root)
    expected = [_key(f) for f in validate(project, [path]).findings if f.code not in UPKEEP]
    for load in (lambda: promptreg.load(path), lambda: project.load("p")):
        if expected:
            with pytest.raises(PromptFileError) as refused:
                load()
            assert sorted(_key(f) for f in refused.value.findings) == sorted(expected)
        else:
            assert load().name == "p"


def test_an_allowed_model_loads(ws: Workspace) -> None:
    ws.write("promptreg.yaml", "lint:\n  allowed_models: [gpt-4o]\n")
    path = ws.write("prompts/p.prompt", _text("gpt-4o", "{{ q }}", INPUTS[0]))
    assert promptreg.load(path).model.name == "gpt-4o"


def test_the_unpinned_model_and_the_undeclared_variable_are_both_listed(ws: Workspace) -> None:
    path = ws.write("prompts/p.prompt", _text("gpt-4o", "{{ q }} {{ x }}", INPUTS[0]))
    with pytest.raises(PromptFileError) as refused:
        promptreg.load(path)
    assert [f.code for f in refused.value.findings] == ["PR031", "PR041"]
    assert "(and 1 more finding)" in str(refused.value)
