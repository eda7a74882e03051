"""Helpers for the evals tests: a prompt with evals, its dataset, and a real loopback server
speaking the OpenAI chat-completions protocol."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import Workspace

EVAL_PROMPT = """\
---
version: 1.0.0
description: Label a ticket
model:
  provider: openai
  name: gpt-4o-2024-08-06
  params: {temperature: 0}
inputs:
  ticket: {type: string, required: true}
sample: {ticket: "hello"}
evals:
  dataset: evals/triage.jsonl
  metrics:
    - {name: accuracy, kind: exact, threshold: 0.5}
---
user:
Label this ticket: {{ ticket }}
"""

CASES = [
    {"id": "a", "inputs": {"ticket": "billing: charged twice"}, "expected": "billing"},
    {"id": "b", "inputs": {"ticket": "bug: app crashes"}, "expected": "bug"},
    {"id": "c", "inputs": {"ticket": "account: reset password"}, "expected": "account"},
    {"id": "d", "inputs": {"ticket": "other: hello"}, "expected": "nonsense"},
]


def jsonl(cases: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(c) + "\n" for c in cases)


def eval_project(
    ws: Workspace, prompt: str = EVAL_PROMPT, cases: list[dict[str, Any]] | None = None
) -> None:
    ws.prompt("triage", prompt)
    ws.write("evals/triage.jsonl", jsonl(CASES if cases is None else cases))


def python_runner(ws: Workspace, body: str) -> str:
    """Write a module defining `answer(messages, model)`; returns `python:MODULE:answer`.
    Module names are unique per test: imported modules stay in `sys.modules`."""
    module = f"fake_model_{uuid.uuid4().hex[:12]}"
    ws.write(f"{module}.py", body)
    return f"python:{module}:answer"


# The canned model: the label is the ticket's text up to its first colon.
LABELLER = """\
def answer(messages, model):
    ticket = messages[-1]["content"].split(": ", 1)[1]
    return ticket.split(":", 1)[0]
"""


Reply = tuple[int, Any, float]  # (HTTP status, JSON body or content string, delay in seconds)


@dataclass
class FakeOpenAI:
    """Counts requests, and answers each with `behave(request_json, nth_time_seen)`."""

    url: str
    behave: Callable[[dict[str, Any], int], Reply]
    requests: list[dict[str, Any]]
    seen: Counter[str]

    @property
    def count(self) -> int:
        return len(self.requests)


def completion(content: str, model: str = "m", usage: tuple[int, int] = (10, 2)) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def label_reply(request: dict[str, Any], nth: int) -> Reply:
    """The default behaviour: the label before the first colon of the ticket."""
    text = request["messages"][-1]["content"]
    return 200, text.split(": ", 1)[1].split(":", 1)[0], 0.0


@contextmanager
def fake_openai(
    behave: Callable[[dict[str, Any], int], Reply] = label_reply,
) -> Iterator[FakeOpenAI]:
    state = FakeOpenAI("", behave, [], Counter())
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = json.dumps(body["messages"], sort_keys=True)
            with lock:
                state.requests.append(body)
                state.seen[key] += 1
                nth = state.seen[key]
            assert self.path == "/v1/chat/completions", self.path
            status, payload, delay = state.behave(body, nth)
            if delay:
                time.sleep(delay)
            if status == 200 and isinstance(payload, str):
                payload = completion(payload, body["model"])
            elif status != 200:
                payload = {"error": {"message": str(payload), "type": "test", "code": None}}
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
