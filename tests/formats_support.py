"""Helpers for the import/export tests: run a converter on text and render the result with
promptreg's real loader (no mocks: the file is written and loaded like any prompt)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import promptreg
from promptreg.formats.promptfile import Draft, finish

HERE = Path(__file__).parent


def external_root() -> Path | None:
    """shared/external ($PROMPTREG_EXTERNAL when set; empty: none), if on this machine."""
    override = os.environ.get("PROMPTREG_EXTERNAL")
    candidates = (
        [override]
        if override is not None
        else [str(HERE.parent.parent / "shared" / "external"), "/work/shared/external"]
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return None


def load_draft(draft: Draft, directory: Path) -> promptreg.Prompt:
    """Write the draft as a prompt file and load it as `promptreg.load` does."""
    path = directory / f"{draft.name.replace('/', '_')}.prompt"
    path.write_text(finish(draft), encoding="utf-8")
    return promptreg.load(path)


def render(prompt: promptreg.Prompt, inputs: dict[str, Any]) -> list[dict[str, str]]:
    return [dict(m) for m in prompt.render(**inputs)]
