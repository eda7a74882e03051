"""What a user expects of any command line: `--json` wherever something is reported, click's
own usage errors in promptreg's one-line form with exit 2, no colour unless on a terminal and
never with NO_COLOR, and words that agree with their numbers and with the gate."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from promptreg.cli._base import counted
from tests.conftest import Workspace
from tests.evals_support import LABELLER, eval_project, python_runner

ROOT = Path(__file__).resolve().parent.parent
FINDING_KEYS = {"path", "line", "code", "message"}


# -- --json --------------------------------------------------------------------------------


def test_new_and_bump_json(ws: Workspace, run):
    created = run("new", "billing/refund", "--json")
    assert created.code == 0, created.err
    assert json.loads(created.out) == {
        "name": "billing/refund",
        "path": "prompts/billing/refund.prompt",
    }
    bumped = run("bump", "billing/refund", "--minor", "--json")
    assert bumped.code == 0, bumped.err
    assert json.loads(bumped.out) == {
        "name": "billing/refund",
        "old": "0.1.0",
        "new": "0.2.0",
        "path": "prompts/billing/refund.prompt",
    }


def test_hook_json_lists_every_finding_and_keeps_the_exit_code(repo: Workspace, run):
    repo.prompt("triage", (repo.prompts / "triage.prompt").read_text().replace("}}", "}", 1))
    result = run("hook", "validate", "--json", "prompts/triage.prompt")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["ok"] is False and data["checked"] >= 1 and data["fixed"] == []
    assert {f["code"] for f in data["findings"]} == {"PR040"}
    assert all(set(f) == FINDING_KEYS for f in data["findings"])
    clean = run("hook", "no-secrets", "--json", "prompts/triage.prompt")
    assert clean.code == 0
    assert json.loads(clean.out)["ok"] is True


def test_export_json(repo: Workspace, run):
    assert run("promote", "triage", "--to", "dev").code == 0
    result = run("export", "--env", "dev", "-o", "bundle.json", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "env": "dev",
        "output": "bundle.json",
        "prompts": 1,
        "signature": None,
        "removed_signature": None,
    }
    assert (repo.root / "bundle.json").is_file()


# -- click's own usage errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--bogus"], "No such option '--bogus'. (see `promptreg list --help`)"),
        (["render"], "Missing argument 'NAME'. (see `promptreg render --help`)"),
        (["nonsense"], "No such command 'nonsense'. (see `promptreg --help`)"),
        (["validate", "--jobs", "x"], "Invalid value for '--jobs'"),
    ],
)
def test_click_usage_errors_are_one_line_exit_2(ws: Workspace, args: list[str], message: str):
    proc = subprocess.run(
        [sys.executable, "-m", "promptreg", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"promptreg: error: {message}")
    assert "Usage:" not in proc.stderr and "Traceback" not in proc.stderr


# -- colour -----------------------------------------------------------------------------------


def _on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """The command's output written to a real pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "promptreg", *args],
            stdout=follower,
            stderr=follower,
            env=env,
            check=False,
        )
    finally:
        os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return out


def test_no_color_is_honoured_on_a_terminal_and_pipes_are_plain(ws: Workspace):
    ws.prompt("triage")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\x1b[" in _on_a_terminal(["show", "triage"], env)  # bold on a terminal
    assert b"\x1b[" not in _on_a_terminal(["show", "triage"], {**env, "NO_COLOR": "1"})
    piped = subprocess.run(
        [sys.executable, "-m", "promptreg", "show", "triage"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert piped.returncode == 0
    assert b"\x1b" not in piped.stdout + piped.stderr


def test_make_demo_piped_to_a_file_has_no_escape_codes(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("GIT_")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PROMPTREG_DEMO_SITE"] = str(tmp_path / "site")  # where the demo ends: its site
    out = tmp_path / "demo.txt"
    with out.open("wb") as handle:
        proc = subprocess.run(
            ["sh", "scripts/demo.sh"], cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, env=env
        )
    text = out.read_bytes()
    assert proc.returncode == 0, text.decode(errors="replace")[-2000:]
    assert b"$ promptreg list" in text
    assert b"\x1b" not in text
    assert (tmp_path / "site" / "index.html").is_file()
    assert text.rstrip().endswith(
        f"{tmp_path / 'site'}/index.html (open it in a browser; no server needed)".encode()
    )


# -- wording ----------------------------------------------------------------------------------


def test_counts_agree_with_their_words():
    assert counted(1, "retry", "retries") == "1 retry"
    assert counted(0, "retry", "retries") == "0 retries"
    assert counted(1204, "prompt") == "1,204 prompts"
    assert counted(1, "request") == "1 request"


def test_show_never_calls_a_score_below_its_threshold_fresh(ws: Workspace, run):
    eval_project(ws)
    # The canned labeller gets 3 of 4 right: 0.75; a threshold of 0.9 fails it, freshly measured.
    ws.prompt(
        "triage",
        (ws.prompts / "triage.prompt").read_text().replace("threshold: 0.5", "threshold: 0.9"),
    )
    runner = python_runner(ws, LABELLER)
    assert run("eval", "triage", "--runner", runner, "--write").code == 1
    shown = run("show", "triage")
    assert "(fresh)" not in shown.out
    assert "BELOW THRESHOLD: accuracy 0.75 < 0.9" in shown.out
    assert run("check", "triage").code == 1  # the gate agrees


def test_a_fully_cached_run_says_no_cost_not_zero_dollars(ws: Workspace, run):
    eval_project(ws)
    runner = python_runner(ws, LABELLER)
    first = run("eval", "triage", "--runner", runner)
    assert "cost unknown (gpt-4o-2024-08-06: the runner reports no token usage)" in first.out
    again = run("eval", "triage", "--runner", runner)
    assert "4 answered from the cache" in again.out
    assert "$0.0000" not in again.out
    assert "no cost (every answer came from the cache)" in again.out
    assert "0 requests" in again.out and "0 retries" in again.out
