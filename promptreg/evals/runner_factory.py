"""The runner an evaluation calls, built from its spec (`evals.runner` or `--runner`): kept
apart from runners.py so that the OpenAI runner, which builds on runners.py's types, is
imported only when it is the one asked for, and neither module imports the other both ways."""

from __future__ import annotations

from pathlib import Path

from promptreg.evals.runners import CommandRunner, PythonRunner, Runner
from promptreg.project.runner_spec import RunnerSpec


def make_runner(spec: RunnerSpec, root: Path) -> Runner:
    """Build the runner `spec` names. Raises `UsageError` when it cannot be set up (missing
    `openai` package or key, a python function that does not import)."""
    if spec.kind == "command":
        assert spec.target is not None
        return CommandRunner(spec.target, root)
    if spec.kind == "python":
        assert spec.target is not None
        return PythonRunner(spec.target, root)
    from promptreg.evals.openai_runner import OpenAIRunner

    return OpenAIRunner(spec.target)
