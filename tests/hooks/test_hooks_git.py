"""The hooks on real git repositories: through the CLI, and as plain git hooks run by a real
`git commit` / `git push` (no pre-commit framework here; see test_hooks_precommit.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from promptreg.project.project import Project
from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import deployment_message
from tests.conftest import VALID_PROMPT, Workspace, bump, commit, git

CHANGE = ("You triage tickets.", "You triage tickets carefully.")


def git_run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """git, with its exit status and output for the test to look at (hooks print there)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, input=stdin, check=False
    )


def install(repo: Workspace, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promptreg", "install-hooks", *extra],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )


# -- the CLI -----------------------------------------------------------------------------------


def test_version_bump_reads_the_index_not_the_working_tree(repo: Workspace, run):
    bump(repo, "triage", "1.0.0", CHANGE)
    git(repo.root, "add", "-A")
    bump(repo, "triage", "1.0.1")  # bumped on disk only: the commit would not carry it
    result = run("hook", "version-bump")
    assert result.code == 1
    assert result.out == (
        "prompts/triage.prompt:2: PR070 triage: content changed since HEAD (body) but the "
        "version is still 1.0.0: bump it to 1.0.1 (`promptreg bump triage`, or run the hook "
        "with --fix)\n"
    )
    git(repo.root, "add", "-A")
    assert run("hook", "version-bump").code == 0


def test_fix_rewrites_the_version_only(repo: Workspace, run):
    bump(repo, "triage", "1.0.0", CHANGE)
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump", "--fix", "prompts/triage.prompt")
    assert result.code == 1  # a fixer fails so the fix is looked at and staged
    assert result.out == "prompts/triage.prompt: fixed: version 1.0.0 → 1.0.1\n"
    text = (repo.prompts / "triage.prompt").read_text(encoding="utf-8")
    assert text == VALID_PROMPT.replace("1.0.0", "1.0.1").replace(*CHANGE)
    git(repo.root, "add", "-A")
    assert run("hook", "version-bump", "prompts/triage.prompt").code == 0


def test_a_lower_version_fails_and_a_new_prompt_starts_anywhere(repo: Workspace, run):
    bump(repo, "triage", "0.9.0")
    repo.prompt("fresh", VALID_PROMPT.replace("1.0.0", "0.0.1"))
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump")
    assert result.code == 1
    assert result.out.splitlines() == [
        "prompts/triage.prompt:2: PR071 triage: version 0.9.0 is lower than 1.0.0 at HEAD: "
        "versions only go up; use 1.0.1 or higher"
    ]


def test_a_partial_puts_the_prompts_including_it_under_the_check(repo: Workspace, run):
    repo.write("prompts/partials/tone.j2", "Be very brief.\n")
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump", "prompts/partials/tone.j2")
    assert result.code == 1
    assert "triage: content changed since HEAD (partials/tone.j2)" in result.out


def test_base_and_ci_refs(repo: Workspace, run, monkeypatch: pytest.MonkeyPatch):
    main = git(repo.root, "rev-parse", "HEAD").strip()
    git(repo.root, "checkout", "-q", "-b", "feature")
    bump(repo, "triage", "1.0.0", CHANGE)
    commit(repo, "change without a bump")
    repo.write("notes.txt", "unrelated\n")
    commit(repo, "second commit")
    assert run("hook", "version-bump").code == 0  # HEAD against the index: nothing changed
    assert "PR070" in run("hook", "version-bump", "--base", "main").out
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", main)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", "HEAD")
    result = run("hook", "version-bump")
    assert result.code == 1 and "since " + main in result.out
    bad = run("hook", "version-bump", "--base", "no-such-branch")
    assert bad.code == 2 and "--base 'no-such-branch' does not name a commit" in bad.err


