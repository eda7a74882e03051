"""Commands that read the git registry: history, verify, status, log, diff, export and textconv
(the commands that create tags are in deploy.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from promptreg.cli._base import State, cli, emit_json, json_option, print_table, short_commit
from promptreg.cli.remote import offline_option, remote_json, remote_notes
from promptreg.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from promptreg.app.diff import PromptDiff


@cli.command()
@click.argument("name")
@click.option("--env", "env", metavar="ENV", help="Only this environment.")
@offline_option
@json_option
@click.pass_obj
def history(state: State, name: str, env: str | None, offline: bool, as_json: bool) -> None:
    """Deployments of NAME, newest first: when, who, what, why; then the tags that do not
    count as deployments (REJECTED, with the reason). Deployments that exist only in this
    clone are marked (local only), and environments the remote has moved on in are named."""
    from promptreg.registry.remote_view import remote_view
    from promptreg.registry.rollback import next_rollback

    registry = state.registry
    view = remote_view(registry, offline=offline)
    log = registry.deployment_log(name, env)
    deployments = log.valid
    if not deployments and not log.rejected:
        registry.check_known(name)
    envs = [e for e in registry.environments if env in (None, e)]
    by_env = {e: [d for d in deployments if d.env == e] for e in envs}
    nexts = {e: next_rollback(ds) for e, ds in by_env.items() if ds}
    if as_json:
        emit_json(
            {
                "name": name,
                "deployments": [
                    {**d.to_json(), "local_only": d.tag in view.local_only} for d in deployments
                ],
                "remote": remote_json(view, {(name, e): by_env[e] for e in envs}),
                "rejected": [r.to_json() for r in log.rejected],
                "next_rollback": {
                    e: None if d is None else {"version": d.version, "seq": d.seq, "tag": d.tag}
                    for e, d in nexts.items()
                },
            }
        )
        return
    if not deployments and not log.rejected:
        where = f" to {env}" if env else ""
        click.echo(f"{name} has never been deployed{where}", err=True)
        return
    rows = [
        (
            d.env,
            str(d.seq),
            d.date.replace("T", " "),
            d.tagger,
            d.action
            + (" (forced)" if d.forced else "")
            + (" (legacy hash)" if d.legacy else "")
            + (" (local only)" if d.tag in view.local_only else ""),
            d.version,
            short_commit(d.commit),
            d.reason or "",
        )
        for d in deployments
    ]
    rows += [
        (
            r.env or "",
            str(r.seq) if r.seq is not None else "?",
            r.date.replace("T", " "),
            r.tagger,
            "REJECTED",
            "",
            "",
            f"{r.tag}: {r.reason}",
        )
        for r in log.rejected
    ]
    print_table(("ENV", "SEQ", "WHEN", "WHO", "ACTION", "VERSION", "COMMIT", "REASON"), rows)
    remote_notes(view, {(name, e): by_env[e] for e in envs})
    if nexts:
        click.echo()
    for e, target in nexts.items():
        if target is None:
            click.echo(f"next rollback in {e}: none (nothing earlier to go back to)")
        else:
            click.echo(f"next rollback in {e}: back to {target.version} (as in {target.tag})")


@cli.command(name="verify")
@json_option
@click.pass_obj
def verify_command(state: State, as_json: bool) -> None:
    """Check every deployment and release tag; list those that do not count, and why, and
    those that count only through a content-hash scheme-1 record (warnings). Exit 1 if any
    does not count."""
    from promptreg.registry.verify import verify

    result = verify(state.registry)
    if as_json:
        emit_json(
            {
                "ok": not result.rejected,
                "checked": result.checked,
                "rejected": [r.to_json() for r in result.rejected],
                "warnings": [{"tag": tag, "warning": text} for tag, text in result.warnings],
            }
        )
    else:
        for r in result.rejected:
            click.echo(f"{r.tag}: rejected: {r.reason}")
        for tag, text in result.warnings:
            click.echo(f"{tag}: warning: {text}")
        summary = f"{result.checked} tag(s) checked, {len(result.rejected)} rejected"
        if result.warnings:
            summary += f", {len(result.warnings)} warning(s)"
        click.echo(summary, err=True)
    if result.rejected:
        sys.exit(ExitCode.FINDINGS)


@cli.command()
@offline_option
@json_option
@click.pass_obj
def status(state: State, offline: bool, as_json: bool) -> None:
    """Every prompt against every environment, with the working tree's version. A version
    marked `*` runs only in this clone (not on the remote); environments the remote has moved
    on in are named under the table."""
    from promptreg.registry.history import status as run
    from promptreg.registry.remote_view import remote_view

    rows = run(state.registry)
    view = remote_view(state.registry, offline=offline)
    envs = state.registry.environments
    groups = {
        (r.name, e): [d] if (d := r.deployed[e]) is not None else [] for r in rows for e in envs
    }
    if as_json:
        emit_json(
            {
                "environments": list(envs),
                "prompts": [r.to_json() for r in rows],
                "remote": remote_json(view, groups),
            }
        )
        return
    table = []
    for r in rows:
        cells = [r.name, r.tree_version or "—"]
        for e in envs:
            d = r.deployed[e]
            local = "*" if d is not None and d.tag in view.local_only else ""
            cells.append(d.version + local if d else "—")
        cells.append(", ".join(r.markers))
        table.append(tuple(cells))
    print_table(("PROMPT", "TREE", *(e.upper() for e in envs), "NOTES"), table)
    if any(d.tag in view.local_only for ds in groups.values() for d in ds):
        click.echo(f"* runs only in this clone: `promptreg sync` pushes it to {view.remote}")
    remote_notes(view, groups)


@cli.command()
@click.argument("name")
@json_option
@click.pass_obj
def log(state: State, name: str, as_json: bool) -> None:
    """Commits that changed NAME or a partial it includes, with the version at each."""
    from promptreg.registry.history import log as run

    entries = run(state.registry, name)
    if not entries:
        state.registry.check_known(name)
    if as_json:
        emit_json({"name": name, "commits": [e.to_json() for e in entries]})
        return
    rows = [
        (short_commit(e.commit), e.date[:10], e.version or "—", e.author, e.subject)
        for e in entries
    ]
    print_table(("COMMIT", "DATE", "VERSION", "AUTHOR", "SUBJECT"), rows)


@cli.command()
@click.argument("a")
@click.argument("b", required=False)
@click.option("--rendered", is_flag=True, help="Also diff the rendered sample messages.")
@click.option("--stat", is_flag=True, help="Only counts of what changed.")
@click.option(
    "--exit-code",
    "exit_code",
    is_flag=True,
    help="Exit 1 when there are differences, 0 when there are none (as git diff does).",
)
@json_option
@click.pass_obj
def diff(
    state: State,
    *,
    a: str,
    b: str | None,
    rendered: bool,
    stat: bool,
    exit_code: bool,
    as_json: bool,
) -> None:
    """What changed from selector A to selector B (default: the working tree)."""
    from promptreg.app.diff import diff_prompts

    b_label = b or a.partition("@")[0]
    old, new = state.load(a, serving_checks=False), state.load(b_label, serving_checks=False)
    result = diff_prompts(
        old,
        new,
        a_label=a,
        b_label=b_label if b else f"{b_label} (working tree)",
        rendered=rendered,
    )
    _show_diff(result, stat=stat, as_json=as_json)
    if exit_code and result.differs:
        sys.exit(ExitCode.FINDINGS)


def _show_diff(result: PromptDiff, *, stat: bool, as_json: bool) -> None:
    if as_json:
        emit_json(result.to_json())
        return
    if stat:
        s = result.stat
        click.echo(
            f"{s['metadata_changes']} metadata change(s), "
            f"+{s['lines_added']} -{s['lines_removed']} lines, "
            f"{s['partials_changed']} partial(s) changed"
        )
        return
    if not result.differs:
        click.echo(f"no differences between {result.a} and {result.b}")
        return
    if result.changes:
        click.echo(click.style("metadata", bold=True))
        for sentence in result.changes:
            click.echo(f"  {sentence}")
    for line in [*result.body, *(x for _, d in result.partials for x in d)]:
        click.echo(_colour(line))
    if result.rendered:
        for line in result.rendered:
            click.echo(_colour(line))
    if result.same_content:
        click.echo(
            "note: same content hash: nothing a request carries changed (only comments, "
            "whitespace Jinja drops, or metadata)",
            err=True,
        )


def _colour(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    return line


@cli.command()
@click.argument("name", required=False, metavar="[NAME]")
@click.option("--env", "env", metavar="ENV", help="Environment to export as a bundle.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["prompty", "prompt.yml", "dotprompt"]),
    help="Write prompt NAME in another tool's format instead (see `promptreg import`).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (a bundle: prompts.lock.json; --format: standard output).",
)
@click.option(
    "--sign",
    "sign_key",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEY",
    help="Sign with this ssh private key (ssh-keygen -Y sign); writes FILE.sig.",
)
@json_option
@click.pass_obj
def export(
    state: State,
    *,
    name: str | None,
    env: str | None,
    fmt: str | None,
    output: Path | None,
    sign_key: Path | None,
    as_json: bool,
) -> None:
    """Write every prompt deployed to ENV into one JSON bundle, for deploys without .git; or,
    with NAME --format, one prompt as a Prompty, GitHub Models or Dotprompt file."""
    if name is not None or fmt is not None:
        from promptreg.cli.formats import export_prompt

        if env is not None or sign_key is not None:
            raise UsageError("NAME --format exports one prompt: --env and --sign are for bundles")
        export_prompt(state, name=name, fmt=fmt, output=output, as_json=as_json)
        return
    if env is None:
        raise UsageError("give --env ENV (a bundle) or NAME --format FORMAT (one prompt)")
    output = output or Path("prompts.lock.json")
    from promptreg.registry.bundle_export import export_bundle

    done = export_bundle(state.registry, env, output, sign_key=sign_key)
    if as_json:
        emit_json(
            {
                "env": env,
                "output": str(output),
                "prompts": done.prompts,
                "signature": str(done.signature) if done.signature else None,
                "removed_signature": (
                    str(done.removed_signature) if done.removed_signature else None
                ),
            }
        )
        return
    signed = f", signed ({done.signature})" if done.signature else ""
    click.echo(f"exported {done.prompts} prompt(s) deployed to {env} to {output}{signed}")
    if done.removed_signature:
        click.echo(f"note: removed {done.removed_signature}, the signature of an earlier export")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def textconv(file: Path) -> None:
    """Print FILE as `git diff` should compare it (diff.promptreg.textconv)."""
    from promptreg.app.diff import textconv as convert
    from promptreg.template.sources import decode_source

    try:
        text = decode_source(file.read_bytes())
    except UnicodeDecodeError:
        sys.stdout.buffer.write(file.read_bytes())
        return
    click.echo(convert(text), nl=False)
