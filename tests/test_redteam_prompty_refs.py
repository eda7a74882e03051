"""Red-team attacks on the one Prompty reader: a `.prompty` whose request Prompty builds from
`${env:...}` / `${file:...}` references (it resolves them when it loads the file) validated
clean in place and imported clean, while promptreg sent the reference as text or left it out
(`response_format: ${file:schema.json}` vanished from the request). Each is now PR084, in
place and, with the same message, on import; a connection's and a sample's are not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from promptreg.project.project import Project
from tests.conftest import Result, Workspace

V1 = """\
---
name: t
version: 1.0.0
model:
  api: chat
  configuration:
    type: openai
    name: gpt-4o-2024-08-06
    api_key: ${{env:OPENAI_API_KEY}}
  parameters:
{params}
sample:
  q: ${{env:SAMPLE_Q}}
inputs:
  q:
    type: string
    description: ${{env:NOT_SENT}}
{default}
---
system:
Hi {{{{q}}}}
"""

V2 = """\
---
kind: prompt
version: 1.0.0
model:
  id: gpt-4o-2024-08-06
  provider: openai
  connection:
    apiKey: ${{env:OPENAI_API_KEY}}
  options:
{options}
outputs:
{outputs}
---
system:
Hi
"""

HOLES = {
    "response_format from a file": (
        V1.format(params="    response_format: ${file:schema.json}", default=""),
        "model.parameters.response_format",
    ),
    "a parameter from the environment": (
        V1.format(params="    user: ${env:END_USER}", default=""),
        "model.parameters.user",
    ),
    "a stop list item from the environment": (
        V1.format(params="    stop: [x, '${env:STOP}']", default=""),
        "model.parameters.stop[1]",
    ),
    "an input default from the environment": (
        V1.format(params="    max_tokens: 5", default="    default: ${env:SECRET}"),
        "inputs.q.default",
    ),
    "an input default from a file": (
        V1.format(params="    max_tokens: 5", default="    default: ${file:q.txt}"),
        "inputs.q.default",
    ),
    "a v2 option from the environment": (
        V2.format(options="    temperature: ${env:TEMP}", outputs="  - name: a\n    kind: string"),
        "model.options.temperature",
    ),
    "a v2 output default from the environment": (
        V2.format(
            options="    temperature: 0",
            outputs="  - name: a\n    kind: string\n    default: ${env:X}",
        ),
        "outputs[0].default",
    ),
}


def _findings(ws: Workspace, text: str) -> list[str]:
    path = ws.write("prompts/t.prompty", text)
    ws.write("prompts/schema.json", '{"type": "json_object"}')
    ws.write("prompts/q.txt", "from a file")
    pf = Project.open().read(path)
    return [f"{f.code} {f.message}" for f in pf.findings]


@pytest.mark.parametrize("case", sorted(HOLES))
def test_a_reference_prompty_resolves_into_the_request_is_pr084(ws: Workspace, case: str) -> None:
    text, where = HOLES[case]
    found = _findings(ws, text)
    assert any(f.startswith(f"PR084 {where}: ") and "Prompty reads it in" in f for f in found), (
        found
    )


@pytest.mark.parametrize("case", sorted(HOLES))
def test_the_import_refuses_it_with_the_same_message(
    ws: Workspace, run: Callable[..., Result], case: str
) -> None:
    ws.write("src/t.prompty", HOLES[case][0])
    ws.write("src/schema.json", '{"type": "json_object"}')
    ws.write("src/q.txt", "from a file")
    result = run("import", "src/t.prompty", "--dry-run")
    assert result.code == 1, result.out + result.err
    assert "refused" in result.out and "Prompty reads it in" in result.out


def test_connections_samples_and_descriptions_are_not_the_request(ws: Workspace) -> None:
    """`api_key: ${env:...}` (every Azure sample has one), a sample value and an input's
    description: not sent as the request, so not findings."""
    text = V1.format(params="    max_tokens: 5", default="    default: hi")
    assert not [f for f in _findings(ws, text) if f.startswith("PR084")]


@pytest.mark.parametrize(
    "fmt",
    ["response_format: json_object", "response_format: {type: json_schema, json_schema: 3}"],
)
def test_a_response_format_that_cannot_be_read_is_a_finding_not_dropped(
    ws: Workspace, fmt: str
) -> None:
    """It was left out of the request without a word: the model was asked for free text."""
    found = _findings(ws, V1.format(params="    " + fmt, default=""))
    assert any(f.startswith("PR084") and "response_format" in f for f in found), found


def test_a_text_response_format_is_what_no_response_format_asks_for(ws: Workspace) -> None:
    found = _findings(ws, V1.format(params="    response_format: {type: text}", default=""))
    assert not [f for f in found if f.startswith("PR084")], found
