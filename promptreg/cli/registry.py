"""Commands on the git registry: release, promote, rollback, history, verify, status, log,
diff, export and textconv."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from promptreg.cli._base import State, cli, emit_json, json_option, print_table
from promptreg.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from promptreg.registry.deploy import BatchRefused, Deployed

if TYPE_CHECKING:
    from promptreg.app.diff import PromptDiff


def _short(commit: str | None) -> str:
    return commit[:10] if commit else ""


@cli.command()
@click.argument("names", nargs=-1)
@json_option
@click.pass_obj
def release(state: State, names: tuple[str, ...], as_json: bool) -> None:
    """Tag each prompt's version at HEAD as prompts/NAME@vVERSION (default: every prompt).
    Idempotent; refuses a version already released with different content."""
    from promptreg.registry.deploy import ReleaseRefused
    from promptreg.registry.deploy import release as run

    try:
        results = run(state.registry, names)
    except ReleaseRefused as err:
        if as_json:
            emit_json({"released": [], "refused": err.to_json()})
        _refused(err, details=not as_json)
    if as_json:
        emit_json({"released": [r.to_json() for r in results]})
        return
    for r in results:
        verb = "released" if r.created else "already released"
        click.echo(f"{verb:17} {r.name} {r.version}  ({r.tag} at {_short(r.commit)})")
        if r.note:
            click.echo(f"{'':17} note: {r.note}", err=True)


_sign_option = click.option(
    "--sign",
    is_flag=True,
    help="Sign the tag as git tag -s does (gpg.format, user.signingkey); "
    "automatic for environments listed under signing: in promptreg.yaml.",
)

_push_option = click.option(
    "--push",
    "push",
    is_flag=False,
    flag_value="origin",
    default=None,
    metavar="[REMOTE]",
    help="Push the new tag (and its version tag) atomically; default remote: origin.",
)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every prompt in the working tree.")
@click.option("--to", "to", required=True, metavar="ENV", help="Environment to deploy to.")
@click.option("--version", "version", metavar="V", help="A released version (default: HEAD's).")
@click.option("--from", "from_env", metavar="ENV", help="Deploy what ENV runs now.")
@click.option("--reason", help="Why: written into the deployment tag.")
@_push_option
@click.option(
    "--force", is_flag=True, help="Override the promotion order or the gate (needs --reason)."
)
@_sign_option
@json_option
@click.pass_obj
def promote(
    state: State,
    names: tuple[str, ...],
    every: bool,
    to: str,
    version: str | None,
    from_env: str | None,
    reason: str | None,
    push: str | None,
    force: bool,
    sign: bool,
    as_json: bool,
) -> None:
    """Deploy NAMES to an environment: an annotated tag prompts/NAME@ENV/SEQ each. NAMES may
    be globs (`'support/*'`); several prompts are promoted all or nothing, in one push."""
    from promptreg.registry.deploy import promote as run

    chosen = _chosen_names(state, names, every)
    if len(chosen) > 1 or every or chosen != list(names):
        if version is not None:
            raise UsageError("--version names one prompt's version: promote several without it")
        _promote_many(state, chosen, to, from_env, reason, push, force, sign, as_json)
        return
    (name,) = chosen
    result = run(
        state.registry,
        name,
        to=to,
        version=version,
        from_env=from_env,
        reason=reason,
        push=push,
        force=force,
        sign=sign,
    )
    if as_json:
        emit_json(result.to_json())
        return
    _print_promoted(result)


def _chosen_names(state: State, names: tuple[str, ...], every: bool) -> list[str]:
    """NAMES with globs expanded against the prompts of the working tree (`--all`: all)."""
    if every and names:
        raise UsageError("give NAMES or --all, not both")
    if every:
        return state.project.names()
    if not names:
        raise UsageError("name the prompts to promote (or --all)")
    import fnmatch

    known = state.project.names()
    chosen: list[str] = []
    for pattern in names:
        if any(c in pattern for c in "*?["):
            hits = [n for n in known if fnmatch.fnmatchcase(n, pattern)]
            if not hits:
                raise UsageError(f"{pattern!r} matches no prompt (see `promptreg list`)")
            chosen += hits
        else:
            chosen.append(pattern)
    return list(dict.fromkeys(chosen))


def _promote_many(
    state: State,
    names: list[str],
    to: str,
    from_env: str | None,
    reason: str | None,
    push: str | None,
    force: bool,
    sign: bool,
    as_json: bool,
) -> None:
    from promptreg.registry.deploy import BatchRefused, promote_many

    try:
        results = promote_many(
            state.registry,
            names,
            to=to,
            from_env=from_env,
            reason=reason,
            push=push,
            force=force,
            sign=sign,
        )
    except BatchRefused as err:
        _refused(err, details=True)
    if as_json:
        emit_json({"promoted": [r.to_json() for r in results]})
        return
    for result in results:
        _print_promoted(result)


def _refused(err: BatchRefused, *, details: bool) -> NoReturn:
    """An all-or-nothing command refused: each refusal on stderr, then one line to end with."""
    from promptreg.registry.deploy import DeployError

    if details:
        for line in err.details:
            click.echo(line, err=True)
    failure = DeployError(err.summary)
    failure.exit_code = err.exit_code
    raise failure from None


def _print_promoted(result: Deployed) -> None:
    if result.released is not None and result.released.created:
        click.echo(f"released  {result.name} {result.version}  ({result.released.tag})")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if result.tag is not None:
        pushed = f", pushed to {result.pushed_to}" if result.pushed_to else ""
        click.echo(
            f"promoted  {result.name} {result.version} to {result.env}  ({result.tag}{pushed})"
        )


@cli.command()
@click.argument("name")
@click.option("--env", "env", required=True, metavar="ENV", help="Environment to roll back.")
@click.option(
    "--to", "to", metavar="VERSION|SEQ", help="Version or deployment seq (default: the previous)."
)
@click.option("--reason", help="Why: written into the deployment tag.")
@_push_option
@_sign_option
@json_option
@click.pass_obj
def rollback(
    state: State,
    name: str,
    env: str,
    to: str | None,
    reason: str | None,
    push: str | None,
    sign: bool,
    as_json: bool,
) -> None:
    """Deploy an earlier version again, as a new tag (nothing is deleted or moved)."""
    from promptreg.registry.deploy import rollback as run

    result = run(state.registry, name, env=env, to=to, reason=reason, push=push, sign=sign)
    if as_json:
        emit_json(result.to_json())
        return
    pushed = f", pushed to {result.pushed_to}" if result.pushed_to else ""
    click.echo(f"rolled back  {name} in {env} to {result.version}  ({result.tag}{pushed})")


@cli.command()
@click.argument("name")
@click.option("--env", "env", metavar="ENV", help="Only this environment.")
@json_option
@click.pass_obj
def history(state: State, name: str, env: str | None, as_json: bool) -> None:
    """Deployments of NAME, newest first: when, who, what, why; then the tags that do not
    count as deployments (REJECTED, with the reason)."""
    from promptreg.registry.deploy import next_rollback

    registry = state.registry
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
                "deployments": [d.to_json() for d in deployments],
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
            d.action + (" (forced)" if d.forced else "") + (" (legacy hash)" if d.legacy else ""),
            d.version,
            _short(d.commit),
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
@json_option
@click.pass_obj
def status(state: State, as_json: bool) -> None:
    """Every prompt against every environment, with the working tree's version."""
    from promptreg.registry.history import status as run

    rows = run(state.registry)
    envs = state.registry.environments
    if as_json:
        emit_json({"environments": list(envs), "prompts": [r.to_json() for r in rows]})
        return
    table = []
    for r in rows:
        cells = [r.name, r.tree_version or "—"]
        cells += [(d.version if d else "—") for d in (r.deployed[e] for e in envs)]
        cells.append(", ".join(r.markers))
        table.append(tuple(cells))
    print_table(("PROMPT", "TREE", *(e.upper() for e in envs), "NOTES"), table)


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
    rows = [(_short(e.commit), e.date[:10], e.version or "—", e.author, e.subject) for e in entries]
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
@click.option("--env", "env", required=True, metavar="ENV", help="Environment to export.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("prompts.lock.json"),
    show_default=True,
    help="Bundle file to write.",
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
def export(state: State, env: str, output: Path, sign_key: Path | None, as_json: bool) -> None:
    """Write every prompt deployed to ENV into one JSON bundle, for deploys without .git."""
    from promptreg.registry.bundle import export_bundle

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
    from promptreg.template.environment import decode_source

    try:
        text = decode_source(file.read_bytes())
    except UnicodeDecodeError:
        sys.stdout.buffer.write(file.read_bytes())
        return
    click.echo(convert(text), nl=False)
