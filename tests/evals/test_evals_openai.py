"""The openai runner against a real loopback server speaking the chat-completions protocol,
driven by the real `openai` client: answers, usage and cost, retries on 429 and 5xx, the
per-request timeout, the cache, concurrency, and an LLM judge (well and badly behaved)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.evals_support import CASES, EVAL_PROMPT, Reply, eval_project, fake_openai, label_reply

FAST_RETRIES = "evals: {backoff: 0.01, retries: 3, timeout: 5}\n"


@pytest.fixture(autouse=True)
def _openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def _eval(run: Any, url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run("eval", "triage", "--runner", f"openai:{url}", "--json", *args)
    assert result.out, result.err
    return result.code, json.loads(result.out), result.err


def test_answers_usage_and_cost(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    eval_project(ws)
    with fake_openai() as server:
        code, data, _ = _eval(run, server.url)
    assert code == 0
    assert data["scores"] == {"accuracy": 0.75}
    assert server.count == 4
    request = server.requests[0]
    assert request["model"] == "gpt-4o-2024-08-06"
    assert request["temperature"] == 0  # model.params pass through
    assert request["messages"][0]["role"] == "user"
    usage = data["usage"]
    assert (usage["requests"], usage["cache_hits"], usage["retries"]) == (4, 0, 0)
    assert (usage["input_tokens"], usage["output_tokens"]) == (40, 8)
    # priced from the shipped table: gpt-4o-2024-08-06 is $2.50 / $10.00 per 1M tokens
    assert usage["cost_usd"] == pytest.approx((40 * 2.5 + 8 * 10.0) / 1e6)
    assert data["runner"] == f"openai:{server.url}/"


def test_a_second_run_is_served_from_the_cache(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    eval_project(ws)
    with fake_openai() as server:
        _eval(run, server.url)
        assert server.count == 4
        _, data, _ = _eval(run, server.url)
        assert server.count == 4  # zero requests the second time
        assert data["usage"]["cache_hits"] == 4
        assert data["usage"]["cost_usd"] == 0
        assert data["scores"] == {"accuracy": 0.75}
        _eval(run, server.url, "--no-cache")
        assert server.count == 8
        _eval(run, server.url)
        assert server.count == 8  # --no-cache stored its fresh answers for the next run
        # a body edit changes the content hash: every case is asked again
        path = ws.prompts / "triage.prompt"
        path.write_text(path.read_text().replace("Label this", "Label the"), encoding="utf-8")
        _eval(run, server.url)
        assert server.count == 12
    assert (ws.root / ".promptreg/cache/.gitignore").read_text().endswith("*\n")


def _rate_limited(request: dict[str, Any], nth: int) -> Reply:
    if "reset password" in request["messages"][-1]["content"] and nth <= 2:
        return 429, "slow down", 0.0
    return label_reply(request, nth)


def test_429s_are_retried_with_backoff_until_success(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    eval_project(ws)
    with fake_openai(_rate_limited) as server:
        code, data, _ = _eval(run, server.url)
    assert code == 0
    assert data["scores"] == {"accuracy": 0.75}
    assert data["usage"]["retries"] == 2
    assert server.count == 6
    assert data["failed_cases"] == []


def _server_error(request: dict[str, Any], nth: int) -> Reply:
    if "crashes" in request["messages"][-1]["content"]:
        return 500, "the server fell over", 0.0
    return label_reply(request, nth)


def test_500s_exhaust_the_retries_then_the_case_fails_and_the_run_goes_on(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    eval_project(ws)
    with fake_openai(_server_error) as server:
        code, data, _ = _eval(run, server.url)
        crashes = [r for r in server.requests if "crashes" in r["messages"][-1]["content"]]
    assert code == 1
    assert len(crashes) == 4  # one try and three retries
    [failed] = data["failed_cases"]
    assert failed["id"] == "b"
    assert failed["line"] == 2
    assert "HTTP 500" in failed["error"]
    assert "the server fell over" in failed["error"]
    assert "after 4 attempts" in failed["error"]
    assert data["scores"] == {"accuracy": 0.5}  # the failed case counts 0; the others ran


def test_a_client_error_is_not_retried(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    eval_project(ws)
    with fake_openai(lambda request, nth: (400, "bad parameter", 0.0)) as server:
        code, data, _ = _eval(run, server.url)
    assert code == 1
    assert server.count == 4
    assert all("HTTP 400" in f["error"] for f in data["failed_cases"])


def test_a_slow_reply_trips_the_timeout(ws: Workspace, run):
    ws.write("promptreg.yaml", "evals: {timeout: 0.3, retries: 1, backoff: 0.01}\n")
    eval_project(ws, cases=[CASES[0]])
    with fake_openai(lambda request, nth: (200, "billing", 3.0)) as server:
        started = time.perf_counter()
        code, data, _ = _eval(run, server.url)
        elapsed = time.perf_counter() - started
    assert code == 1
    assert elapsed < 2.5
    [failed] = data["failed_cases"]
    assert failed["error"] == "timed out after 0.3s (after 2 attempts)"
    assert server.count == 2


def test_requests_run_concurrently(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    cases = [
        {"id": str(i), "inputs": {"ticket": f"billing: n{i}"}, "expected": "billing"}
        for i in range(16)
    ]
    eval_project(ws, cases=cases)
    with fake_openai(lambda request, nth: (200, "billing", 0.25)) as server:
        started = time.perf_counter()
        code, _, _ = _eval(run, server.url, "--jobs", "16")
        elapsed = time.perf_counter() - started
    assert code == 0
    assert server.count == 16
    assert elapsed < 2.0  # one after another it would take 4 s


def test_no_key_and_no_server_is_a_usage_error(ws: Workspace, run, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    eval_project(ws)
    result = run("eval", "triage", "--runner", "openai")
    assert result.code == 2
    assert "OPENAI_API_KEY is not set" in result.err
    assert "Traceback" not in result.err


def test_an_unreachable_server_fails_each_case_clearly(ws: Workspace, run):
    ws.write("promptreg.yaml", "evals: {retries: 0}\n")
    eval_project(ws, cases=[CASES[0]])
    with fake_openai() as server:
        url = server.url
    code, data, _ = _eval(run, url)  # the server is gone now
    assert code == 1
    assert data["failed_cases"][0]["error"].startswith(f"cannot reach {url}/")


# -- the judge, through the same server ----------------------------------------------------------

JUDGE_PROMPT = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n"
    "    - name: helpful\n"
    "      kind: judge\n"
    "      rubric: partials/helpful.j2\n"
    "      model: {provider: openai, name: gpt-4o-mini-2024-07-18, params: {temperature: 0}}\n"
    "      threshold: 0.5\n",
)
RUBRIC = "Ticket: {{ inputs.ticket }}\nAnswer: {{ output }}\n{% if expected %}Expected: {{ expected }}{% endif %}\n"

JUDGE_REPLIES = {
    "billing": '{"score": 0.9, "reason": "right label"}',
    "bug": '```json\n{"score": 0.7, "reason": "terse"}\n```',
    "account": "I would say it is pretty good.",  # no score at all
    "other": '{"score": 7, "reason": "out of range"}',
}


def _judge(request: dict[str, Any], nth: int) -> Reply:
    messages = request["messages"]
    if messages[0]["content"].startswith("You are an impartial evaluator"):
        assert request["model"] == "gpt-4o-mini-2024-07-18"
        answer = messages[1]["content"].split("Answer: ", 1)[1].split("\n", 1)[0]
        return 200, JUDGE_REPLIES[answer], 0.0
    return label_reply(request, nth)


def test_a_judge_scores_and_malformed_replies_fail_only_their_case(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    ws.write("prompts/partials/helpful.j2", RUBRIC)
    cases = [dict(c, human_score=h) for c, h in zip(CASES, (1.0, 0.5, 0.8, 0.0), strict=True)]
    eval_project(ws, JUDGE_PROMPT, cases)
    with fake_openai(_judge) as server:
        code, data, _ = _eval(run, server.url)
    assert server.count == 8  # four answers, four judgements
    judged = sorted(
        r["messages"][1]["content"]
        for r in server.requests
        if r["model"] == "gpt-4o-mini-2024-07-18"
    )
    assert judged[0] == "Ticket: account: reset password\nAnswer: account\nExpected: account"
    scores = {c["id"]: c["scores"]["helpful"] for c in data["cases"]}
    assert scores["a"] == {"score": 0.9, "reason": "right label", "error": None}
    assert scores["b"] == {"score": 0.7, "reason": "terse", "error": None}
    assert scores["c"]["score"] == 0
    assert scores["c"]["error"].startswith("malformed judge reply: no score in the reply")
    assert "'I would say it is pretty good.'" in scores["c"]["error"]
    assert scores["d"]["error"].startswith("malformed judge reply: score 7 is outside 0–1")
    helpful = next(m for m in data["metrics"] if m["name"] == "helpful")
    assert helpful["mean"] == 0.4
    assert helpful["errors"] == 2
    assert helpful["passed"] is False
    assert code == 1
    assert data["failed_cases"] == []  # every case had an output; the judge failed on two
    # agreement is measured on the cases the judge could score: a (0.9 vs 1.0), b (0.7 vs 0.5)
    [agreement] = data["agreement"]
    assert agreement == {"metric": "helpful", "cases": 2, "spearman": 1.0, "mae": 0.15}
    # tokens are totalled per model
    by_model = {m["model"]: m for m in data["usage"]["by_model"]}
    assert by_model["gpt-4o-mini-2024-07-18"]["requests"] == 4
    assert by_model["gpt-4o-2024-08-06"]["input_tokens"] == 40


def test_judge_text_output(ws: Workspace, run):
    ws.write("promptreg.yaml", FAST_RETRIES)
    ws.write("prompts/partials/helpful.j2", RUBRIC)
    cases = [dict(c, human_score=h) for c, h in zip(CASES, (1.0, 0.5, 0.8, 0.0), strict=True)]
    eval_project(ws, JUDGE_PROMPT, cases)
    with fake_openai(_judge) as server:
        result = run("eval", "triage", "--runner", f"openai:{server.url}")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("triage 1.0.0 on evals/triage.jsonl (4 cases) via openai:")
    assert lines[1].split() == ["METRIC", "KIND", "SCORE", "PASS", "RATE", "THRESHOLD", "RESULT"]
    assert lines[2].split() == ["accuracy", "exact", "0.7500", "75.0%", "0.5", "ok"]
    assert lines[3].split() == ["helpful", "judge", "0.4000", "50.0%", "0.5", "BELOW"]
    assert "judge `helpful` against human scores (2 cases): Spearman 1.00" in result.out
    assert "8 requests, 0 answered from the cache, 0 retries; tokens 80 in, 16 out" in result.out
