"""The command and python runners, the runner names, and the retry loop around them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from promptreg.errors import UsageError
from promptreg.evals.calls import Caller
from promptreg.evals.runners import CallError, CommandRunner, Completion, PythonRunner
from promptreg.frontmatter.spec import ModelSpec
from promptreg.project.runner_spec import RunnerSpec, parse_runner
from tests.conftest import Workspace
from tests.evals_support import LABELLER, eval_project, python_runner

MODEL = ModelSpec("openai", "gpt-4o-2024-08-06", {"temperature": 0})
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi ✓"}]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("openai", RunnerSpec("openai")),
        ("openai:http://127.0.0.1:8000/v1", RunnerSpec("openai", "http://127.0.0.1:8000/v1")),
        ("command:python fake.py --x", RunnerSpec("command", "python fake.py --x")),
        ("python:pkg.mod:answer", RunnerSpec("python", "pkg.mod:answer")),
    ],
)
def test_runner_names(text: str, spec: RunnerSpec):
    assert parse_runner(text) == spec
    assert str(spec) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "anthropic",
            "is not a runner: use openai, openai:BASE_URL, command:CMD or python:MODULE:FUNCTION",
        ),
        ("openai:localhost:8000", "the base URL must start with http:// or https://"),
        ("command:", "give a shell command after `command:`"),
        ("python:mod", "'mod' is not MODULE:FUNCTION"),
        ("python:mod:fn:extra", "is not MODULE:FUNCTION"),
    ],
)
def test_bad_runner_names(text: str, message: str):
    with pytest.raises(ValueError) as caught:
        parse_runner(text)
    assert message in str(caught.value)


def test_bad_runner_on_the_command_line_is_a_usage_error(ws: Workspace, run):
    eval_project(ws)
    result = run("eval", "triage", "--runner", "ollama")
    assert result.code == 2
    assert result.err == (
        "promptreg: error: --runner: 'ollama' is not a runner: use openai, openai:BASE_URL, "
        "command:CMD or python:MODULE:FUNCTION\n"
    )


# -- command ---------------------------------------------------------------------------------


def test_command_runner_gets_messages_on_stdin_and_the_model_in_its_environment(tmp_path: Path):
    script = tmp_path / "echo.py"
    script.write_text(
        "import json, os, sys\n"
        "messages = json.load(sys.stdin)\n"
        "print(json.dumps({'messages': messages, 'model': os.environ['PROMPTREG_MODEL'],\n"
        "  'provider': os.environ['PROMPTREG_PROVIDER'],\n"
        "  'params': json.loads(os.environ['PROMPTREG_MODEL_PARAMS']), 'cwd': os.getcwd()}))\n",
        encoding="utf-8",
    )
    runner = CommandRunner(f"{sys.executable} echo.py", tmp_path)
    reply = runner.complete(MESSAGES, MODEL, timeout=10)
    assert reply.usage is None
    assert json.loads(reply.text) == {
        "messages": MESSAGES,
        "model": "gpt-4o-2024-08-06",
        "provider": "openai",
        "params": {"temperature": 0},
        "cwd": str(tmp_path),
    }
    assert runner.cache_id == f"command:{sys.executable} echo.py"


def test_command_output_keeps_all_but_one_trailing_newline(tmp_path: Path):
    reply = CommandRunner("printf 'a\\n\\nb\\n\\n'", tmp_path).complete(MESSAGES, MODEL, timeout=5)
    assert reply.text == "a\n\nb\n"


@pytest.mark.parametrize(
    ("command", "message", "retryable"),
    [
        ("echo oops >&2; exit 3", "command exited with status 3: oops", False),
        ("exit 75", "command exited with status 75", True),
        ("sleep 5", "timed out after 0.2s", True),
    ],
)
def test_command_failures(tmp_path: Path, command: str, message: str, retryable: bool):
    started = time.perf_counter()
    with pytest.raises(CallError) as caught:
        CommandRunner(command, tmp_path).complete(MESSAGES, MODEL, timeout=0.2)
    assert caught.value.message == message
    assert caught.value.retryable is retryable
    assert time.perf_counter() - started < 3  # the timeout kills the whole pipeline


def test_command_runner_end_to_end(ws: Workspace, run):
    eval_project(ws)
    ws.write(
        "label.py",
        "import json, sys\nticket = json.load(sys.stdin)[-1]['content'].split(': ', 1)[1]\n"
        "print(ticket.split(':', 1)[0])\n",
    )
    result = run("eval", "triage", "--runner", f"command:{sys.executable} label.py", "--json")
    data = json.loads(result.out)
    assert result.code == 0, result.err
    assert data["scores"] == {"accuracy": 0.75}
    assert data["usage"]["by_model"][0]["cost_usd"] is None  # a command reports no usage
    text = run("eval", "triage", "--runner", f"command:{sys.executable} label.py", "--no-cache")
    assert "cost unknown (gpt-4o-2024-08-06: the runner reports no token usage)" in text.out


# -- python ----------------------------------------------------------------------------------


def test_python_runner_end_to_end(ws: Workspace, run):
    eval_project(ws)
    result = run("eval", "triage", "--runner", python_runner(ws, LABELLER))
    assert result.code == 0, result.err
    assert result.out.splitlines()[2].split() == [
        "accuracy",
        "exact",
        "0.7500",
        "75.0%",
        "0.5",
        "ok",
    ]
    assert "d  0  expected 'nonsense', got 'other'" in result.out


def test_python_runner_from_the_config(ws: Workspace, run):
    eval_project(ws)
    runner = python_runner(ws, LABELLER)
    ws.write("promptreg.yaml", f"evals:\n  runner: {runner}\n")
    assert run("eval", "triage").code == 0


def test_python_runner_receives_messages_and_the_model(ws: Workspace):
    reference = python_runner(
        ws,
        "def answer(messages, model):\n    return f'{model.name}|{len(messages)}|{messages[1][\"content\"]}'\n",
    )
    runner = PythonRunner(reference.removeprefix("python:"), ws.root)
    assert runner.complete(MESSAGES, MODEL, timeout=1) == Completion("gpt-4o-2024-08-06|2|hi ✓")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def answer(messages, model):\n    raise KeyError('k')\n", "KeyError: 'k'"),
        (
            "def answer(messages, model):\n    return 42\n",
            "the runner function returned int, not a string",
        ),
    ],
)
def test_python_runner_failures_fail_the_case(ws: Workspace, run, body: str, message: str):
    eval_project(ws)
    result = run("eval", "triage", "--runner", python_runner(ws, body), "--json")
    assert result.code == 1
    assert json.loads(result.out)["failed_cases"][0]["error"] == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("import no_such_dependency_xyz\n", "cannot import"),
        ("x = 1\n", "has no function 'answer'"),
        ("def answer(:\n", "SyntaxError"),
    ],
)
def test_python_runner_that_cannot_load_is_a_usage_error(
    ws: Workspace, run, body: str, message: str
):
    eval_project(ws)
    result = run("eval", "triage", "--runner", python_runner(ws, body))
    assert result.code == 2
    assert message in result.err
    assert result.err.startswith("promptreg: error: runner: ")


# -- retries ------------------------------------------------------------------------------------


class Flaky:
    """Fails retryably `failures` times, then answers."""

    cache_id = "flaky"

    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.retry_after = retry_after

    def complete(self, messages, model, *, timeout, call="prompt", metric=None):
        self.calls += 1
        if self.calls <= self.failures:
            raise CallError("busy", retryable=True, retry_after=self.retry_after)
        return Completion("ok")


def test_backoff_doubles_and_honours_retry_after():
    delays: list[float] = []
    caller = Caller(Flaky(3), None, timeout=1, retries=3, backoff=1.0, sleep=delays.append)
    assert caller.call(MESSAGES, MODEL, {}).text == "ok"
    assert [round(d) for d in delays] == [1, 2, 4]
    assert all(d <= b * 1.1 for d, b in zip(delays, (1, 2, 4), strict=True))
    delays.clear()
    caller = Caller(
        Flaky(1, retry_after=7), None, timeout=1, retries=3, backoff=1.0, sleep=delays.append
    )
    caller.call(MESSAGES, MODEL, {})
    assert delays == [7]
    stats = caller.stats()
    assert (stats.requests, stats.retries, stats.failures) == (2, 1, 0)


def test_retries_give_up():
    runner = Flaky(10)
    caller = Caller(runner, None, timeout=1, retries=2, backoff=0, sleep=lambda d: None)
    with pytest.raises(CallError, match=r"^busy \(after 3 attempts\)$"):
        caller.call(MESSAGES, MODEL, {})
    assert runner.calls == 3


def test_a_missing_openai_package_is_a_clear_error(ws: Workspace, run, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # what `import openai` meets when absent
    eval_project(ws)
    result = run("eval", "triage", "--runner", "openai:http://127.0.0.1:9/v1")
    assert result.code == 2
    assert (
        "the openai runner needs the `openai` package: pip install 'git-promptreg[openai]'"
        in result.err
    )


def test_usage_error_type_for_runner_setup():
    with pytest.raises(UsageError):
        PythonRunner("not a reference", Path("."))
