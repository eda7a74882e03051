"""Shared test helpers: a temporary promptreg project and a way to run the real CLI."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptreg.cli import main

VALID_PROMPT = """\
---
version: 1.0.0
description: Classify a ticket
model:
  provider: openai
  name: gpt-4o-2024-08-06
  params: {temperature: 0.2}
inputs:
  ticket: {type: string, required: true, max_chars: 200}
  tier: {type: string, enum: [free, pro], default: free}
sample: {ticket: "My invoice is wrong"}
---
system:
You triage tickets. {% include "partials/tone.j2" %}

user:
({{ tier }}) {{ ticket }}
"""


@dataclass
class Workspace:
    """A project root in tmp_path with `prompts/partials/tone.j2` already present."""

    root: Path

    @property
    def prompts(self) -> Path:
        return self.root / "prompts"

    def write(self, relative: str, text: str | bytes, *, dedent: bool = False) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
        return path

    def prompt(self, name: str, text: str = VALID_PROMPT) -> Path:
        return self.write(f"prompts/{name}.prompt", text)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "promptreg.yaml").write_text("prompts_dir: prompts\n", encoding="utf-8")
    workspace = Workspace(root)
    workspace.write("prompts/partials/tone.j2", "Be brief.\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    yield workspace


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run the real CLI entry point in-process and capture its exit code and output."""

    def _run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(int(code), captured.out, captured.err)

    return _run


os.environ.setdefault("NO_COLOR", "1")


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Promoter",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Promoter",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run real git in `cwd` (identity and config isolated by the `isolated_git` fixture)."""
    import subprocess

    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A HOME of its own, a pinned identity, `init.defaultBranch=main`, and no GIT_DIR & co
    leaking in from a hook that may be running the tests."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Ada Promoter\n\temail = ada@example.com\n",
        encoding="utf-8",
    )


@pytest.fixture
def repo(ws: Workspace, isolated_git: None) -> Workspace:
    """`ws` as a git repository with one commit holding prompts/triage.prompt."""
    git(ws.root, "init", "-q")
    ws.prompt("triage")
    commit(ws, "add triage")
    return ws


def commit(ws: Workspace, message: str) -> str:
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", message)
    return git(ws.root, "rev-parse", "HEAD").strip()


def bump(
    ws: Workspace, name: str, version: str, body_change: tuple[str, str] | None = None
) -> None:
    """Rewrite prompts/<name>.prompt with a new version (and optionally a body change)."""
    import re

    path = ws.prompts / f"{name}.prompt"
    text = re.sub(
        r"^version: .*$",
        f"version: {version}",
        path.read_text(encoding="utf-8"),
        count=1,
        flags=re.M,
    )
    if body_change:
        text = text.replace(*body_change)
    path.write_text(text, encoding="utf-8")