def test_evals_fresh(repo: Workspace, run):
    dataset = '{"inputs": {"ticket": "x"}, "expected": "y"}\n'
    repo.write("evals/triage.jsonl", dataset)
    evals = (
        "evals:\n  dataset: evals/triage.jsonl\n"
        "  metrics:\n    - {name: accuracy, kind: exact, threshold: 0.9}\n"
        "  scores: {accuracy: SCORE}\n  content_hash: HASH\n"
        f"  dataset_hash: sha256:{hashlib.sha256(dataset.encode()).hexdigest()}\n"
    )
    text = VALID_PROMPT.replace("---\nsystem:", evals + "---\nsystem:")
    repo.prompt("triage", text.replace("SCORE", "0.95").replace("HASH", "sha256:" + "0" * 64))
    fresh = Project.open().load("triage").content_hash
    repo.prompt("triage", text.replace("SCORE", "0.95").replace("HASH", fresh))
    git(repo.root, "add", "-A")
    assert run("hook", "evals-fresh").code == 0
    repo.prompt("triage", text.replace("SCORE", "0.5").replace("HASH", fresh))
    git(repo.root, "add", "-A")
    low = run("hook", "evals-fresh", "prompts/triage.prompt")
    assert low.code == 1
    assert "prompts/triage.prompt:16: PR073 triage: below threshold: `accuracy` 0.5" in low.out
    repo.prompt("triage", text.replace("SCORE", "0.95").replace("HASH", fresh).replace(*CHANGE))
    git(repo.root, "add", "-A")
    stale = run("hook", "evals-fresh", "prompts/triage.prompt")
    assert stale.code == 1
    assert "prompts/triage.prompt:17: PR072 triage: stale: scores were measured" in stale.out


def test_no_secrets_scans_what_is_staged(repo: Workspace, run):
    key = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"
    repo.write("prompts/partials/tone.j2", f"Be brief.\nkey: {key}\n")
    assert run("hook", "no-secrets").code == 0  # not staged: not about to be committed
    git(repo.root, "add", "-A")
    result = run("hook", "no-secrets")
    assert result.code == 1
    assert result.out.startswith("prompts/partials/tone.j2:2: PR074 OpenAI API key sk-p…(")
    assert key not in result.out


def test_bump_command(repo: Workspace, run):
    assert run("bump", "triage").out == "bumped triage 1.0.0 → 1.0.1  (prompts/triage.prompt)\n"
    assert "1.0.1 → 1.1.0" in run("bump", "triage", "--minor").out
    assert "1.1.0 → 2.0.0" in run("bump", "prompts/triage.prompt", "--major").out
    assert run("bump", "nope").code == 2


# -- plain git hooks ---------------------------------------------------------------------------


def test_the_plain_pre_commit_hook_in_a_real_commit(repo: Workspace):
    installed = install(repo)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith("installed")
    bump(repo, "triage", "1.0.0", CHANGE)
    git(repo.root, "add", "-A")
    refused = git_run(repo.root, "commit", "-m", "no bump")
    assert refused.returncode == 1
    assert "PR070 triage: content changed since HEAD (body)" in refused.stdout + refused.stderr
    bump(repo, "triage", "1.0.1")
    git(repo.root, "add", "-A")
    done = git_run(repo.root, "commit", "-m", "bumped")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_hook_reads_the_index_git_commit_hands_it(repo: Workspace):
    """`git commit -a` and `git commit PATH` commit a temporary index, named by
    GIT_INDEX_FILE: the hook must judge that, not .git/index."""
    assert install(repo).returncode == 0
    # -a: the unbumped change is only in the working tree, and -a commits it.
    bump(repo, "triage", "1.0.0", CHANGE)
    refused = git_run(repo.root, "commit", "-a", "-m", "all")
    assert refused.returncode == 1 and "PR070" in refused.stdout + refused.stderr
    # PATH: the unbumped change is staged, but this commit takes only other.prompt.
    git(repo.root, "add", "-A")
    repo.prompt("other")
    git(repo.root, "add", "prompts/other.prompt")
    only = git_run(repo.root, "commit", "-m", "only other", "--", "prompts/other.prompt")
    assert only.returncode == 0, only.stdout + only.stderr
    assert git(repo.root, "show", "--name-only", "--format=", "HEAD").split() == [
        "prompts/other.prompt"
    ]


