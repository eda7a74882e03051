"""Which prompts a list of changed files stands for.

A prompt stands for itself; a partial for every prompt that includes it, directly or through
other partials (`Project.prompts_including`, which `validate` uses too).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from promptreg.names import SUFFIXES
from promptreg.project.project import Project, in_hidden_directory
from promptreg.template.environment import TemplateEnv


@dataclass
class Selection:
    """`prompts`: prompt files (absolute, in order, no repeats). `partials`: names under the
    prompts directory of the other files. `others`: files outside the prompts directory."""

    prompts: list[Path] = field(default_factory=list)
    partials: list[str] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)


def classify(project: Project, files: Iterable[Path]) -> Selection:
    """Sort changed files into prompts, partials and the rest."""
    prompts_dir = Path(os.path.abspath(project.prompts_dir))
    out = Selection()
    seen: set[Path] = set()
    for file in files:
        path = Path(os.path.abspath(file))
        if path in seen:
            continue
        seen.add(path)
        if path.name.endswith(SUFFIXES):
            if not in_hidden_directory(path, prompts_dir):  # as every walk of prompts/ does
                out.prompts.append(path)
        elif path.is_relative_to(prompts_dir):
            out.partials.append(path.relative_to(prompts_dir).as_posix())
        else:
            out.others.append(path)
    return out


def expand(project: Project, selection: Selection, env: TemplateEnv | None = None) -> list[Path]:
    """The selection's prompts, then every other prompt that includes one of its partials."""
    prompts = list(selection.prompts)
    if selection.partials:
        already = set(prompts)
        prompts.extend(
            p
            for p in project.prompts_including(selection.partials, env, skip=already)
            if p not in already
        )
    return prompts
