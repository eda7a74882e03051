"""`output:` and `tools:` (issue 12 §4): validated, hashed, shown, diffed, sent, evaluated."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.frontmatter.structured import anthropic_tools
from promptreg.project.project import Project
from tests.conftest import Result, Workspace

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06, params: {temperature: 0}}
inputs:
  ticket: {type: string, required: true}
sample: {ticket: "My invoice is wrong"}
"""
BODY = """---
system:
Classify the ticket.

user:
{{ ticket }}
"""
OUTPUT = """\
output:
  schema:
    type: object
    properties:
      category: {type: string, enum: [billing, bug]}
      reason: {type: string}
    required: [category]
"""
TOOLS = """\
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
    function: {name: escalate}
"""


def _prompt(ws: Workspace, extra: str, name: str = "t") -> None:
    ws.prompt(name, HEAD + extra + BODY)


def _load(ws: Workspace, name: str = "t"):
    return Project.open().load(name)


def test_render_json_is_the_request_an_openai_client_sends(
    ws: Workspace, run: Callable[..., Result]
):
    _prompt(ws, OUTPUT + TOOLS)
    result = run("render", "t", "--sample", "--json")
    assert result.code == 0, result.err
    request = json.loads(result.out)["request"]
    assert request["model"] == "gpt-4o-2024-08-06" and request["temperature"] == 0
    assert request["messages"] == [
        {"role": "system", "content": "Classify the ticket."},
        {"role": "user", "content": "My invoice is wrong"},
    ]
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "output"
    assert fmt["json_schema"]["schema"]["required"] == ["category"]
    assert [t["function"]["name"] for t in request["tools"]] == ["lookup_order", "escalate"]
    assert request["tools"][1] == {"type": "function", "function": {"name": "escalate"}}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("output: {format: json}\n", {"type": "json_object"}),
        ("output: {format: text}\n", None),
        (
            "output: {schema: {answer: string}, name: ans, strict: true}\n",
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "ans",
                    "strict": True,
                    "schema": {
                        "type": "object",
                        "properties": {"answer": {"type": "string"}},
                        "required": ["answer"],
                        "additionalProperties": False,
                    },
                },
            },
        ),
    ],
)
def test_response_format_for_each_output(ws: Workspace, output: str, expected: object) -> None:
    _prompt(ws, output)
    prompt = _load(ws)
    request = prompt.request(prompt.render_inputs({"ticket": "x"}))
    assert request.get("response_format") == expected
    assert "tools" not in request


