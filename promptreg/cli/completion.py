"""Shell completion of what the commands name: prompts and environments, not only commands.

click completes commands and options itself (`_PROMPTREG_COMPLETE=bash_source promptreg`, see
the README); this adds the values. Every argument that names an existing prompt (`name`,
`names`, `a`, `b`; not `new NAME`, which names a new one) completes the prompt names of the
project, and `name@` completes `name@<environment>`; every option whose metavar is `ENV`
completes the environments of promptreg.yaml. Attached in one place, by walking the commands,
so a new command gets it by naming its parameters the same way. Completion never fails: a
directory that is not a project completes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem

_PROMPT_ARGUMENTS = {"name", "names", "a", "b"}
_NOT_A_PROMPT = {"new"}  # `new NAME` creates a prompt: nothing to complete


def _project(ctx: click.Context) -> object | None:
    from promptreg.errors import PromptregError
    from promptreg.project.project import Project

    directory = ctx.find_root().params.get("directory")
    try:
        return Project.open(Path(directory) if directory else None)
    except (PromptregError, OSError):
        return None


def complete_prompt(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Prompt names starting with `incomplete`; after `name@`, that prompt's environments."""
    from promptreg.project.project import Project

    project = _project(ctx)
    if not isinstance(project, Project):
        return []
    if "@" in incomplete:
        name, _, _ = incomplete.partition("@")
        envs = [f"{name}@{env}" for env in project.config.environments]
        return [CompletionItem(e) for e in envs if e.startswith(incomplete)]
    try:
        names = project.names()
    except OSError:
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_env(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The environments of promptreg.yaml starting with `incomplete`, in promotion order."""
    from promptreg.project.project import Project

    project = _project(ctx)
    if not isinstance(project, Project):
        return []
    return [CompletionItem(e) for e in project.config.environments if e.startswith(incomplete)]


def attach(group: click.Group) -> None:
    """Give every command under `group` the completions its parameters' names call for."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            attach(command)
            continue
        for param in command.params:
            if isinstance(param, click.Argument) and param.name in _PROMPT_ARGUMENTS:
                if name not in _NOT_A_PROMPT:
                    param._custom_shell_complete = complete_prompt
            elif isinstance(param, click.Option) and param.metavar == "ENV":
                param._custom_shell_complete = complete_env
