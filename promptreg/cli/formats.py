"""`promptreg import`: other tools' prompt files in, as promptreg prompts (see
`promptreg.formats`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from promptreg.cli._base import State, cli, counted, emit_json, json_option
from promptreg.errors import ExitCode, UsageError


@cli.command(name="import")
@click.argument(
    "sources",
    nargs=-1,
    required=True,
    metavar="FILE_OR_DIR...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--to",
    "to",
    default="",
    metavar="DIR",
    help="Folder under the prompts directory to put them in (default: its top).",
)
@click.option(
    "--model",
    "model",
    metavar="PROVIDER/NAME",
    help="Model for files that name none promptreg can use (no model, an Azure deployment).",
)
@click.option("--dry-run", is_flag=True, help="Convert and check, write nothing.")
@json_option
@click.pass_obj
def import_(
    state: State,
    sources: tuple[Path, ...],
    to: str,
    model: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Convert Prompty, Dotprompt, GitHub Models and plain text prompt files into prompts."""
    from promptreg.formats.importer import import_paths
    from promptreg.formats.report import Refused

    project = state.project
    to = _folder(project.prompts_dir, to)
    if model is not None and "/" not in model.strip("/"):
        raise UsageError(f"--model {model!r}: give PROVIDER/NAME, such as openai/gpt-4o-2024-08-06")
    try:
        results = import_paths(project, sources, to=to, default_model=model, dry_run=dry_run)
    except Refused as err:
        raise UsageError(str(err)) from None
    if not results:
        raise UsageError(
            "no prompt files to import (.prompty, .prompt, .prompt.yml, .yml, .txt, .md) in "
            + ", ".join(str(s) for s in sources)
        )
    refused = [r for r in results if r.refused]
    unclean = [
        r for r in results if not r.refused and any(n.startswith("validate:") for n in r.notes)
    ]
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "imported": [r.to_json() for r in results if not r.refused],
                "refused": [r.to_json() for r in refused],
            }
        )
    else:
        verb = "would write" if dry_run else "wrote"
        for r in results:
            if r.refused:
                click.echo(f"{r.source}: refused: {r.refused}")
                continue
            click.echo(f"{r.source} ({r.format}): {verb} {', '.join(r.files)}")
            for note in r.notes:
                click.echo(f"  {note}" if note.startswith("validate") else f"  - {note}")
        done = len(results) - len(refused)
        click.echo(
            f"{counted(done, 'file')} imported, {len(refused)} refused, "
            f"{len(unclean)} with findings to fix",
            err=True,
        )
    if refused or unclean:
        sys.exit(ExitCode.FINDINGS)


def _folder(prompts_dir: Path, to: str) -> str:
    """`--to` as a folder under the prompts directory: `prompts/imported` or `imported`."""
    if not to:
        return ""
    path = Path(to)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(prompts_dir.resolve()).as_posix().strip(".")
    except ValueError:
        if path.is_absolute() or ".." in path.parts:
            raise UsageError(f"--to {to!r} is not under the prompts directory") from None
        return path.as_posix()


def export_prompt(
    state: State, *, name: str | None, fmt: str | None, output: Path | None, as_json: bool
) -> None:
    """`promptreg export NAME --format F`: one prompt in another tool's format."""
    from promptreg.formats.export import SUFFIXES, export
    from promptreg.formats.report import Refused
    from promptreg.formats.source_prompt import prompt_data

    if name is None or fmt is None:
        raise UsageError(
            "export NAME --format FORMAT: give both (FORMAT: prompty, prompt.yml, dotprompt)"
        )
    prompt = state.load(name, serving_checks=False)
    try:
        done = export(prompt_data(prompt, state.project.root), fmt)
    except Refused as err:
        raise UsageError(f"{prompt.shown_path}: cannot export as {fmt}: {err}") from None
    if output is not None:
        from promptreg._atomic import atomic_write

        atomic_write(output, done.text.encode("utf-8"))
    if as_json:
        emit_json(
            {
                "name": prompt.name,
                "format": fmt,
                "output": str(output) if output else None,
                "suffix": SUFFIXES[fmt],
                "not_carried": done.notes,
                "text": None if output else done.text,
            }
        )
        return
    if output is None:
        click.echo(done.text, nl=False)
    else:
        click.echo(f"wrote {prompt.name} as {fmt} to {output}", err=True)
    for note in done.notes:
        click.echo(f"not carried: {note}", err=True)
