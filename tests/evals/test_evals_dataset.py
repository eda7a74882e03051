"""Golden datasets: reading cases, every malformed line named by its line number, and the
checks `promptreg validate` runs on datasets, rubrics, schemas and judge models."""

from __future__ import annotations

import json

import pytest

from promptreg.errors import DatasetError
from promptreg.evals.dataset import load_dataset, parse_dataset, sha256_of
from promptreg.frontmatter.spec import InputSpec, Metric
from tests.conftest import Workspace
from tests.evals_support import EVAL_PROMPT, eval_project

INPUTS = {
    "ticket": InputSpec("ticket", "string", required=True, max_chars=20),
    "tier": InputSpec("tier", "string", enum=("free", "pro"), default="free"),
}
EXACT = Metric("accuracy", "exact", 0.9)
GOOD = '{"id": "a", "inputs": {"ticket": "hi"}, "expected": "x"}'


def test_cases_are_read_with_their_lines():
    data = (
        GOOD + "\n\n"
        '{"id": 7, "inputs": {"ticket": "yo", "tier": "pro"}, "expected": "y", '
        '"human_score": 0.5, "tags": ["short"]}\n'
    ).encode()
    cases, problems = parse_dataset(data, INPUTS, [EXACT])
    assert problems == []
    assert [(c.id, c.line, c.expected) for c in cases] == [("a", 1, "x"), ("7", 3, "y")]
    assert cases[1].inputs == {"ticket": "yo", "tier": "pro"}
    assert (cases[1].human_score, cases[1].tags) == (0.5, ("short",))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"id": "a", "inputs": {"ticket": "hi"}',
            "not valid JSON: Expecting ',' delimiter (column 39)",
        ),
        ('["a"]', "a case must be a JSON object {id, inputs, …}, not a list"),
        ('{"id": "a", "input": {}}', "unknown key `input`; did you mean `inputs`?"),
        ('{"inputs": {"ticket": "hi"}}', "`id` is required"),
        ('{"id": "", "inputs": {"ticket": "hi"}}', "`id` is required"),
        ('{"id": true, "inputs": {"ticket": "hi"}}', "`id` is required"),
        ('{"id": "a", "inputs": "hi"}', "case 'a': `inputs` must be an object, not a string"),
        (
            '{"id": "a", "inputs": {}, "expected": "x"}',
            "case 'a': input `ticket` is required but was not given",
        ),
        (
            '{"id": "a", "inputs": {"ticket": 3}, "expected": "x"}',
            "case 'a': input `ticket` must be string, not an integer 3",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "hi", "tier": "gold"}, "expected": "x"}',
            "case 'a': input `tier` 'gold' is not one of the allowed values",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "hi", "extra": 1}, "expected": "x"}',
            "case 'a': input `extra` unknown input",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "' + "x" * 21 + '"}, "expected": "x"}',
            "over max_chars 20",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "hi"}}',
            "case 'a': no `expected`, which metric `accuracy` (exact) compares the output with",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "hi"}, "expected": "x", "human_score": 2}',
            "`human_score` must be a number from 0 to 1",
        ),
        (
            '{"id": "a", "inputs": {"ticket": "hi"}, "expected": "x", "tags": "t"}',
            "`tags` must be a list of strings",
        ),
    ],
)
def test_a_malformed_line_is_named_by_its_line(line: str, message: str):
    data = GOOD.replace('"a"', '"z"') + "\n" + line + "\n"
    cases, problems = parse_dataset(data.encode(), INPUTS, [EXACT])
    assert [c.id for c in cases] == ["z"]
    assert len(problems) == 1
    assert problems[0].line == 2
    assert message in problems[0].message


def test_a_bom_and_crlf_line_ends_are_fine():
    data = b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n" + GOOD.replace('"a"', '"b"').encode() + b"\r\n"
    cases, problems = parse_dataset(data, INPUTS, [EXACT])
    assert (problems, [c.id for c in cases]) == ([], ["a", "b"])


def test_duplicate_ids_and_bad_utf8():
    data = GOOD.encode() + b"\n" + GOOD.encode() + b"\n\xff\xfe\n"
    _, problems = parse_dataset(data, INPUTS, [EXACT])
    assert [(p.line, p.message) for p in problems] == [
        (2, "id 'a' is already used on line 1"),
        (3, "not valid UTF-8"),
    ]


@pytest.mark.parametrize(
    ("metric", "expected", "message"),
    [
        (
            Metric("m", "contains", None),
            ["a", 1],
            "`expected` must be a string or a list of strings",
        ),
        (
            Metric("m", "similarity", None),
            3,
            "`expected` must be a string for metric `m` (similarity)",
        ),
        (Metric("m", "regex", None), "(open", "`expected` is not a valid regular expression"),
    ],
)
def test_expected_must_suit_the_metric(metric: Metric, expected: object, message: str):
    line = json.dumps({"id": "a", "inputs": {"ticket": "hi"}, "expected": expected})
    _, problems = parse_dataset(line.encode(), INPUTS, [metric])
    assert message in problems[0].message


def test_metrics_that_do_not_compare_need_no_expected():
    line = b'{"id": "a", "inputs": {"ticket": "hi"}}'
    metrics = [
        Metric("j", "json_valid", None),
        Metric("r", "regex", None, {"pattern": "x"}),
        Metric("p", "python", None, {"function": "m:f"}),
    ]
    assert parse_dataset(line, INPUTS, metrics)[1] == []


