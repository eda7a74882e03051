"""How a runner is named, in `promptreg.yaml` (`evals.runner`) and on the command line (the
config layer reads it; `promptreg.evals` builds the runner it names).

`openai`, `openai:BASE_URL`, `command:CMD` or `python:MODULE:FUNCTION`. Kept apart from the
runners themselves so reading the config never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from promptreg.frontmatter.schema_evals import is_reference

RUNNER_KINDS: Final = ("openai", "command", "python")
RUNNER_FORMS: Final = "openai, openai:BASE_URL, command:CMD or python:MODULE:FUNCTION"


@dataclass(frozen=True)
class RunnerSpec:
    """A runner's kind and its target: the base URL (None: the SDK's default), the shell
    command, or `module:function`."""

    kind: str
    target: str | None = None

    def __str__(self) -> str:
        return self.kind if self.target is None else f"{self.kind}:{self.target}"


def parse_runner(text: str) -> RunnerSpec:
    """Parse a runner name. Raises ValueError saying what is wrong."""
    kind, sep, target = text.partition(":")
    if kind not in RUNNER_KINDS:
        raise ValueError(f"{text!r} is not a runner: use {RUNNER_FORMS}")
    if kind == "openai":
        if not sep:
            return RunnerSpec("openai")
        if not target.startswith(("http://", "https://")):
            raise ValueError(f"{text!r}: the base URL must start with http:// or https://")
        return RunnerSpec("openai", target)
    if not target.strip():
        what = "a shell command" if kind == "command" else "MODULE:FUNCTION"
        raise ValueError(f"{text!r}: give {what} after `{kind}:`")
    if kind == "python":
        check_reference(target)
    return RunnerSpec(kind, target)


def check_reference(reference: str) -> tuple[str, str]:
    """Split `module.path:function`. Raises ValueError when it is not of that shape."""
    if not is_reference(reference):
        raise ValueError(
            f"{reference!r} is not MODULE:FUNCTION (a dotted module importable from the "
            "repository root, a colon, a function name)"
        )
    module, _, function = reference.partition(":")
    return module, function
