"""promptreg-validate: everything `promptreg validate` checks, on the files a commit changes.

A changed prompt is checked; a changed partial checks every prompt that includes it (found
without parsing every prompt, see `selection.py`); `promptreg.yaml` or an eval dataset checks
the prompts it affects, as `promptreg validate` does. Files are checked as they are on disk:
pre-commit stashes unstaged changes first, so that is what is staged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from promptreg.hooks.context import open_context
from promptreg.hooks.report import HookReport
from promptreg.hooks.selection import classify, expand
from promptreg.project.project import Project, is_file


def run_validate(
    project: Project,
    files: Sequence[str],
    *,
    base: str | None = None,
    jobs: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> HookReport:
    """Validate the prompts `files` stand for (none given: the files changed since the base)."""
    from promptreg.app.validate import select_files, validate

    if files:
        changed = [Path(os.path.abspath(f)) for f in files]
    else:
        with open_context(project, base=base, environ=environ) as ctx:
            changed = ctx.files(files)
    selection = classify(project, changed)
    prompts = expand(project, selection)
    if selection.others:
        # The config and eval datasets: `select_files` knows what each of them affects.
        chosen = dict.fromkeys(prompts)
        others = [str(p) for p in selection.others if is_file(p)]
        chosen.update(dict.fromkeys(select_files(project, others) if others else []))
        prompts = list(chosen)
    prompts = [p for p in prompts if is_file(p)]
    report = validate(project, prompts, jobs=jobs)
    return HookReport(report.files, list(report.findings))
