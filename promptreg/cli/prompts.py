"""Commands on prompts in the working tree: init, new, list, show, validate, render."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from promptreg.cli._base import State, cli, emit_json, json_option, print_table
from promptreg.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from promptreg.app.report import PromptReport
    from promptreg.template.prompt import Prompt, Rendered


# -- init / new ------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@json_option
def init(directory: Path, as_json: bool) -> None:
    """Scaffold promptreg.yaml, prompts/ and a pre-commit config that works as written."""
    from promptreg.app.scaffold import PRE_COMMIT_CONFIG
    from promptreg.app.scaffold import init as scaffold

    done = scaffold(directory)
    addition = done.addition()
    if as_json:
        emit_json(
            {
                "created": [str(f.path) for f in done.files if f.created],
                "kept": [str(f.path) for f in done.files if not f.created],
                "pre_commit": {
                    "missing_hooks": [h.id for h in done.missing_hooks],
                    "add": addition or None,
                    "unreadable": done.unreadable,
                },
            }
        )
        return
    for item in done.files:
        verb = "created" if item.created else "kept existing"
        click.echo(f"{verb:14} {item.path}")
    if done.unreadable:
        click.echo(f"\n{PRE_COMMIT_CONFIG} is {done.unreadable}; promptreg's hooks, to add:\n")
        click.echo(addition, nl=False)
    elif addition:
        ids = ", ".join(h.id for h in done.missing_hooks)
        click.echo(f"\n{PRE_COMMIT_CONFIG} lacks {ids}; add this under its `repos:`:\n")
        click.echo(addition, nl=False)
    click.echo("\nNext: promptreg validate && promptreg render hello --sample")
    click.echo("      pre-commit install   # runs promptreg's hooks on every commit and push")


@cli.command()
@click.argument("name")
@click.option("--description", default="TODO: what this prompt does", show_default=True)
@click.option(
    "--model",
    default="openai/gpt-4o-2024-08-06",
    show_default=True,
    help="PROVIDER/NAME of the pinned model.",
)
@json_option
@click.pass_obj
def new(state: State, name: str, description: str, model: str, as_json: bool) -> None:
    """Create prompts/NAME.prompt from a template that validates as is."""
    from promptreg.app.scaffold import new_prompt

    provider, sep, model_name = model.partition("/")
    if not sep or not provider or not model_name:
        raise UsageError(f"--model {model!r}: give PROVIDER/NAME, e.g. openai/gpt-4o-2024-08-06")
    path = new_prompt(
        state.project, name, description=description, provider=provider, model=model_name
    )
    if as_json:
        emit_json({"name": name, "path": state.project.shown(path)})
        return
    click.echo(f"created {state.project.shown(path)}")


# -- list / show -----------------------------------------------------------------------------


@cli.command(name="list")
@json_option
@click.pass_obj
def list_(state: State, as_json: bool) -> None:
    """List every prompt with its version, model and description."""
    project = state.project
    rows = []
    broken = 0
    for path in project.prompt_files():
        pf = project.read_front_matter(path)  # a listing reads no template: see `validate`
        spec = pf.spec
        valid = spec is not None and not pf.findings
        broken += not valid
        rows.append(
            {
                "name": pf.name,
                "version": spec.version if spec else None,
                "path": pf.shown,
                "model": spec.model.to_json() if spec and spec.model else None,
                "description": spec.description if spec else None,
                "valid": valid,
                "findings": len(pf.findings),
                "format": "dotprompt" if any(f.code == "PR090" for f in pf.findings) else None,
            }
        )
    if as_json:
        emit_json({"prompts": rows})
    elif not rows:
        click.echo(
            f"no prompts under {project.shown(project.prompts_dir)}/ "
            "(create one with `promptreg new NAME`)",
            err=True,
        )
    else:
        table = []
        for r in rows:
            model: Any = r["model"]
            table.append(
                (
                    str(r["name"]),
                    str(r["version"] or "?"),
                    f"{model['provider']}/{model['name']}" if model else "?",
                    str(r["description"] or "")
                    if r["valid"]
                    else f"DOTPROMPT: run `promptreg import {r['path']}`"
                    if r["format"]
                    else "INVALID: run `promptreg validate`",
                )
            )
        print_table(("NAME", "VERSION", "MODEL", "DESCRIPTION"), table)
    if broken:
        sys.exit(ExitCode.FINDINGS)


@cli.command()
@click.argument("name")
@json_option
@click.pass_obj
def show(state: State, name: str, as_json: bool) -> None:
    """Show a prompt's metadata, content hash, sample token count and cost."""
    from promptreg.app.report import report
    from promptreg.evals.provenance import tree_source

    project = state.project
    prompt = state.load(name, serving_checks=False)  # shown, not served
    result = report(prompt, project.config.pricing, tree_source(project))
    if as_json:
        emit_json(result.to_json())
    else:
        _print_report(result)


