"""Commands that show the registry to people: `site` (a static web site)."""

from __future__ import annotations

from pathlib import Path

import click

from promptreg.cli._base import State, cli, emit_json, json_option


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="Directory to write the site into (replaced atomically).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Make links absolute under URL (e.g. https://org.github.io/repo/); default: relative.",
)
@json_option
@click.pass_obj
def site(state: State, output: Path, base_url: str | None, as_json: bool) -> None:
    """Generate a static site of the registry: catalog, a page per prompt, environments and
    the audit log. Opens from file://, any static host or `python -m http.server`."""
    from promptreg.site import generate

    done = generate(state.registry, output, base_url=base_url)
    if as_json:
        emit_json(
            {
                "output": str(output),
                "index": str(output / "index.html"),
                "written": done.written,
                "unchanged": done.unchanged,
                "removed": done.removed,
            }
        )
        return
    click.echo(
        f"site: {output / 'index.html'} ({len(done.written)} page(s) written, "
        f"{done.unchanged} unchanged, {len(done.removed)} removed)"
    )


@cli.command()
@click.argument("base")
@click.argument("head", required=False, default="HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "text"]),
    default="text",
    show_default=True,
    help="markdown: one pull-request comment (at most 65,536 characters).",
)
@click.pass_obj
def review(state: State, base: str, head: str, fmt: str) -> None:
    """What HEAD changes in the registry since BASE (from their merge base), per prompt and
    partial: metadata, body and rendered diffs, tokens and cost, eval scores and the gate,
    the version-bump check, and the environments running the old version."""
    from promptreg.review import review as run

    result = run(state.registry, base, head)
    if fmt == "json":
        emit_json(result.to_json())
    elif fmt == "markdown":
        from promptreg.review.markdown import markdown

        click.echo(markdown(result), nl=False)
    else:
        from promptreg.review.text import text_report

        for line in text_report(result):
            click.echo(line)
