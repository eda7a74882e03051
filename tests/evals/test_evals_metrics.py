"""Every metric kind on table-driven cases; the judge's reply parser; metric option checks."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import UsageError
from promptreg.evals.dataset import Case
from promptreg.evals.judge import parse_judge_reply
from promptreg.evals.metrics import cheap_scorer
from promptreg.frontmatter.spec import Metric
from tests.conftest import Workspace
from tests.evals_support import EVAL_PROMPT

SCHEMA = {
    "type": "object",
    "properties": {"label": {"enum": ["billing", "bug"]}},
    "required": ["label"],
}

# (kind, options, output, expected, score, reason or error contains)
METRIC_CASES: list[tuple[str, dict[str, Any], str, Any, float, str | None]] = [
    ("exact", {}, "billing", "billing", 1.0, None),
    ("exact", {}, "  billing\n", "billing", 1.0, None),  # stripped by default
    (
        "exact",
        {"strip": False},
        "billing\n",
        "billing",
        0.0,
        "expected 'billing', got 'billing\\n'",
    ),
    ("exact", {}, "Billing", "billing", 0.0, "expected 'billing'"),
    ("exact", {"ignore_case": True}, "Billing", "billing", 1.0, None),
    ("exact", {}, '{"a": [1, 2]}', {"a": [1, 2]}, 1.0, None),  # non-string: JSON equality
    ("exact", {}, '{"a": [2, 1]}', {"a": [1, 2]}, 0.0, "JSON differs"),
    ("exact", {}, "not json", {"a": 1}, 0.0, "not JSON"),
    ("contains", {}, "It is a billing issue", "billing", 1.0, None),
    ("contains", {}, "It is a Billing issue", "billing", 0.0, "missing 'billing'"),
    ("contains", {"ignore_case": True}, "A BILLING issue", "billing", 1.0, None),
    (
        "contains",
        {},
        "refund the invoice",
        ["refund", "invoice", "sorry"],
        2 / 3,
        "missing 'sorry'",
    ),
    ("regex", {}, "label: bug", r"label: (bug|billing)", 1.0, None),
    (
        "regex",
        {},
        "label: other",
        r"label: (bug|billing)",
        0.0,
        "no match for /label: (bug|billing)/",
    ),
    ("regex", {"full_match": True}, "label: bug!", r"label: bug", 0.0, "no match"),
    ("regex", {"ignore_case": True}, "LABEL: BUG", r"label: bug", 1.0, None),
    ("regex", {"pattern": r"^\d+$"}, "42", None, 1.0, None),  # a fixed pattern needs no expected
    ("regex", {"pattern": r"^\d+$"}, "42a", None, 0.0, "no match"),
    ("json_valid", {}, '{"a": 1}', None, 1.0, None),
    ("json_valid", {}, "{'a': 1}", None, 0.0, "not JSON"),
    ("json_valid", {}, '```json\n{"a": 1}\n```', None, 0.0, "not JSON"),
    ("json_valid", {"strip_fences": True}, '```json\n{"a": 1}\n```', None, 1.0, None),
    ("json_schema", {"schema": SCHEMA}, '{"label": "bug"}', None, 1.0, None),
    (
        "json_schema",
        {"schema": SCHEMA},
        '{"label": "other"}',
        None,
        0.0,
        "label: 'other' is not one of",
    ),
    ("json_schema", {"schema": SCHEMA}, "{}", None, 0.0, "'label' is a required property"),
    ("json_schema", {"schema": SCHEMA}, "nope", None, 0.0, "not JSON"),
    ("json_schema", {"schema": "schemas/label.json"}, '{"label": "billing"}', None, 1.0, None),
    ("similarity", {}, "billing", "billing", 1.0, None),
    ("similarity", {}, "The  Billing\nteam", "the billing team", 1.0, None),  # case, spaces
    ("similarity", {"ignore_case": False}, "Billing", "billing", 6 / 7, "expected 'billing'"),
    ("similarity", {}, "abcd", "abxy", 0.5, None),
    ("similarity", {}, "", "billing", 0.0, None),
]


@pytest.mark.parametrize(
    ("kind", "options", "output", "expected", "score", "note"),
    METRIC_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(METRIC_CASES)],
)
def test_metric_kinds(
    tmp_path: Path,
    kind: str,
    options: dict[str, Any],
    output: str,
    expected: Any,
    score: float,
    note: str | None,
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas/label.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    scorer = cheap_scorer(Metric("m", kind, 0.5, options), tmp_path, "evals.metrics[0]")
    result = scorer(output, Case("c1", {}, expected))
    assert result.value == pytest.approx(score)
    assert result.error is None
    if note is None:
        assert result.reason is None or score < 1
    else:
        assert result.reason is not None
        assert note in result.reason


def test_python_metric(ws: Workspace) -> None:
    module = f"metric_{uuid.uuid4().hex[:12]}"
    ws.write(
        f"{module}.py",
        "def length(output, expected, inputs):\n"
        "    return min(1.0, len(output) / inputs['limit'])\n"
        "def judged(output, expected, inputs):\n"
        "    return (0.25, 'a quarter')\n"
        "def broken(output, expected, inputs):\n"
        "    raise RuntimeError('no idea')\n"
        "def too_big(output, expected, inputs):\n"
        "    return 2\n"
        "def boolean(output, expected, inputs):\n"
        "    return output == expected\n",
    )
    case = Case("c1", {"limit": 10}, "hello")

    def score(function: str, output: str = "hello") -> Any:
        metric = Metric("m", "python", None, {"function": f"{module}:{function}"})
        return cheap_scorer(metric, ws.root, "evals.metrics[0]")(output, case)

    assert score("length").value == 0.5
    assert (score("judged").value, score("judged").reason) == (0.25, "a quarter")
    assert (score("broken").value, score("broken").error) == (0.0, "RuntimeError: no idea")
    assert score("too_big").error == "returned 2, not a number from 0 to 1"
    assert (score("boolean").value, score("boolean", "bye").value) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"function": "no_such_module_xyz:f"}, "cannot import 'no_such_module_xyz'"),
        ({"function": "json:no_such_function"}, "module 'json' has no function 'no_such_function'"),
    ],
)
def test_python_metric_that_cannot_load(tmp_path: Path, options: dict[str, Any], message: str):
    with pytest.raises(UsageError) as caught:
        cheap_scorer(Metric("m", "python", None, options), tmp_path, "evals.metrics[3]")
    assert message in str(caught.value)
    assert caught.value.field == "evals.metrics[3].function"


def test_json_schema_that_is_not_a_schema(tmp_path: Path):
    with pytest.raises(UsageError, match="not a valid JSON Schema"):
        cheap_scorer(
            Metric("m", "json_schema", None, {"schema": {"type": 12}}), tmp_path, "evals.metrics[0]"
        )


# -- the judge's reply ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "scale", "score", "reason"),
    [
        ('{"score": 0.8, "reason": "grounded"}', 1, 0.8, "grounded"),
        ('```json\n{"score": 1, "reason": "ok"}\n```', 1, 1.0, "ok"),
        ('Here you go: {"score": 0, "reason": "wrong"} hope it helps', 1, 0.0, "wrong"),
        ('{"score": "0.5"}', 1, 0.5, ""),
        ('{"score": 4, "reason": "good"}', 5, 0.8, "good"),
        ("Score: 3\nReason: partly right", 5, 0.6, "partly right"),
        ("**Score:** 0.25\n**Reason:** thin", 1, 0.25, "thin"),
    ],
)
def test_judge_replies_that_parse(reply: str, scale: float, score: float, reason: str):
    assert parse_judge_reply(reply, scale) == (pytest.approx(score), reason)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("Looks great to me!", "no score in the reply"),
        ('{"reason": "fine"}', "the JSON reply has no `score`"),
        ('{"score": "high"}', "score 'high' is not a number"),
        ('{"score": true}', "score True is not a number"),
        ('{"score": 1.5}', "score 1.5 is outside 0–1 (set `scale`"),
        ('{"score": -1}', "score -1 is outside 0–1"),
        ("", "no score in the reply"),
    ],
)
def test_judge_replies_that_do_not(reply: str, message: str):
    with pytest.raises(ValueError) as caught:
        parse_judge_reply(reply)
    assert message in str(caught.value)


# -- metric options are checked when the prompt is validated (PR060) ---------------------------


def _with_metric(metric: str) -> str:
    return EVAL_PROMPT.replace("    - {name: accuracy, kind: exact, threshold: 0.5}\n", metric)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (
            "    - {name: a, kind: exact, ignorecase: true}\n",
            "evals.metrics[0].ignorecase: unknown option `ignorecase` for a `exact` metric; options: ignore_case, strip",
        ),
        (
            "    - {name: a, kind: exact, strip: 'yes'}\n",
            "evals.metrics[0].strip: must be true or false, not 'yes'",
        ),
        (
            "    - {name: a, kind: regex, pattern: '(unclosed'}\n",
            "evals.metrics[0].pattern: must be a valid regular expression",
        ),
        ("    - {name: a, kind: json_schema}\n", "a `json_schema` metric needs `schema`"),
        ("    - {name: a, kind: judge}\n", "a `judge` metric needs `rubric`"),
        (
            "    - {name: a, kind: judge, rubric: r.j2, model: gpt-4o}\n",
            'evals.metrics[0].model: must be a pinned model: "provider/name" or {provider, name, params}',
        ),
        (
            "    - {name: a, kind: judge, rubric: r.j2, scale: 0}\n",
            "evals.metrics[0].scale: must be a positive number",
        ),
        ("    - {name: a, kind: python, function: nocolon}\n", 'must be "module:function"'),
        ("    - {name: a, kind: json_valid, strip: true}\n", "options: strip_fences"),
    ],
)
def test_metric_options_are_checked(ws: Workspace, run, metric: str, message: str):
    ws.prompt("triage", _with_metric(metric))
    ws.write("evals/triage.jsonl", "")
    result = run("validate", "triage")
    assert result.code == 1
    assert "PR060" in result.out
    assert message in result.out
