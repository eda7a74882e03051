"""Red-team cases for rendering, the content hash and the limits (issue 8, classes 1, 4, 5):
new attacks of the issue's classes, each of which got through once."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Workspace

HEAD = """---
version: 1.0.0
model:
  provider: openai
  name: gpt-4o-2024-08-06
  params: PARAMS
---
hello
"""


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ("{temperature: .nan}", "model.params.temperature: nan is not a finite number"),
        ("{stop: [.inf]}", "model.params.stop[0]: inf is not a finite number"),
        ("{temperature: -.inf}", "model.params.temperature: -inf is not a finite number"),
        ("{1: 2, a: 3}", "model.params: key 1 is an integer"),
        ("{null: 1, a: 2}", "model.params: key None is null"),
        ("{a: {true: 1}}", "model.params.a: key True is true/false"),
    ],
)
def test_model_params_that_are_not_json_are_a_finding_not_a_crash(
    ws: Workspace, run, params: str, where: str
):
    # The content hash (and every request) is the model block as JSON: `.nan` or a non-string
    # key once passed `validate` and then crashed `render --json`, `show` and `promote`.
    ws.prompt("t", HEAD.replace("PARAMS", params))
    result = run("validate")
    assert result.code == 1
    assert "PR023 " + where in result.out
    rendered = run("render", "t", "--json")
    assert rendered.code == 1 and "internal error" not in rendered.err
    assert "PR023" in rendered.err


def test_json_model_params_still_render(ws: Workspace, run):
    ws.prompt("t", HEAD.replace("PARAMS", '{temperature: 0.2, stop: ["x"], n: 1}'))
    assert run("validate").code == 0
    result = run("render", "t", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["messages"] == [{"role": "user", "content": "hello"}]