def _print_report(result: PromptReport) -> None:
    from promptreg.app.report import limit_text, tokens_text

    p = result.prompt
    spec = p.spec
    rows: list[tuple[str, str]] = [("file", p.shown_path)]
    if spec.description:
        rows.append(("description", spec.description))
    if spec.owners:
        rows.append(("owners", ", ".join(spec.owners)))
    if spec.model:
        params = ", ".join(f"{k}={v}" for k, v in spec.model.params.items())
        rows.append(
            (
                "model",
                f"{spec.model.provider}/{spec.model.name}" + (f" ({params})" if params else ""),
            )
        )
    rows.append(("content hash", p.content_hash))
    from promptreg.frontmatter.structured import structured_rows  # (not on other commands)

    rows.extend(structured_rows(spec.output, spec.tools))
    rows.append(("includes", ", ".join(p.partials) or "none"))
    if spec.budget:
        rows.append(
            (
                "budget",
                f"{limit_text(spec.budget.max_input_tokens)} input tokens, "
                f"{limit_text(spec.budget.max_output_tokens)} output tokens",
            )
        )
    if result.sample_tokens:
        t = result.sample_tokens
        rows.append(("sample tokens", tokens_text(t)))
    elif result.sample_error:
        from promptreg.findings import one_line  # one row: the error may hold any character

        rows.append(("sample tokens", f"sample does not render: {one_line(result.sample_error)}"))
    if result.cost:
        c = result.cost
        output = (
            f"output at most {c.output_tokens:,} tokens"
            if c.output_tokens
            else "output not included: set budget.max_output_tokens"
        )
        rows.append(
            (
                "cost",
                f"${c.per_call * 1000:,.2f} per 1,000 calls ({output}; "
                f"prices as of {c.prices_as_of or 'unknown'})",
            )
        )
    elif result.sample_tokens and spec.model:
        rows.append(("cost", f"no price for {spec.model.name!r}: add it under pricing.models"))
    if spec.evals:
        ev = spec.evals
        scores = ", ".join(f"{k} {v:g}" for k, v in ev.scores.items()) or "none recorded"
        fresh = ""
        below = [
            f"{m.name} {ev.scores[m.name]:g} < {m.threshold:g}"
            for m in ev.metrics
            if m.threshold is not None and m.name in ev.scores and ev.scores[m.name] < m.threshold
        ]
        if result.evals_fresh is not None:
            # `promptreg check` says what changed: content, dataset or a metric's file.
            fresh = " (fresh)" if result.evals_fresh else " (STALE: run `promptreg check`)"
        if below:  # fresh or not, a score under its threshold fails the gate: never "(fresh)"
            stale = "" if result.evals_fresh is not False else "STALE, and "
            fresh = f" ({stale}BELOW THRESHOLD: {', '.join(below)}; run `promptreg check`)"
        rows.append(("evals", f"{ev.dataset or 'no dataset'}; scores {scores}{fresh}"))
    click.echo(click.style(f"{p.name} {p.version}", bold=True))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"  {key:<{width}}  {value}")
    if spec.inputs:
        click.echo("  inputs")
        table = []
        for name, s in spec.inputs.items():
            facts = ["required" if s.required else "optional"]
            if s.default is not None and repr(s.default) != "MISSING":
                facts.append(f"default {s.default!r}")
            if s.enum:
                facts.append("one of " + "|".join(str(v) for v in s.enum))
            if s.max_chars:
                facts.append(f"max {s.max_chars:,} chars")
            table.append((name, s.type, ", ".join(facts), s.description or ""))
        print_table(None, table, indent="    ")