def test_tools_convert_to_anthropic_shape(ws: Workspace) -> None:
    _prompt(ws, TOOLS)
    tools = _load(ws).spec.tools
    assert anthropic_tools(tools) == [
        {
            "name": "lookup_order",
            "description": "Look an order up by its id",
            "input_schema": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
        {"name": "escalate", "input_schema": {"type": "object", "properties": {}}},
    ]


BAD = [
    ("output: {format: xml}\n", "PR080", "output.format"),
    ("output: {format: text, schema: {a: string}}\n", "PR080", "set `format: json`"),
    ("output: {schema: {a: string}, colour: red}\n", "PR080", "unknown key `colour`"),
    ("output: {format: json, name: 'has space'}\n", "PR080", "output.name"),
    ("output: {format: json, strict: 'yes'}\n", "PR080", "true or false"),
    ("output: [json]\n", "PR022", "output: must be a mapping"),
    ("output: {schema: {a(tuple): string}}\n", "PR081", "not a valid Picoschema"),
    ("output: {schema: {type: object, properties: 3}}\n", "PR081", "not a valid JSON Schema"),
    ("output: {schema: {type: objet}}\n", "PR081", "`objet` is not a type"),
    ("output: {schema: {type: object, minProperties: -1}}\n", "PR081", "output.schema"),
    ("output: {schema: {$schema: 'http://x.test/s', type: object}}\n", "PR081", "$schema"),
    ("output: {schema: {type: number, maximum: .nan}}\n", "PR081", "not a finite number"),
    ("tools: {name: x}\n", "PR022", "tools: must be a list"),
    ("tools: [{type: function, function: {description: d}}]\n", "PR082", "needs a `name`"),
    ("tools: [{type: function, function: {name: 'a b'}}]\n", "PR082", "1-64 letters"),
    ("tools: [{type: retrieval}]\n", "PR082", "`type: function`"),
    (
        "tools: [{type: function, function: {name: a}}, {type: function, function: {name: a}}]\n",
        "PR082",
        "a second tool named `a`",
    ),
    ("tools: [{type: function, function: {name: a, params: {}}}]\n", "PR082", "unknown key"),
    (
        "tools: [{type: function, function: {name: a, parameters: {type: string}}}]\n",
        "PR083",
        "`type: object`",
    ),
    ("tools: [{type: function, function: {name: a, parameters: [x]}}]\n", "PR083", "mapping"),
    (
        "tools: [{type: function, function: {name: a, parameters: {type: object, required: 3}}}]\n",
        "PR083",
        "`a` parameters: not a valid JSON Schema",
    ),
]


@pytest.mark.parametrize(("extra", "code", "says"), BAD)
def test_malformed_output_and_tools_are_findings(
    ws: Workspace, run: Callable[..., Result], extra: str, code: str, says: str
) -> None:
    _prompt(ws, extra)
    result = run("validate", "--json")
    assert result.code == 1, result.out
    findings = json.loads(result.out)["findings"]
    assert any(f["code"] == code and says in f["message"] for f in findings), findings
    line = HEAD.count("\n") + 1
    assert all(f["line"] >= line for f in findings if f["code"] == code), findings


def test_valid_output_and_tools_pass_validate(ws: Workspace, run: Callable[..., Result]) -> None:
    _prompt(ws, OUTPUT + TOOLS)
    result = run("validate")
    assert result.code == 0, result.out + result.err


# -- the content hash ------------------------------------------------------------------------


def _hash(ws: Workspace, extra: str) -> str:
    _prompt(ws, extra)
    return _load(ws).content_hash


def test_hash_of_a_prompt_without_output_or_tools_did_not_move(ws: Workspace) -> None:
    """The request part is added only when there is one: every earlier hash stays valid.
    The value is this prompt's scheme-2 hash before issue 12."""
    plain = _hash(ws, "")
    assert _hash(ws, "output: {format: text}\n") == plain
    assert _hash(ws, "tools: []\n") == plain
    assert plain == "sha256:" + _EXPECTED_PLAIN


_EXPECTED_PLAIN = "853011d24e67ff26220d77be626132093a471a48110909d7b25374bde61b00b8"


def test_hash_covers_output_and_tools(ws: Workspace) -> None:
    plain = _hash(ws, "")
    with_output = _hash(ws, OUTPUT)
    with_tools = _hash(ws, TOOLS)
    assert len({plain, with_output, with_tools}) == 3
    assert _hash(ws, OUTPUT.replace("required: [category]", "required: [category, reason]")) != (
        with_output
    )
    assert _hash(ws, TOOLS.replace("Look an order up", "Find an order")) != with_tools
    assert _hash(ws, "output: {format: json}\n") != plain


def test_picoschema_and_its_json_schema_hash_alike(ws: Workspace) -> None:
    pico = _hash(ws, "output:\n  schema:\n    answer: string\n    note?: string\n")
    json_schema = _hash(
        ws,
        "output:\n  schema:\n    type: object\n    additionalProperties: false\n"
        "    required: [answer]\n    properties:\n      answer: {type: string}\n"
        "      note: {type: [string, 'null']}\n",
    )
    assert pico == json_schema


def test_a_scheme_1_record_never_vouches_for_tools(ws: Workspace) -> None:
    """Scheme 1 (earlier releases) does not cover tools: its hash must not count as a match
    for a prompt that has them, or a record could be moved onto a changed tool list."""
    _prompt(ws, TOOLS)
    prompt = _load(ws)
    assert not prompt.has_content_hash(prompt.legacy_content_hash)
    assert prompt.has_content_hash(prompt.content_hash)


# -- show and diff ---------------------------------------------------------------------------


def test_show_lists_output_and_tools(ws: Workspace, run: Callable[..., Result]) -> None:
    _prompt(ws, OUTPUT + TOOLS)
    text = run("show", "t")
    assert text.code == 0, text.err
    assert "output         json, schema {category*, reason}" in text.out
    assert "lookup_order(order_id*) — Look an order up by its id" in text.out
    assert "escalate()" in text.out
    data = json.loads(run("show", "t", "--json").out)
    assert data["output"]["schema"]["required"] == ["category"]
    assert [t["function"]["name"] for t in data["tools"]] == ["lookup_order", "escalate"]


def test_diff_says_what_the_model_is_now_asked_for(ws: Workspace, run: Callable[..., Result]):
    _prompt(ws, OUTPUT + TOOLS, name="a")
    changed = (
        OUTPUT.replace("required: [category]", "required: [category, reason]")
        .replace("[billing, bug]", "[billing, bug, other]")
        .replace(
            "      reason: {type: string}\n",
            "      reason: {type: string}\n      score: {type: number}\n",
        )
    )
    tools = TOOLS.replace("  - type: function\n    function: {name: escalate}\n", "")
    tools = tools.replace("required: [order_id]", "required: [order_id, email]").replace(
        "properties: {order_id: {type: string}}",
        "properties: {order_id: {type: string}, email: {type: string}}",
    )
    _prompt(ws, changed + tools, name="b")
    result = run("diff", "a", "b", "--json")
    changes = json.loads(result.out)["changes"]
    for sentence in (
        "output: property `reason` is now required",
        "output: new optional property `score`",
        "output: `category` enum added 'other'",
        "tool `escalate` removed",
        "tool `lookup_order` parameters: new required property `email`",
    ):
        assert sentence in changes, changes
    assert not any(c.startswith("tools[") or c.startswith("output.schema") for c in changes)


def test_diff_of_picoschema_rewritten_as_json_schema_is_no_change(ws: Workspace, run):
    _prompt(ws, "output:\n  schema:\n    answer: string\n", name="a")
    _prompt(
        ws,
        "output:\n  schema:\n    type: object\n    additionalProperties: false\n"
        "    required: [answer]\n    properties:\n      answer: {type: string}\n",
        name="b",
    )
    data = json.loads(run("diff", "a", "b", "--json").out)
    assert data["changes"] == [] and data["same_content"] is True


# -- evals -----------------------------------------------------------------------------------


def test_json_schema_metric_defaults_to_the_output_schema(ws: Workspace, run) -> None:
    ws.write("evals/t.jsonl", '{"id": "1", "inputs": {"ticket": "a"}, "expected": "x"}\n')
    extra = OUTPUT + (
        "evals:\n  dataset: evals/t.jsonl\n  metrics:\n"
        "    - {name: shape, kind: json_schema, threshold: 1}\n"
    )
    _prompt(ws, extra)
    assert run("validate").code == 0
    metric = _load(ws).evals.metrics[0]
    assert metric.options["schema"]["required"] == ["category"]

    from promptreg.evals.dataset import Case
    from promptreg.evals.metrics import cheap_scorer

    score = cheap_scorer(metric, ws.root, "evals.metrics[0]")
    case = Case(id="1", inputs={"ticket": "a"}, expected="x", line=1)
    assert score('{"category": "bug"}', case).value == 1.0
    assert score('{"reason": "no category"}', case).value == 0.0


def test_json_schema_metric_without_any_schema_is_still_a_finding(ws: Workspace, run) -> None:
    _prompt(ws, "evals:\n  metrics:\n    - {name: shape, kind: json_schema, threshold: 1}\n")
    result = run("validate")
    assert result.code == 1 and "PR060" in result.out and "needs `schema`" in result.out


def test_the_version_hook_names_a_tools_change(repo: Workspace, run) -> None:
    from tests.conftest import commit, git

    repo.prompt("s", HEAD + TOOLS + BODY)
    commit(repo, "add s")
    repo.prompt("s", HEAD + TOOLS.replace("Look an order up", "Find an order") + BODY)
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump")
    assert result.code == 1
    assert "s: content changed since HEAD (output/tools) but the version is still 1.0.0" in (
        result.out
    )


# -- any value -------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["object", "string", "array", "json", "text", "x(", "(*)", "a?", "$ref"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "properties",
                    "required",
                    "items",
                    "schema",
                    "format",
                    "name",
                    "function",
                    "parameters",
                    "strict",
                    "enum",
                    "pattern",
                    "$schema",
                    "a(array)",
                    "b?",
                    "(*)",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(output=_JSON, tools=_JSON)
def test_any_output_or_tools_value_is_findings_never_a_traceback(
    ws: Workspace, output: object, tools: object
) -> None:
    import yaml

    from promptreg.app.validate import validate

    extra = yaml.safe_dump({"output": output, "tools": tools}, default_flow_style=True)
    path = ws.prompt("f", HEAD + extra + BODY)
    project = Project.open()
    report = validate(project, [path], jobs=1)
    assert all(f.code.startswith("PR") for f in report.findings)
    pf = project.read(path)
    if pf.prompt is not None:
        pf.prompt.request(pf.prompt.render_inputs({"ticket": "x"}))
        assert pf.prompt.content_hash.startswith("sha256:")
