"""Shared by the plain scripts: find the prompt files and split off their front-matter."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path


def prompt_texts() -> Iterator[tuple[Path, str, str]]:
    """(path, front-matter, body) of every *.prompt under argv[1]/prompts, in walk order."""
    root = Path(sys.argv[1]) / "prompts"
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".prompt"):
                path = Path(directory, name)
                text = path.read_text(encoding="utf-8")
                _, front_matter, body = text.split("---\n", 2)
                yield path, front_matter, body
