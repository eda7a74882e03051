"""A small registry with a history, for the site and review tests: two prompts, three
evaluated versions of one (real `promptreg eval --write` with a python runner), promotions,
a rollback, and user text full of markup in every place a user writes (description, owners,
metadata, prompt body, sample, deployment reason)."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import VALID_PROMPT, Result, Workspace, commit, git
from tests.evals_support import CASES, jsonl, python_runner

XSS = "<script>alert(1)</script>"

HOSTILE_PROMPT = f"""\
---
version: 1.0.0
description: "Label a ticket {XSS}"
owners: ["<b>eve</b>", "ada@example.com"]
model:
  provider: openai
  name: gpt-4o-2024-08-06
  params: {{temperature: 0}}
inputs:
  ticket: {{type: string, required: true, description: "the <i>ticket</i>"}}
sample: {{ticket: "billing: {XSS}"}}
metadata: {{team: "<img src=x onerror=alert(2)>"}}
evals:
  dataset: evals/triage.jsonl
  metrics:
    - {{name: accuracy, kind: exact, threshold: 0.5}}
---
system:
Never output {XSS} or </pre> as such.

user:
Label this ticket: {{{{ ticket }}}}
"""

# The canned model: the label is the ticket's text up to its first colon (3 of 4 right).
LABELLER = """\
def answer(messages, model):
    ticket = messages[-1]["content"].split(": ", 1)[1]
    return ticket.split(":", 1)[0]
"""

REASON = f'hotfix {XSS} "quoted" & more'


def build_site_repo(ws: Workspace, run: Callable[..., Result]) -> dict[str, str]:
    """Returns the versions by role: first, second, third."""
    git(ws.root, "init", "-q")
    ws.write("promptreg.yaml", "prompts_dir: prompts\nenvironments: [dev, staging, prod]\n")
    ws.prompt("support/triage", HOSTILE_PROMPT)
    ws.prompt("summarize", VALID_PROMPT)
    ws.write("evals/triage.jsonl", jsonl(CASES))
    runner = python_runner(ws, LABELLER)

    def ok(*args: str) -> None:
        result = run(*args)
        assert result.code == 0, (args, result.out, result.err)

    ok("eval", "support/triage", "--runner", runner, "--write")
    commit(ws, "triage 1.0.0")
    for env in ("dev", "staging", "prod"):
        ok("promote", "support/triage", "--to", env)
    ok("promote", "summarize", "--to", "dev")
    path = ws.prompts / "support/triage.prompt"
    for version, change in (("1.1.0", "Label this ticket"), ("1.2.0", "Label the ticket")):
        text = path.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}")
        text = text.replace("version: 1.1.0", f"version: {version}")
        text = text.replace("Label this ticket", change + " carefully")
        path.write_text(text, encoding="utf-8")
        ok("eval", "support/triage", "--runner", runner, "--write")
        commit(ws, f"triage {version}")
        ok("promote", "support/triage", "--to", "dev")
        if version == "1.1.0":
            ok("promote", "support/triage", "--to", "staging")
    ok("rollback", "support/triage", "--env", "dev", "--reason", REASON)
    return {"first": "1.0.0", "second": "1.1.0", "third": "1.2.0"}
