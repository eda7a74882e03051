"""What every command shares: the click group, the per-run state, JSON and table output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from promptreg.project.project import Project
    from promptreg.registry.runtime import Registry
    from promptreg.template.prompt import Prompt


# The name promptreg is published under on the package index. The import package and the
# command are `promptreg`, but that distribution name belongs to an unrelated project there:
# every message that says what to install must name this one (tests/test_packaging.py checks).
DISTRIBUTION = "git-promptreg"


class State:
    """Per-invocation state handed to every command (`@click.pass_obj`)."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug
        self._project: Project | None = None
        self._registry: Registry | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            from promptreg.project.project import Project

            self._project = Project.open()
        return self._project

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from promptreg.registry.runtime import Registry

            self._registry = Registry(self.project.root)
        return self._registry

    def load(self, selector: str, *, serving_checks: bool = True) -> Prompt:
        """A prompt by selector: a name or file path (the working tree), or name@env,
        name@version, name@rev (the git registry). `serving_checks` off: for commands that
        show or compare a working-tree file rather than render it (see `Project.load`)."""
        if "@" in selector:
            return self.registry.resolve(selector)
        return self.project.load(selector, serving_checks=serving_checks)


def counted(n: int, one: str, many: str | None = None) -> str:
    """`1 retry`, `3 retries`, `1,204 prompts`: a count with the word agreeing with it."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (see README).")


class Group(click.Group):
    """click's group, listing each command's summary whole in `--help`: click cuts a summary
    at ~45 characters with "...", which hides what a command does; here the first sentence
    is shown entire and wrapped."""

    group_class = type  # subgroups (`hook`) list their commands the same way

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=None, package_name=DISTRIBUTION, message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
@click.option(
    "-C",
    "--directory",
    type=click.Path(path_type=Path),  # checked by chdir: one message for every failure
    help="Run as if started in this directory.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, directory: Path | None) -> None:
    """promptreg: a Git-native prompt registry.

    Prompts are files under prompts/ (YAML front-matter + a Jinja2 body); run
    `promptreg COMMAND --help` for each command.
    """
    if directory is not None:
        import os

        from promptreg.errors import UsageError

        try:
            os.chdir(directory)
        except OSError as err:  # as git -C does: the user's mistake, said plainly
            raise UsageError(f"cannot change to {str(directory)!r}: {err.strerror}") from None
    ctx.obj = State(debug)


def print_table(
    header: tuple[str, ...] | None, rows: Sequence[tuple[str, ...]], indent: str = ""
) -> None:
    all_rows = ([header] if header else []) + list(rows)
    if not all_rows:
        return
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    for n, row in enumerate(all_rows):
        line = indent + "  ".join(
            cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)
        )
        click.echo(click.style(line, bold=True) if header and n == 0 else line.rstrip())


def short_commit(commit: str | None) -> str:
    """A commit id as tables show it (10 hex digits; empty for none)."""
    return commit[:10] if commit else ""
