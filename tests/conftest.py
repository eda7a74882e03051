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
