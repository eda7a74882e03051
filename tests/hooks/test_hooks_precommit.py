"""promptreg as a hook repository, through the real pre-commit framework.

pre-commit installs a hook repository from git at a `rev:`, so the package as it is in this
checkout is copied into a temporary repository and committed, and every test's project points
its `.pre-commit-config.yaml` at that commit. PRE_COMMIT_HOME is shared by the whole session:
the hooks' environment (pip installing promptreg and its dependencies) is built once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptreg.hooks import HOOK_IDS
from tests.conftest import GIT_IDENTITY, VALID_PROMPT, Workspace, bump, commit, git

ROOT = Path(__file__).parent.parent.parent
CHANGE = ("You triage tickets.", "You triage tickets carefully.")
KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_IDENTITY, HOME=str(home), GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    return env


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str
    home: Path  # PRE_COMMIT_HOME, shared


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    base = tmp_path_factory.mktemp("hook-repo")
    home = base / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    repo = base / "promptreg"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "promptreg", repo / "promptreg", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    env = _clean_env(home)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "promptreg"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return HookRepo(repo, rev, base / "pre-commit-home")


@dataclass
class Run:
    code: int
    output: str


@dataclass
class Project:
    ws: Workspace
    hooks: HookRepo

    def pre_commit(self, *args: str) -> Run:
        env = _clean_env(Path(os.environ["HOME"]))
        env["PRE_COMMIT_HOME"] = str(self.hooks.home)
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=self.ws.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return Run(proc.returncode, proc.stdout + proc.stderr)

    def hook(self, hook_id: str, *args: str) -> Run:
        return self.pre_commit("run", hook_id, *args)


@pytest.fixture
def project(repo: Workspace, hook_repo: HookRepo) -> Iterator[Project]:
    """`repo` (prompts/triage.prompt committed) using the hook repository through pre-commit."""
    hooks = "".join(f"      - id: {h}\n" for h in HOOK_IDS)
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {hook_repo.path}\n    rev: {hook_repo.rev}\n    hooks:\n{hooks}",
    )
    commit(repo, "use promptreg's hooks")
    yield Project(repo, hook_repo)


def stage(ws: Workspace) -> None:
    git(ws.root, "add", "-A")


def test_a_valid_change_passes_every_hook(project: Project):
    bump(project.ws, "triage", "1.1.0", CHANGE)
    stage(project.ws)
    result = project.pre_commit("run")
    assert result.code == 0, result.output
    for name in ("promptreg validate", "promptreg version bump", "promptreg no secrets"):
        assert any(
            line.startswith(name) and line.endswith("Passed") for line in result.output.splitlines()
        ), result.output


def test_a_broken_template_fails_validate(project: Project):
    bump(project.ws, "triage", "1.0.1", ("{{ ticket }}", "{{ ticket }"))
    stage(project.ws)
    result = project.hook("promptreg-validate")
    assert result.code == 1
    assert "prompts/triage.prompt:17: PR040 unexpected '}'" in result.output


def test_a_body_change_needs_a_bump(project: Project):
    bump(project.ws, "triage", "1.0.0", CHANGE)
    stage(project.ws)
    result = project.hook("promptreg-version-bump")
    assert result.code == 1
    assert (
        "prompts/triage.prompt:2: PR070 triage: content changed since HEAD (body) but the "
        "version is still 1.0.0: bump it to 1.0.1"
    ) in result.output
    bump(project.ws, "triage", "1.0.1")
    stage(project.ws)
    assert project.hook("promptreg-version-bump").code == 0


def test_a_changed_partial_needs_a_bump_of_the_prompts_including_it(project: Project):
    project.ws.write("prompts/partials/tone.j2", "Be very brief.\n")
    stage(project.ws)
    result = project.hook("promptreg-version-bump")
    assert result.code == 1
    assert "PR070 triage: content changed since HEAD (partials/tone.j2)" in result.output


def test_stale_eval_scores_fail(project: Project):
    ws = project.ws
    ws.write("evals/triage.jsonl", '{"inputs": {"ticket": "x"}, "expected": "y"}\n')
    evals = (
        "evals:\n  dataset: evals/triage.jsonl\n"
        "  metrics:\n    - {name: accuracy, kind: exact, threshold: 0.9}\n"
        f"  scores: {{accuracy: 0.95}}\n  content_hash: sha256:{'0' * 64}\n"
    )
    ws.prompt("triage", VALID_PROMPT.replace("---\nsystem:", evals + "---\nsystem:"))
    stage(ws)
    result = project.hook("promptreg-evals-fresh")
    assert result.code == 1
    assert "prompts/triage.prompt:17: PR072 triage: stale: scores were measured" in result.output


def test_a_pasted_api_key_fails_and_is_not_echoed(project: Project):
    project.ws.write("prompts/partials/tone.j2", f"Be brief. Use key {KEY}.\n")
    stage(project.ws)
    result = project.hook("promptreg-no-secrets")
    assert result.code == 1
    assert "prompts/partials/tone.j2:1: PR074 OpenAI API key sk-p…(" in result.output
    assert KEY not in result.output


def test_ci_mode_from_ref_to_ref(project: Project):
    ws = project.ws
    git(ws.root, "checkout", "-q", "-b", "feature")
    bump(ws, "triage", "1.0.0", CHANGE)
    commit(ws, "change the wording, forget the bump")
    ws.write("notes.txt", "later\n")
    commit(ws, "another commit")
    args = ("--from-ref", "main", "--to-ref", "HEAD")
    result = project.hook("promptreg-version-bump", *args)
    assert result.code == 1
    assert "PR070 triage: content changed since main (body)" in result.output
    bump(ws, "triage", "1.0.1")
    commit(ws, "bump")
    assert project.hook("promptreg-version-bump", *args).code == 0
    assert project.hook("promptreg-validate", *args).code == 0


def test_a_real_commit_through_pre_commits_own_git_hook(project: Project):
    """`pre-commit install`, then `git commit -a`: the change is judged as committed."""
    assert project.pre_commit("install").code == 0
    bump(project.ws, "triage", "1.0.0", CHANGE)  # in the working tree only; -a stages it
    env = {**os.environ, "PRE_COMMIT_HOME": str(project.hooks.home)}
    proc = subprocess.run(
        ["git", "commit", "-a", "-m", "no bump"],
        cwd=project.ws.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "PR070 triage" in proc.stdout + proc.stderr