def test_install_hooks_respects_an_existing_hook_and_core_hookspath(repo: Workspace):
    hooks = repo.root / "my-hooks"
    hooks.mkdir()
    git(repo.root, "config", "core.hooksPath", "my-hooks")
    mine = "#!/bin/sh\necho mine\n"
    (hooks / "pre-commit").write_text(mine, encoding="utf-8")
    refused = install(repo)
    assert refused.returncode == 1
    assert "a hook promptreg did not write is already there" in refused.stderr
    assert (hooks / "pre-commit").read_text(encoding="utf-8") == mine
    assert not (hooks / "pre-push").exists()  # a refusal changes nothing
    forced = install(repo, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (hooks / "pre-commit.promptreg-backup").read_text(encoding="utf-8") == mine
    assert f"PROMPTREG_PYTHON={sys.executable}" in (hooks / "pre-commit").read_text("utf-8")
    assert os.access(hooks / "pre-push", os.X_OK)
    again = install(repo)
    assert again.returncode == 0
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged", "unchanged"]
    assert not (repo.root / ".git" / "hooks" / "pre-commit").exists()


EVALS = """\
evals:
  dataset: evals/triage.jsonl
  metrics:
    - {name: accuracy, kind: exact, threshold: 0.9}
  scores: {accuracy: 0.95}
  content_hash: sha256:0000000000000000000000000000000000000000000000000000000000000000
"""


def test_pre_push_refuses_a_deployment_tag_whose_gate_fails(repo: Workspace, run):
    remote = repo.root.parent / "remote.git"
    git(repo.root.parent, "init", "-q", "--bare", str(remote))
    git(repo.root, "remote", "add", "origin", str(remote))
    repo.write("evals/triage.jsonl", '{"inputs": {"ticket": "x"}, "expected": "y"}\n')
    repo.prompt("triage", VALID_PROMPT.replace("---\nsystem:", EVALS + "---\nsystem:"))
    commit(repo, "stale scores")
    assert install(repo).returncode == 0
    assert git_run(repo.root, "push", "-q", "origin", "main").returncode == 0  # no tags: fine
    # promote itself refuses this deployment; a tag made by hand (or by an older promptreg)
    # is what the hook is for.
    assert run("promote", "triage", "--to", "dev").code == 1
    head = git(repo.root, "rev-parse", "HEAD").strip()
    message = deployment_message(
        action="promote",
        name="triage",
        env="dev",
        version="1.0.0",
        content_hash=Project.open(repo.root).load("triage").content_hash,
        commit=head,
        path="prompts/triage.prompt",
        previous=None,
        reason=None,
        forced=False,
        scores={"accuracy": 0.95},
    )
    with GitStore(repo.root) as store:
        store.create_tag("prompts/triage@dev/000001", head, message)
    git(repo.root, "tag", "prompts/triage@prod/000001")  # lightweight: not a deployment
    refused = git_run(repo.root, "push", "origin", "prompts/triage@dev/000001")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "prompts/triage@dev/000001:1: PR075 the evals gate fails for triage 1.0.0" in output
    assert "stale" in output
    assert git(remote, "tag", "--list") == ""
    lightweight = git_run(repo.root, "push", "origin", "prompts/triage@prod/000001")
    assert lightweight.returncode != 0
    assert "PR077 not a deployment that counts: a lightweight tag" in lightweight.stdout
    # A recorded override passes: the reason is in the tag for everyone to read.
    forced = run("promote", "triage", "--to", "staging", "--force", "--reason", "hotfix")
    assert forced.code == 0, forced.err
    pushed = git_run(repo.root, "push", "origin", "prompts/triage@staging/000001")
    assert pushed.returncode == 0, pushed.stderr
