"""The CLI end to end, through the real entry point, on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from promptreg.project.project import Project
from tests.conftest import VALID_PROMPT, Workspace

BIG_BUDGET_PROMPT = VALID_PROMPT.replace(
    "sample:", "budget: {max_input_tokens: 40, max_output_tokens: 10}\nsample:"
).replace("max_chars: 200", "max_chars: 5000")


def test_version(run):
    result = run("--version")
    assert result.code == 0
    assert result.out.startswith("promptreg 0.")


def test_python_dash_m_runs_the_cli(ws: Workspace):
    ws.prompt("triage")
    proc = subprocess.run(
        [sys.executable, "-m", "promptreg", "validate"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 prompt checked, no findings" in proc.stderr


def test_init_creates_a_valid_project_and_never_clobbers(
    tmp_path: Path, run, monkeypatch, isolated_git
):
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    first = run("init")
    assert first.code == 0
    for created in ("promptreg.yaml", "prompts/hello.prompt", "prompts/partials/style.j2"):
        assert (tmp_path / created).is_file()
        assert f"created        {created}" in first.out
    assert run("validate").code == 0
    (tmp_path / "prompts/hello.prompt").write_text("mine", encoding="utf-8")
    second = run("init")
    assert second.code == 0
    assert "kept existing  prompts/hello.prompt" in second.out
    assert (tmp_path / "prompts/hello.prompt").read_text(encoding="utf-8") == "mine"
    assert "kept existing  .pre-commit-config.yaml" in second.out


def test_new_creates_a_prompt_that_validates(ws: Workspace, run):
    result = run("new", "billing/refund", "--description", "Decide on a refund")
    assert result.code == 0, result.err
    path = ws.prompts / "billing" / "refund.prompt"
    assert "Decide on a refund" in path.read_text(encoding="utf-8")
    assert run("validate", "billing/refund").code == 0
    again = run("new", "billing/refund")
    assert again.code == 2
    assert "already exists" in again.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("new", "Bad Name"), "invalid name segment"),
        (("new", "ok", "--model", "gpt-4o"), "PROVIDER/NAME"),
        (("render", "missing"), "no prompt named 'missing'"),
        (("render", "triag"), "did you mean triage?"),
        (("render", "triage@prod"), "is not inside a git repository"),
        (("render", "triage", "--set", "novalue"), "expected NAME=VALUE"),
        (("render", "triage", "--set", "nope=1"), "input `nope`: unknown input"),
        (("render", "triage"), "input `ticket`: is required"),
        (("render", "triage", "--set", "ticket=x", "--set", "tier=gold"), "not one of"),
        (("show", "nothing"), "no prompt named"),
        (("validate", "nothing"), "no prompt named"),
    ],
)
def test_usage_errors_exit_2_with_one_line(ws: Workspace, run, args, message):
    ws.prompt("triage")
    result = run(*args)
    assert result.code == 2, result
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.err.startswith("promptreg: error: ")


def test_list_text_and_json(ws: Workspace, run):
    ws.prompt("support/triage")
    ws.prompt("broken", "---\nversion: 1\n---\n")
    text = run("list")
    assert text.code == 1  # one prompt is invalid
    assert "support/triage  1.0.0    openai/gpt-4o-2024-08-06  Classify a ticket" in text.out
    assert "INVALID" in text.out
    data = json.loads(run("list", "--json").out)
    by_name = {p["name"]: p for p in data["prompts"]}
    assert by_name["support/triage"]["valid"] is True
    assert by_name["support/triage"]["model"] == {
        "provider": "openai",
        "name": "gpt-4o-2024-08-06",
        "params": {"temperature": 0.2},
    }
    assert by_name["broken"]["valid"] is False
    assert by_name["broken"]["findings"] >= 1


def test_list_says_when_there_is_nothing(ws: Workspace, run):
    result = run("list")
    assert result.code == 0
    assert "no prompts under prompts/" in result.err


def test_show_json_reports_hash_tokens_and_cost(ws: Workspace, run):
    ws.write(
        "promptreg.yaml",
        "pricing:\n  as_of: '2026-11-01'\n  models:\n"
        "    gpt-4o-2024-08-06: {input: 1000000, output: 0}\n",
    )
    ws.prompt("triage", BIG_BUDGET_PROMPT)
    result = run("show", "triage", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["content_hash"] == Project.open().load("triage").content_hash
    assert data["partials"] == ["partials/tone.j2"]
    tokens = data["sample_tokens"]
    assert tokens["exact"] is True and tokens["method"] == "o200k_base"
    # A price of $1 per token makes the cost equal to the token count.
    assert data["cost"]["usd_per_call"] == pytest.approx(tokens["tokens"])
    assert data["cost"]["prices_as_of"] == "2026-11-01"
    assert data["inputs"]["tier"] == {
        "type": "string",
        "required": False,
        "default": "free",
        "enum": ["free", "pro"],
    }


def test_show_text(ws: Workspace, run):
    ws.prompt("triage")
    result = run("show", "triage")
    assert result.code == 0
    for fragment in ("triage 1.0.0", "content hash   sha256:", "sample tokens", "includes"):
        assert fragment in result.out


def test_validate_json_and_exit_codes(ws: Workspace, run):
    ws.prompt("good")
    ws.prompt("bad", VALID_PROMPT.replace("{{ ticket }}", "{{ ticket }} {{ other }}"))
    result = run("validate", "--json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["ok"] is False and data["files"] == 2
    assert data["findings"] == [
        {
            "path": "prompts/bad.prompt",
            "line": 17,
            "col": 1,
            "code": "PR041",
            "rule": "template uses a variable not declared in `inputs`",
            "severity": "error",
            "message": "template uses `other`, which is not declared under `inputs`",
        }
    ]
    assert run("validate", "good").code == 0
    assert run("validate", "prompts/good.prompt").code == 0


def test_validate_a_partial_checks_the_prompts_that_include_it(ws: Workspace, run):
    ws.prompt("uses")
    ws.prompt("plain", VALID_PROMPT.replace('{% include "partials/tone.j2" %}', ""))
    ws.write("prompts/partials/tone.j2", "Be brief. {{ undeclared }}\n")
    result = run("validate", "prompts/partials/tone.j2")
    assert result.code == 1
    assert "prompts/uses.prompt" in result.out
    assert "plain" not in result.out
    assert "1 prompt checked" in result.err


def test_render_sample_text_and_json(ws: Workspace, run):
    ws.prompt("triage")
    text = run("render", "triage", "--sample")
    assert text.code == 0
    assert (
        text.out
        == "── system ──\nYou triage tickets. Be brief.\n\n── user ──\n(free) My invoice is wrong\n"
    )
    data = json.loads(run("render", "triage", "--sample", "--set", "tier=pro", "--json").out)
    assert data["kind"] == "chat"
    assert data["messages"][1] == {"role": "user", "content": "(pro) My invoice is wrong"}
    assert data["text"] is None
    assert data["tokens"]["exact"] is True


def test_render_vars_file_and_stdin(ws: Workspace, run):
    ws.prompt("triage")
    ws.write("vars.yaml", "ticket: |\n  line one\n  line two\ntier: pro\n")
    result = run("render", "triage", "--vars", "vars.yaml", "--json")
    assert json.loads(result.out)["messages"][1]["content"] == "(pro) line one\nline two\n"
    proc = subprocess.run(
        [sys.executable, "-m", "promptreg", "render", "triage", "--vars", "-", "--json"],
        input='{"ticket": "from stdin"}',
        capture_output=True,
        text=True,
    )
    assert json.loads(proc.stdout)["messages"][1]["content"] == "(free) from stdin"
    ws.write("bad.yaml", "ticket: [unclosed\n")
    bad = run("render", "triage", "--vars", "bad.yaml")
    assert bad.code == 2
    assert bad.err.startswith("promptreg: error: bad.yaml:")


def test_render_set_is_typed_by_the_declaration(ws: Workspace, run):
    ws.prompt(
        "typed",
        "---\nversion: 1.0.0\nmodel: {provider: openai, name: gpt-4o-2024-08-06}\n"
        "inputs:\n  n: {type: integer, required: true}\n  flag: {type: boolean, default: false}\n"
        "  items: {type: array, default: []}\n"
        "sample: {n: 1}\n---\n{{ n + 1 }} {{ flag }} {{ items | join(',') }}\n",
    )
    result = run(
        "render", "typed", "--set", "n=41", "--set", "flag=true", "--set", 'items=["a","b"]'
    )
    assert result.code == 0, result.err
    assert result.out == "42 True a,b\n"
    bad = run("render", "typed", "--set", "n=four")
    assert bad.code == 2
    assert "'four' is not an integer" in bad.err


def test_render_refuses_input_over_the_token_budget(ws: Workspace, run):
    ws.prompt("triage", BIG_BUDGET_PROMPT)
    result = run("render", "triage", "--set", "ticket=" + "lorem ipsum dolor " * 50)
    assert result.code == 1
    assert "budget.max_input_tokens" in result.err
    assert "over the budget of 40" in result.err


def test_bad_config_is_a_usage_error_naming_file_line_and_field(ws: Workspace, run):
    ws.write("promptreg.yaml", "prompts_dir: prompts\nenvironments: [dev, Prod]\n")
    result = run("list")
    assert result.code == 2
    assert result.err.strip() == (
        "promptreg: error: promptreg.yaml:2: environments.1: 'Prod' is not an environment name "
        "(lower-case letter first, then a-z 0-9 _ -)"
    )


def test_debug_shows_the_traceback(ws: Workspace, run):
    assert "Traceback" not in run("render", "nothing").err
    assert "Traceback" in run("--debug", "render", "nothing").err


def test_directory_option(ws: Workspace, run, monkeypatch, tmp_path):
    ws.prompt("triage")
    monkeypatch.chdir(tmp_path)
    assert run("-C", str(ws.root), "validate").code == 0
