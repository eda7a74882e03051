"""`promptreg eval --write`: the scores and what they were measured on go into the
front-matter, and every other byte of the file stays as it was."""

from __future__ import annotations

import json
import re

from promptreg.evals.provenance import metrics_hash
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.split import split_front_matter
from promptreg.project.project import Project
from tests.conftest import Workspace
from tests.evals_support import CASES, LABELLER, eval_project, jsonl, python_runner

COMMENTED = """\
---
# Leading comment: keep me.
version: 1.0.0
description: 'Label a ticket'   # quoted on purpose
inputs:
  ticket: {type: string, required: true}
model:
  provider: openai
  name: "gpt-4o-2024-08-06"
  params: {temperature: 0.0}
evals:
  # the golden set
  metrics:
    - {name: accuracy, kind: exact, threshold: 0.5}
    - name: has_label
      kind: contains
  dataset: evals/triage.jsonl
  scores: {accuracy: 0.1}   # written by promptreg eval --write
sample: {ticket: "hello"}
metadata: {z_last: 1, a_first: 2}
---
user:
Label this ticket: {{ ticket }}   \t
"""


def _scores_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  ")]


def test_write_changes_only_the_recorded_fields(ws: Workspace, run):
    eval_project(ws, COMMENTED)
    path = ws.prompts / "triage.prompt"
    runner = python_runner(ws, LABELLER)
    result = run("eval", "triage", "--runner", runner, "--write")
    assert result.code == 0, result.err
    assert "recorded the scores in prompts/triage.prompt" in result.out
    after = path.read_text(encoding="utf-8")
    prompt = Project.open().load("triage")
    dataset_hash = "sha256:" + __import__("hashlib").sha256(jsonl(CASES).encode()).hexdigest()
    stamp = re.search(r"^  evaluated_at: '(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'$", after, re.M)
    assert stamp is not None
    expected = COMMENTED.replace(
        "  scores: {accuracy: 0.1}   # written by promptreg eval --write\n",
        # the comment keeps its column when the line still fits before it; here it does not
        "  scores: {accuracy: 0.75, has_label: 0.75} # written by promptreg eval --write\n"
        f"  content_hash: {prompt.content_hash}\n"
        f"  dataset_hash: {dataset_hash}\n"
        f"  metrics_hash: {metrics_hash(prompt.spec.evals.metrics if prompt.spec.evals else ())}\n"
        f"  evaluated_at: '{stamp.group(1)}'\n"
        "  model: openai/gpt-4o-2024-08-06\n"
        # what produced the outputs: here a stub, recorded as one (not as the pinned model)
        "  runner:\n"
        "    kind: python\n"
        f"    function: {runner.removeprefix('python:')}\n",
    )
    assert after == expected
    evals = prompt.evals
    assert evals is not None
    assert evals.scores == {"accuracy": 0.75, "has_label": 0.75}
    assert evals.content_hash == prompt.content_hash
    assert evals.raw["dataset_hash"] == dataset_hash
    assert run("validate").code == 0
    assert run("check", "triage").code == 0


def test_write_updates_recorded_fields_in_place(ws: Workspace, run):
    eval_project(ws, COMMENTED)
    runner = python_runner(ws, LABELLER)
    assert run("eval", "triage", "--runner", runner, "--write").code == 0
    first = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    # a different model answer: only the score values (and the time) change
    ws.write("evals/triage.jsonl", jsonl([dict(c, expected="billing") for c in CASES]))
    assert run("eval", "triage", "--runner", runner, "--write").code == 1  # below threshold
    second = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    changed = [
        (a, b)
        for a, b in zip(first.splitlines(), second.splitlines(), strict=True)
        if a != b and not a.startswith("  evaluated_at:")
    ]
    assert [b for _, b in changed] == [
        "  scores: {accuracy: 0.25, has_label: 0.25} # written by promptreg eval --write",
        changed[1][1],
    ]
    assert changed[1][1].startswith("  dataset_hash: sha256:")


def test_write_adds_an_evals_scores_block_when_there_is_none(ws: Workspace, run):
    eval_project(ws)  # EVAL_PROMPT records no scores
    before = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    assert run("eval", "triage", "--runner", python_runner(ws, LABELLER), "--write").code == 0
    after = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    assert split_front_matter(after).body == split_front_matter(before).body
    added = after.splitlines()[len(before.split("---\n")[1].splitlines()) + 1 :]
    assert added[:2] == ["  scores:", "    accuracy: 0.75"]
    data = read_yaml(split_front_matter(after).front_matter).data
    assert list(data["evals"]) == [
        "dataset",
        "metrics",
        "scores",
        "content_hash",
        "dataset_hash",
        "metrics_hash",
        "evaluated_at",
        "model",
        "runner",
    ]


def test_write_is_refused_when_cases_got_no_output(ws: Workspace, run):
    eval_project(ws)
    before = (ws.prompts / "triage.prompt").read_bytes()
    flaky = python_runner(
        ws,
        "def answer(messages, model):\n"
        "    if 'crashes' in messages[-1]['content']:\n"
        "        raise TimeoutError('upstream')\n"
        "    return 'billing'\n",
    )
    result = run("eval", "triage", "--runner", flaky, "--write", "--json")
    assert result.code == 1
    assert json.loads(result.out)["written"] is False
    assert result.err.startswith(
        "promptreg: error: prompts/triage.prompt: 1 of 4 cases got no output "
        "(first: b: TimeoutError: upstream); scores not written."
    )
    assert (ws.prompts / "triage.prompt").read_bytes() == before


def test_scores_go_stale_when_the_body_or_a_partial_changes(ws: Workspace, run):
    prompt = COMMENTED.replace(
        "Label this ticket: {{ ticket }}",
        'Label this ticket: {{ ticket }} {% include "partials/tone.j2" %}',
    )
    eval_project(ws, prompt)
    assert run("eval", "triage", "--runner", python_runner(ws, LABELLER), "--write").code == 0
    assert run("check").code == 0
    assert "(fresh)" in run("show", "triage").out

    path = ws.prompts / "triage.prompt"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("Label this", "Label the"), encoding="utf-8")
    result = run("check")
    assert result.code == 1
    assert result.out.splitlines() == [
        "FAIL  triage",
        "      PR072 stale: scores were measured on other content (the body, a partial or the model "
        "changed since): run `promptreg eval triage --write`",
    ]
    path.write_text(original, encoding="utf-8")
    assert run("check").code == 0
    ws.write("prompts/partials/tone.j2", "Be very brief.\n")
    assert "stale:" in run("check").out
    # a front-matter edit outside the model block does not change what the model sees
    ws.write("prompts/partials/tone.j2", "Be brief.\n")
    path.write_text(original.replace("'Label a ticket'", "'Label tickets'"), encoding="utf-8")
    assert run("check").code == 0
