"""Commands that create tags: release, promote and rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import click

from promptreg.cli._base import State, cli, emit_json, json_option, short_commit
from promptreg.cli.remote import push_options, push_remote, remote_down
from promptreg.errors import UsageError

if TYPE_CHECKING:
    from promptreg.errors import BatchRefused
    from promptreg.registry.deployed import Deployed, Gate


@cli.command()
@click.argument("names", nargs=-1)
@json_option
@click.pass_obj
def release(state: State, names: tuple[str, ...], as_json: bool) -> None:
    """Tag each prompt's version at HEAD as prompts/NAME@vVERSION (default: every prompt).
    Idempotent; refuses a version already released with different content."""
    from promptreg.errors import ReleaseRefused
    from promptreg.registry.release import release as run

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
        click.echo(f"{verb:17} {r.name} {r.version}  ({r.tag} at {short_commit(r.commit)})")
        if r.note:
            click.echo(f"{'':17} note: {r.note}", err=True)


_sign_option = click.option(
    "--sign",
    is_flag=True,
    help="Sign the tag as git tag -s does (gpg.format, user.signingkey); "
    "automatic for environments listed under signing: in promptreg.yaml.",
)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every prompt in the working tree.")
@click.option("--to", "to", required=True, metavar="ENV", help="Environment to deploy to.")
@click.option("--version", "version", metavar="V", help="A released version (default: HEAD's).")
@click.option("--from", "from_env", metavar="ENV", help="Deploy what ENV runs now.")
@click.option("--reason", help="Why: written into the deployment tag.")
@push_options
@click.option(
    "--force", is_flag=True, help="Override the promotion order or the gate (needs --reason)."
)
@_sign_option
@json_option
@click.pass_obj
def promote(
    state: State,
    *,
    names: tuple[str, ...],
    every: bool,
    to: str,
    version: str | None,
    from_env: str | None,
    reason: str | None,
    push: str | None,
    no_push: bool,
    force: bool,
    sign: bool,
    as_json: bool,
) -> None:
    """Deploy NAMES to an environment: an annotated tag prompts/NAME@ENV/SEQ each. NAMES may
    be globs (`'support/*'`); several prompts are promoted all or nothing, in one push."""
    from promptreg.registry.deploy import promote as run

    chosen = _chosen_names(state, names, every)
    push = push_remote(state, push, no_push)
    if len(chosen) > 1 or every or chosen != list(names):
        if version is not None:
            raise UsageError("--version names one prompt's version: promote several without it")
        with remote_down():
            _promote_many(
                state,
                chosen,
                to=to,
                from_env=from_env,
                reason=reason,
                push=push,
                force=force,
                sign=sign,
                as_json=as_json,
            )
        return
    (name,) = chosen
    with remote_down():
        result = run(
            state.registry,
            name,
            gate=_evals_gate(state, to),
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


def _evals_gate(state: State, env: str) -> Gate:
    """The gate every promotion from the command line passes: the evals gate of `env`."""
    from promptreg.evals.gate import deploy_gate

    return deploy_gate(state.registry, env)


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
    *,
    to: str,
    from_env: str | None,
    reason: str | None,
    push: str | None,
    force: bool,
    sign: bool,
    as_json: bool,
) -> None:
    from promptreg.errors import BatchRefused
    from promptreg.registry.deploy import promote_many

    try:
        results = promote_many(
            state.registry,
            names,
            gate=_evals_gate(state, to),
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
    from promptreg.errors import DeployError

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
@push_options
@_sign_option
@json_option
@click.pass_obj
def rollback(
    state: State,
    *,
    name: str,
    env: str,
    to: str | None,
    reason: str | None,
    push: str | None,
    no_push: bool,
    sign: bool,
    as_json: bool,
) -> None:
    """Deploy an earlier version again, as a new tag (nothing is deleted or moved)."""
    from promptreg.registry.rollback import rollback as run

    remote = push_remote(state, push, no_push)
    with remote_down():
        result = run(state.registry, name, env=env, to=to, reason=reason, push=remote, sign=sign)
    if as_json:
        emit_json(result.to_json())
        return
    pushed = f", pushed to {result.pushed_to}" if result.pushed_to else ""
    click.echo(f"rolled back  {name} in {env} to {result.version}  ({result.tag}{pushed})")
