"""Shell completion through the real entry point (click's protocol, as the shell script calls
it), and the top-level help listing each command's summary whole."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from promptreg.cli import cli
from tests.conftest import Workspace


def complete(*words: str, cwd: str | None = None) -> list[str]:
    """What bash completion offers for the last word of `promptreg WORDS...`."""
    env = {
        **os.environ,
        "_PROMPTREG_COMPLETE": "bash_complete",
        "COMP_WORDS": " ".join(("promptreg", *words)),
        "COMP_CWORD": str(len(words)),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "promptreg"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if line]


def test_prompt_names_environments_and_selectors_complete(ws: Workspace):
    ws.prompt("support/triage")
    ws.prompt("support/refund")
    ws.prompt("summarize")
    ws.write("promptreg.yaml", "prompts_dir: prompts\nenvironments: [dev, qa, prod]\n")
    assert complete("show", "sup") == ["support/refund", "support/triage"]
    assert complete("render", "") == ["summarize", "support/refund", "support/triage"]
    assert complete("promote", "summarize", "--to", "") == ["dev", "qa", "prod"]
    assert complete("rollback", "summarize", "--env", "p") == ["prod"]
    assert complete("export", "--env", "") == ["dev", "qa", "prod"]
    assert complete("show", "summarize@") == ["summarize@dev", "summarize@qa", "summarize@prod"]
    assert complete("diff", "summarize", "sum") == ["summarize"]
    assert complete("new", "sup") == []  # a new prompt's name is not one that exists
    assert "promote" in complete("pro")  # commands, as click always did


def test_completion_with_dash_c_and_outside_a_project(ws: Workspace, tmp_path):
    ws.prompt("triage")
    assert complete("-C", str(ws.root), "show", "tr", cwd=str(tmp_path)) == ["triage"]
    assert complete("show", "tr", cwd=str(tmp_path)) == []  # not a project: nothing, no error


def test_top_level_help_shows_every_summary_whole(run):
    result = run("--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    for name, command in cli.commands.items():
        summary = command.get_short_help_str(limit=10_000)
        assert not summary.endswith("..."), name
        assert f"{name} {summary}" in text, name
    hook = cli.commands["hook"]
    assert isinstance(hook, click.Group)
    sub = " ".join(run("hook", "--help").out.split())
    for name, command in hook.commands.items():
        assert f"{name} {command.get_short_help_str(limit=10_000)}" in sub