def test_load_dataset_raises_at_the_first_problem(ws: Workspace):
    ws.write("evals/t.jsonl", GOOD + "\n{oops\n[]\n")
    with pytest.raises(DatasetError) as caught:
        load_dataset(ws.root, "evals/t.jsonl", INPUTS, [EXACT])
    assert str(caught.value).startswith("evals/t.jsonl:2: not valid JSON")
    assert str(caught.value).endswith("(and 1 more)")
    ws.write("evals/t.jsonl", GOOD + "\n")
    dataset = load_dataset(ws.root, "evals/t.jsonl", INPUTS, [EXACT])
    assert dataset.sha256 == sha256_of((GOOD + "\n").encode())
    with pytest.raises(DatasetError, match="outside the repository"):
        load_dataset(ws.root, "../t.jsonl", INPUTS)


# -- promptreg validate ---------------------------------------------------------------------------


def test_validate_reports_dataset_lines_as_pr061(ws: Workspace, run):
    eval_project(ws, cases=[])
    ws.write(
        "evals/triage.jsonl",
        '{"id": "a", "inputs": {"ticket": "hi"}, "expected": "x"}\n'
        '{"id": "b", "inputs": {}, "expected": "x"}\n'
        "not json\n",
    )
    result = run("validate")
    assert result.code == 1
    assert result.out.splitlines() == [
        "evals/triage.jsonl:2:1: PR061 case 'b': input `ticket` is required but was not given",
        "evals/triage.jsonl:3:1: PR061 not valid JSON: Expecting value (column 1)",
    ]
    data = json.loads(run("validate", "--json").out)
    assert data["findings"][0]["rule"] == "eval dataset is missing or malformed"


def test_validate_reports_a_missing_dataset_at_its_field(ws: Workspace, run):
    ws.prompt("triage", EVAL_PROMPT)
    result = run("validate")
    assert result.code == 1
    assert result.out.startswith(
        "prompts/triage.prompt:12:3: PR061 evals.dataset: cannot read 'evals/triage.jsonl': "
        "No such file or directory"
    )


def test_an_empty_dataset_is_valid(ws: Workspace, run):
    eval_project(ws, cases=[])
    assert run("validate").code == 0


def test_validate_a_dataset_checks_the_prompts_evaluated_on_it(ws: Workspace, run):
    eval_project(ws, cases=[])
    ws.write("evals/triage.jsonl", '{"id": "a"}\n')
    ws.prompt("other")  # not evaluated on it: not checked
    result = run("validate", "evals/triage.jsonl")
    assert result.code == 1
    assert "1 prompt checked" in result.err
    assert "evals/triage.jsonl:1:1: PR061" in result.out


def test_many_bad_lines_are_capped(ws: Workspace, run):
    eval_project(ws, cases=[])
    ws.write("evals/triage.jsonl", "x\n" * 30)
    lines = run("validate").out.splitlines()
    assert len(lines) == 21
    assert lines[-1] == "evals/triage.jsonl:21:1: PR061 … and 10 more"


JUDGE = "    - {name: accuracy, kind: exact, threshold: 0.5}\n"


@pytest.mark.parametrize(
    ("metric", "files", "expected"),
    [
        (
            "    - {name: j, kind: judge, rubric: partials/nope.j2}\n",
            {},
            "prompts/triage.prompt:14:30: PR062 evals.metrics[0].rubric: rubric 'partials/nope.j2' not found (under prompts/ nor the repository root)",
        ),
        (
            "    - {name: j, kind: judge, rubric: partials/r.j2}\n",
            {"prompts/partials/r.j2": "Grade {{ answer }}"},
            "PR062 evals.metrics[0].rubric: rubric 'partials/r.j2' uses answer; a rubric sees only `inputs`, `output` and `expected`",
        ),
        (
            "    - {name: j, kind: judge, rubric: evals/r.md}\n",
            {"evals/r.md": "Grade the ticket {{ inputs.ticket }}"},
            "PR062 evals.metrics[0].rubric: rubric 'evals/r.md' never shows the judge the output",
        ),
        (
            "    - {name: j, kind: judge, rubric: evals/r.md, model: openai/gpt-4o}\n",
            {"evals/r.md": "{{ output }}"},
            "PR031 evals.metrics[0].model: model 'gpt-4o' is an undated alias",
        ),
        (
            "    - {name: s, kind: json_schema, schema: evals/s.json}\n",
            {"evals/s.json": "{not json"},
            "PR062 evals.metrics[0].schema: schema 'evals/s.json' is not JSON",
        ),
        (
            "    - {name: s, kind: json_schema, schema: {type: 12}}\n",
            {},
            "PR062 evals.metrics[0].schema: not a valid JSON Schema",
        ),
    ],
)
def test_validate_checks_rubrics_schemas_and_judge_models(
    ws: Workspace, run, metric: str, files: dict[str, str], expected: str
):
    eval_project(ws, EVAL_PROMPT.replace(JUDGE, metric), cases=[])
    for path, text in files.items():
        ws.write(path, text)
    result = run("validate")
    assert result.code == 1
    assert expected in result.out


def test_a_good_judge_and_schema_validate(ws: Workspace, run):
    metrics = (
        "    - {name: j, kind: judge, rubric: partials/r.j2, model: openai/gpt-4o-2024-08-06}\n"
        "    - {name: s, kind: json_schema, schema: evals/s.json}\n"
    )
    eval_project(ws, EVAL_PROMPT.replace(JUDGE, metrics), cases=[])
    ws.write("prompts/partials/r.j2", "{{ inputs.ticket }} → {{ output }}")
    ws.write("evals/s.json", '{"type": "object"}')
    result = run("validate")
    assert (result.code, result.out) == (0, "")
