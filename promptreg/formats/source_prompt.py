"""The export side's view of a loaded promptreg prompt (`PromptData`): its file as its
front-matter and body say, its partials, and its golden dataset when it has one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from promptreg.formats.export import PromptData
from promptreg.frontmatter._yaml import dump_yaml
from promptreg.template.prompt import Prompt

_MAX_DATASET_BYTES = 10_000_000


def prompt_data(prompt: Prompt, root: Path) -> PromptData:
    front = dict(prompt.spec.raw)
    file_text = "---\n" + dump_yaml(front) + "---\n" + prompt.body
    return PromptData(
        name=prompt.name,
        file_text=file_text,
        front=front,
        body=prompt.body,
        partials=prompt.partial_sources(),
        dataset=_dataset(prompt, root),
    )


def _dataset(prompt: Prompt, root: Path) -> list[dict[str, Any]] | None:
    """The dataset's cases, for GitHub Models' `testData` (None when there is none or it
    cannot be read: the export says so through its notes elsewhere)."""
    evals = prompt.spec.evals
    if evals is None or not evals.dataset:
        return None
    from promptreg.evals.dataset import resolve_dataset_path

    try:
        path = resolve_dataset_path(root, evals.dataset)
        if path.stat().st_size > _MAX_DATASET_BYTES:
            return None
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    except (OSError, ValueError):
        return None
    return [r for r in rows if isinstance(r, dict)]
