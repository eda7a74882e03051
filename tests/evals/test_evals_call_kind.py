"""A runner is told which call it answers: the prompt's own ("prompt") or a judge's ("judge",
with the judge metric's name), so one stub can play both models. Old runners still work."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import Workspace
from tests.evals_support import CASES, EVAL_PROMPT, LABELLER, eval_project, python_runner

JUDGE_PROMPT = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n"
    "    - name: helpful\n"
    "      kind: judge\n"
    "      rubric: partials/helpful.j2\n"
    "      model: {provider: openai, name: gpt-4o-mini-2024-07-18}\n"
    "      threshold: 0.5\n",
)
RUBRIC = "Ticket: {{ inputs.ticket }}\nAnswer: {{ output }}\n"

# Answers by the call it is told it is: a label for the prompt, a full score for the judge.
# Each call is logged as `call metric model` to a file named by the test.
AWARE = """\
import threading
_lock = threading.Lock()

def answer(messages, model, *, call, metric=None):
    with _lock, open({log!r}, "a", encoding="utf-8") as log:
        log.write(f"{{call}} {{metric}} {{model.name}}\\n")
    if call == "judge":
        return '{{"score": 1, "reason": "told it is the judge"}}'
    ticket = messages[-1]["content"].split(": ", 1)[1]
    return ticket.split(":", 1)[0]
"""

COMMAND = """\
import json, os, sys
messages = json.load(sys.stdin)
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(f"{os.environ['PROMPTREG_CALL']} {os.environ.get('PROMPTREG_METRIC')} "
              f"{os.environ['PROMPTREG_MODEL']}\\n")
if os.environ["PROMPTREG_CALL"] == "judge":
    print('{"score": 1, "reason": "told it is the judge"}')
else:
    print(messages[-1]["content"].split(": ", 1)[1].split(":", 1)[0])
"""


def _judged_project(ws: Workspace) -> None:
    ws.write("prompts/partials/helpful.j2", RUBRIC)
    eval_project(ws, JUDGE_PROMPT)


def _scores(out: str) -> dict[str, list[float]]:
    data = json.loads(out)
    scores: dict[str, list[float]] = {}
    for case in data["cases"]:
        for name, score in case["scores"].items():
            assert score.get("error") is None, score
            scores.setdefault(name, []).append(score["score"])
    return scores


def _calls(log: Path) -> list[str]:
    return sorted(log.read_text(encoding="utf-8").splitlines())


EXPECTED_CALLS = sorted(
    ["prompt None gpt-4o-2024-08-06"] * len(CASES)
    + ["judge helpful gpt-4o-mini-2024-07-18"] * len(CASES)
)


def test_a_python_runner_is_told_prompt_calls_from_judge_calls(ws: Workspace, run):
    _judged_project(ws)
    log = ws.root / "calls.log"
    runner = python_runner(ws, AWARE.format(log=str(log)))
    result = run("eval", "triage", "--runner", runner, "--json", "--no-cache")
    assert result.code == 0, result.err
    assert _calls(log) == EXPECTED_CALLS
    assert _scores(result.out)["helpful"] == [1.0] * len(CASES)


def test_a_runner_taking_kwargs_is_told_too(ws: Workspace, run):
    _judged_project(ws)
    log = ws.root / "calls.log"
    body = AWARE.format(log=str(log)).replace("*, call, metric=None", "**extra")
    body = body.replace(
        "with _lock", "call, metric = extra['call'], extra['metric']\n    with _lock"
    )
    result = run("eval", "triage", "--runner", python_runner(ws, body), "--json", "--no-cache")
    assert result.code == 0, result.err
    assert _calls(log) == EXPECTED_CALLS


def test_a_command_runner_is_told_in_its_environment(ws: Workspace, run, monkeypatch):
    monkeypatch.setenv("PROMPTREG_METRIC", "inherited")  # must not leak into prompt calls
    _judged_project(ws)
    ws.write("stub.py", COMMAND)
    log = ws.root / "calls.log"
    runner = f"command:{sys.executable} stub.py {log}"
    result = run("eval", "triage", "--runner", runner, "--json", "--no-cache")
    assert result.code == 0, result.err
    assert _calls(log) == EXPECTED_CALLS
    assert _scores(result.out)["helpful"] == [1.0] * len(CASES)


def test_an_old_runner_without_the_keyword_still_works(ws: Workspace, run):
    _judged_project(ws)
    result = run("eval", "triage", "--runner", python_runner(ws, LABELLER), "--json")
    # Every case gets its output (no TypeError about `call`); the judge, answered with a label,
    # fails its threshold (exit 1) with malformed replies.
    assert result.code == 1, result.err
    data = json.loads(result.out)
    assert data["failed_cases"] == []
    assert all(c["scores"]["accuracy"].get("error") is None for c in data["cases"])
    errors = {c["scores"]["helpful"].get("error") for c in data["cases"]}
    assert all(e.startswith("malformed judge reply: no score") for e in errors), errors


def _kw(messages, model, *, call): ...
def _both(messages, model, call, metric=None): ...
def _positional(messages, model, call, /): ...
def _kwargs(messages, model, **extra): ...
def _old(messages, model): ...


def test_the_keywords_handed_are_the_ones_the_signature_takes():
    from promptreg.evals.runners import _keywords

    names = ("call", "metric")
    assert _keywords(_kw, names) == ("call",)
    assert _keywords(_both, names) == names
    assert _keywords(_positional, names) == ()  # cannot be passed by name
    assert _keywords(_kwargs, names) == names
    assert _keywords(_old, names) == ()
    assert _keywords(len, names) == ()
