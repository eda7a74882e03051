"""Unknown names and directories are usage errors (exit 2) in every command, through the
real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace, commit, git


@pytest.mark.parametrize("command", [("history",), ("log",), ("history", "--json")])
def test_history_and_log_refuse_an_unknown_name(repo: Workspace, run, command):
    result = run(command[0], "nope", *command[1:])
    assert result.code == 2
    assert "no prompt named 'nope'" in result.err
    misspelt = run(command[0], "triag", *command[1:])
    assert misspelt.code == 2 and "did you mean triage?" in misspelt.err


def test_history_and_log_still_answer_for_a_known_name(repo: Workspace, run):
    assert run("log", "triage").code == 0
    never = run("history", "triage")
    assert never.code == 0 and "never been deployed" in never.err
    # a prompt deleted from the tree keeps its past: log and history still answer
    run("promote", "triage", "--to", "dev")
    git(repo.root, "rm", "-q", "prompts/triage.prompt")
    commit(repo, "retire triage")
    assert run("history", "triage").code == 0
    assert "retire triage" in run("log", "triage").out


def test_log_in_a_repository_without_commits_knows_the_tree(ws: Workspace, isolated_git, run):
    git(ws.root, "init", "-q")
    ws.prompt("triage")
    assert run("log", "triage").code == 0
    assert run("log", "nope").code == 2


@pytest.mark.parametrize("where", ["missing", "a-file"])
def test_dash_c_to_a_directory_that_is_not_there_is_a_usage_error(tmp_path: Path, run, where: str):
    target = tmp_path / where
    if where == "a-file":
        target.write_text("x")
    result = run("-C", str(target), "list")
    assert result.code == 2, result.err
    assert result.err.startswith("promptreg: error: cannot change to")
    assert "internal error" not in result.err