# -- validate --------------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1)
@json_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes, this one too (all CPUs)")
@click.pass_obj
def validate(state: State, paths: tuple[str, ...], as_json: bool, jobs: int | None) -> None:
    """Check prompts (default: all). PATHS may be prompt files, directories, prompt names or
    partials (a partial checks every prompt that includes it). Exit 1 on any finding."""
    from promptreg.app.validate import select_files
    from promptreg.app.validate import validate as run

    project = state.project
    try:
        files = select_files(project, paths, strict=True)
    except (OSError, ValueError) as err:  # a path no file can have: too long, a NUL in it
        raise UsageError(f"cannot use the paths given: {err}") from None
    report = run(project, files, jobs=jobs)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "files": report.files,
                "findings": [f.to_json() for f in report.findings],
            }
        )
    else:
        for finding in report.findings:
            click.echo(finding.format())
        n = len(report.findings)
        summary = f"{report.files} prompt{'s' if report.files != 1 else ''} checked, "
        summary += "no findings" if not n else f"{n} finding{'s' if n != 1 else ''}"
        warnings = sum(1 for f in report.findings if f.is_warning)
        if warnings:
            summary += f" ({warnings} warning{'s' if warnings != 1 else ''}, which fail nothing)"
        click.echo(summary, err=True)
    if not report.ok:
        sys.exit(ExitCode.FINDINGS)


# -- render ----------------------------------------------------------------------------------


@cli.command()
@click.argument("name")
@click.option(
    "--vars",
    "vars_file",
    type=click.File("r", encoding="utf-8"),
    help="YAML or JSON file of inputs ('-' for stdin).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set one input (repeatable); typed by its declaration.",
)
@click.option("--sample", is_flag=True, help="Start from the prompt's `sample` inputs.")
@json_option
@click.pass_obj
def render(
    state: State,
    name: str,
    vars_file: Any,
    assignments: tuple[str, ...],
    sample: bool,
    as_json: bool,
) -> None:
    """Render a prompt with inputs: checked against its declaration and its token budget."""
    prompt = state.load(name)
    values: dict[str, Any] = dict(prompt.sample or {}) if sample else {}
    if vars_file is not None:
        values.update(_read_vars(vars_file, state.project.config.lint.max_file_bytes))
    values.update(_parse_assignments(prompt, assignments))
    rendered = prompt.render_inputs(values)
    if as_json:
        emit_json(_rendered_json(prompt, rendered))
    elif rendered.text is not None:
        click.echo(rendered.text)
    else:
        from promptreg.template.media import content_text

        for i, message in enumerate(rendered.messages):
            if i:
                click.echo()
            click.echo(click.style(f"── {message['role']} ──", bold=True))
            click.echo(content_text(message["content"]))  # a media part: `[image: URL]`


def _read_vars(handle: Any, max_chars: int) -> dict[str, Any]:
    """A `--vars` file, held to `lint.max_file_bytes` like a prompt file: the YAML reader takes
    ~10 s and 300 MB a megabyte of flow list (6 MB took 46 s and 1.9 GB). JSON is read as JSON
    (`inputs.read_values`)."""
    from promptreg.frontmatter.inputs import read_values

    shown = str(getattr(handle, "name", "<stdin>"))
    try:
        text = handle.read(max_chars + 1)
        if len(text) > max_chars:
            raise UsageError(
                f"is over {max_chars:,} characters (lint.max_file_bytes)",
                path=shown,
                field="--vars",
            )
        data = read_values(text, source=shown)
    except UnicodeDecodeError:
        raise UsageError("not valid UTF-8", path=shown, field="--vars") from None
    except ValueError as err:
        message, line = err.args
        raise UsageError(message, path=shown, line=line, field="--vars") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError("must be a mapping of input name to value", path=shown, field="--vars")
    return data


def _parse_assignments(prompt: Prompt, assignments: Sequence[str]) -> dict[str, Any]:
    from promptreg.frontmatter.inputs import parse_input_text

    values: dict[str, Any] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE")
        try:
            values[key] = parse_input_text(prompt.inputs.get(key), text)
        except ValueError as err:
            raise UsageError(f"--set {key}: {err}") from None
    return values


def _rendered_json(prompt: Prompt, rendered: Rendered) -> dict[str, Any]:
    return {
        "name": prompt.name,
        "version": prompt.version,
        "content_hash": prompt.content_hash,
        "model": prompt.model.to_json() if prompt.model else None,
        "kind": rendered.kind,
        "messages": rendered.messages,
        "text": rendered.text,
        "tokens": prompt.count_tokens(rendered).to_json(),
        # What an OpenAI-compatible client posts: model, params, messages, response_format,
        # tools (issue 12 §4).
        "request": prompt.request(rendered),
    }
