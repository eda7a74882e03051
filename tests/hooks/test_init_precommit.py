"""`promptreg init`'s pre-commit config and `install-hooks` beside the pre-commit framework,
through the real pre-commit and real git repositories.

The config `init` writes must work the moment it is written: `repo: local` hooks running the
promptreg installed in the project (on PATH, as pre-commit's `language: system` finds it), no
placeholder URL, no `rev:` that does not exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from promptreg.app.scaffold import LOCAL_HOOKS, pre_commit_config
from tests.conftest import Workspace, commit, git

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = str(Path(sys.executable).parent)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        PATH=BIN + os.pathsep + env.get("PATH", ""),
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        NO_COLOR="1",
        GIT_AUTHOR_NAME="Ada",
        GIT_AUTHOR_EMAIL="ada@example.com",
        GIT_COMMITTER_NAME="Ada",
        GIT_COMMITTER_EMAIL="ada@example.com",
    )
    return env


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(cwd, env, sys.executable, "-m", "pre_commit", *args)


@pytest.fixture
def empty_repo(tmp_path: Path, isolated_git: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    monkeypatch.chdir(root)
    return root


def test_the_local_hooks_are_the_published_ones():
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert [h.id for h in LOCAL_HOOKS] == list(published)
    for hook in LOCAL_HOOKS:
        spec = published[hook.id]
        assert spec["entry"] == f"promptreg hook {hook.command}"
        assert spec.get("files") == hook.files
        assert spec.get("stages", ["pre-commit"]) == [hook.stage]
        assert spec.get("always_run", False) == (hook.files is None)


def test_the_readme_shows_the_config_init_writes_and_no_made_up_rev():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert pre_commit_config() in readme
    assert "<your-org>" not in readme
    assert "rev: v0.1.0" not in readme


def test_init_writes_a_config_that_works_on_the_spot(empty_repo: Path, tmp_path: Path, run):
    assert run("init").code == 0
    env = _env(tmp_path)
    assert (
        _pre_commit(empty_repo, env, "validate-config", ".pre-commit-config.yaml").returncode == 0
    )
    installed = _pre_commit(empty_repo, env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "pre-commit installed at .git/hooks/pre-commit" in installed.stdout
    assert "pre-commit installed at .git/hooks/pre-push" in installed.stdout
    git(empty_repo, "add", "-A")
    ok = _run(empty_repo, env, "git", "commit", "-m", "promptreg init")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    output = ok.stdout + ok.stderr
    for name in ("promptreg validate", "promptreg version bump", "promptreg no secrets"):
        assert any(
            line.startswith(name) and line.endswith("Passed") for line in output.splitlines()
        ), output
    hello = empty_repo / "prompts" / "hello.prompt"
    hello.write_text(hello.read_text("utf-8").replace("}}", "}", 1), encoding="utf-8")
    git(empty_repo, "add", "-A")
    refused = _run(empty_repo, env, "git", "commit", "-m", "broken")
    assert refused.returncode == 1
    assert "PR040" in refused.stdout + refused.stderr


def test_init_over_a_complete_config_prints_nothing_to_add(empty_repo: Path, run):
    (empty_repo / ".pre-commit-config.yaml").write_text(pre_commit_config(), encoding="utf-8")
    result = run("init")
    assert result.code == 0
    assert "kept existing  .pre-commit-config.yaml" in result.out
    assert "repos:" not in result.out
    assert "repo: local" not in result.out


def test_init_over_a_partial_config_prints_only_what_is_missing(
    empty_repo: Path, tmp_path: Path, run
):
    mine = (
        "repos:\n  - repo: local\n    hooks:\n"
        "      - {id: promptreg-validate, name: v, entry: promptreg hook validate, "
        "language: system, files: ^prompts/}\n"
        "      - {id: mine, name: mine, entry: 'true', language: system}\n"
    )
    config = empty_repo / ".pre-commit-config.yaml"
    config.write_text(mine, encoding="utf-8")
    result = run("init")
    assert result.code == 0
    out = result.out
    assert "\nrepos:" not in out  # pasted under the file's own key: never a duplicate key
    assert "id: promptreg-validate" not in out
    for hook in LOCAL_HOOKS[1:]:
        assert f"id: {hook.id}" in out
    block = out[out.index("  - repo: local") : out.index("\nNext:")]
    config.write_text(mine + block, encoding="utf-8")  # pasted as told: a valid config
    data = yaml.safe_load(config.read_text("utf-8"))
    ids = [h["id"] for r in data["repos"] for h in r["hooks"]]
    assert sorted(ids) == sorted(["mine", *(h.id for h in LOCAL_HOOKS)])
    checked = _pre_commit(empty_repo, _env(tmp_path), "validate-config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = run("init", "--json")
    assert json.loads(again.out)["pre_commit"] == {
        "missing_hooks": [],
        "add": None,
        "unreadable": None,
    }


def test_init_json_lists_what_it_did(empty_repo: Path, run):
    result = run("init", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert sorted(data["created"]) == [
        ".pre-commit-config.yaml",
        "promptreg.yaml",
        "prompts/hello.prompt",
        "prompts/partials/style.j2",
    ]
    assert len(data["created"]) == 4 and data["kept"] == []


def test_init_outside_a_git_repository_says_so_and_what_to_run(
    tmp_path: Path, isolated_git: None, run, monkeypatch
):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    target = tmp_path / "nogit"
    result = run("init", str(target))
    assert result.code == 2
    assert "is not in a git repository" in result.err
    assert f"git init {target}" in result.err
    assert not target.exists()


# -- install-hooks beside the pre-commit framework ---------------------------------------------


def _promptreg(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(cwd, env, sys.executable, "-m", "promptreg", *args)


def _with_remote(repo: Workspace, env: dict[str, str]) -> Path:
    remote = repo.root.parent / "remote.git"
    git(repo.root.parent, "init", "-q", "--bare", str(remote))
    git(repo.root, "remote", "add", "origin", str(remote))
    pushed = _run(repo.root, env, "git", "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    return remote


def test_install_hooks_takes_the_free_pre_push_slot_beside_pre_commits_hook(
    repo: Workspace, tmp_path: Path
):
    env = _env(tmp_path)
    (repo.root / ".pre-commit-config.yaml").write_text(pre_commit_config(), encoding="utf-8")
    commit(repo, "hooks")
    assert _pre_commit(repo.root, env, "install", "-t", "pre-commit").returncode == 0
    hooks = repo.root / ".git" / "hooks"
    theirs = (hooks / "pre-commit").read_text("utf-8")
    result = _promptreg(repo.root, env, "install-hooks")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("skipped")
    assert (hooks / "pre-commit").read_text("utf-8") == theirs
    assert "promptreg-hook: pre-push" in (hooks / "pre-push").read_text("utf-8")
    _with_remote(repo, env)
    git(repo.root, "tag", "prompts/triage@prod/1")  # lightweight: not a deployment that counts
    pushed = _run(repo.root, env, "git", "push", "origin", "prompts/triage@prod/1")
    assert pushed.returncode != 0
    assert "PR077" in pushed.stdout + pushed.stderr


def test_install_hooks_goes_behind_pre_commits_pre_push_hook(repo: Workspace, tmp_path: Path):
    """pre-commit holds both slots; promptreg's pre-push becomes `pre-push.legacy`, which
    pre-commit runs with git's ref lines, so a tag-only push (no new commits, for which
    pre-commit runs none of its own pre-push hooks) is still gated."""
    env = _env(tmp_path)
    (repo.root / ".pre-commit-config.yaml").write_text(pre_commit_config(), encoding="utf-8")
    commit(repo, "hooks")
    assert _pre_commit(repo.root, env, "install").returncode == 0  # both default types
    result = _promptreg(repo.root, env, "install-hooks", "--json")
    assert result.returncode == 0, result.stderr
    actions = {item["hook"]: item for item in json.loads(result.stdout)}
    assert actions["pre-commit"]["action"] == "skipped"
    assert actions["pre-push"]["action"] == "installed"
    assert actions["pre-push"]["path"].endswith("pre-push.legacy")
    _with_remote(repo, env)
    git(repo.root, "tag", "prompts/triage@prod/1")
    pushed = _run(repo.root, env, "git", "push", "origin", "prompts/triage@prod/1")
    assert pushed.returncode != 0
    assert "PR077" in pushed.stdout + pushed.stderr
    git(repo.root, "tag", "-d", "prompts/triage@prod/1")
    fine = _run(repo.root, env, "git", "push", "origin", "main")
    assert fine.returncode == 0, fine.stdout + fine.stderr


def test_the_pre_commit_stage_hook_asks_the_remote_which_tags_are_new(
    repo: Workspace, tmp_path: Path
):
    """Under pre-commit alone (no plain hook), a push with a new commit and a bad tag fails:
    the hook has no ref lines, so it judges the tags the remote lacks."""
    env = _env(tmp_path)
    (repo.root / ".pre-commit-config.yaml").write_text(pre_commit_config(), encoding="utf-8")
    commit(repo, "hooks")
    _with_remote(repo, env)
    assert _pre_commit(repo.root, env, "install", "-t", "pre-push").returncode == 0
    repo.write("notes.txt", "new commit\n")
    commit(repo, "notes")
    git(repo.root, "tag", "prompts/triage@prod/1")
    pushed = _run(repo.root, env, "git", "push", "origin", "main", "prompts/triage@prod/1")
    assert pushed.returncode != 0
    assert "PR077" in pushed.stdout + pushed.stderr
    git(repo.root, "tag", "-d", "prompts/triage@prod/1")
    fine = _run(repo.root, env, "git", "push", "origin", "main")
    assert fine.returncode == 0, fine.stdout + fine.stderr
