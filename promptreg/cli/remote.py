"""Commands and options for the shared remote (issue 10): the default remote of promote and
rollback, `sync` (alias `push`), and `mirror`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from promptreg.cli._base import State, cli, emit_json, json_option
from promptreg.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from promptreg.registry.remote_view import RemoteView
    from promptreg.registry.tags import Deployment

F = TypeVar("F", bound=Callable[..., object])

KEPT = (
    "nothing was deployed, here or there (a deployment is pushed before it is created "
    "locally); run it again when the remote answers, or with --no-push to deploy in this "
    "clone only and `promptreg sync` later"
)


offline_option = click.option(
    "--offline", is_flag=True, help="Do not ask the remote (compare with its last fetched state)."
)


def push_options(f: F) -> F:
    """`--push [REMOTE]` and `--no-push`: by default a deployment goes to the shared remote."""
    f = click.option(
        "--no-push",
        "no_push",
        is_flag=True,
        help="Keep the new tag in this clone (push it later with `promptreg sync`).",
    )(f)
    return click.option(
        "--push",
        "push",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[REMOTE]",
        help="Fetch the environment's tags from REMOTE first and push the new tag atomically "
        "(default, when the repository has a remote: `remote:` in promptreg.yaml, else origin).",
    )(f)


def push_remote(state: State, push: str | None, no_push: bool) -> str | None:
    """The remote a deployment command talks to (None: none)."""
    from promptreg.registry.remote import choose_remote

    config = state.registry.project.config
    choice = choose_remote(
        state.registry.store,
        explicit=push or None,
        no_push=no_push,
        configured=config.remote,
        push_default=config.push or push == "",
    )
    if push == "" and choice.remote is None:
        raise UsageError("--push: this repository has no remote (add origin, or `remote:`)")
    return choice.remote


@contextlib.contextmanager
def remote_down() -> Iterator[None]:
    """A deployment command's RemoteError says what was kept: nothing was deployed."""
    from promptreg.errors import RemoteError

    try:
        yield
    except RemoteError as err:
        raise err.keeping(KEPT) from None


def remote_json(view: RemoteView, groups: dict[tuple[str, str], list[Deployment]]) -> object:
    newer = {
        f"{name}@{env}": seq
        for (name, env), ds in groups.items()
        if (seq := view.newer(name, env, ds[0].seq if ds else None)) is not None
    }
    local = sorted(d.tag for ds in groups.values() for d in ds if d.tag in view.local_only)
    return {
        "name": view.remote,
        "asked": view.asked,
        "note": view.note,
        "local_only": local,
        "newer_on_remote": newer,
    }


def remote_notes(view: RemoteView, groups: dict[tuple[str, str], list[Deployment]]) -> None:
    if view.note:
        click.echo(f"note: {view.note}", err=True)
    for (name, env), ds in groups.items():
        seq = view.newer(name, env, ds[0].seq if ds else None)
        if seq is not None:
            click.echo(
                f"{view.remote} is newer: {name}@{env} has deployment {seq} there, not fetched "
                "here (`promptreg sync`)"
            )


def _sync_remote(state: State, remote: str | None) -> str:
    found = push_remote(state, remote if remote is not None else "", False)
    assert found is not None
    return found


@cli.command()
@click.argument("remote", required=False)
@click.option("--dry-run", is_flag=True, help="Fetch, and say what would be pushed; push nothing.")
@json_option
@click.pass_obj
def sync(state: State, remote: str | None, dry_run: bool, as_json: bool) -> None:
    """Fetch the remote's promptreg tags, push this clone's unpushed ones (atomically), and
    repair the remote's state ref. A local deployment whose seq the remote gave to another
    deployment is re-created under the next free seq (the local tag stays as it is)."""
    from promptreg.registry.sync import sync as run

    result = run(state.registry, _sync_remote(state, remote), dry_run=dry_run)
    if as_json:
        emit_json(result.to_json())
    else:
        for line in result.lines():
            click.echo(line)
    if result.conflicts or result.skipped:
        sys.exit(ExitCode.FINDINGS)  # something stays unpushed: a person must look


cli.add_command(sync, name="push")


@cli.command()
@click.argument("url")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--every",
    type=click.FloatRange(min=0.5),
    metavar="SECONDS",
    help="Keep polling (a sidecar): update the mirror every SECONDS until stopped.",
)
@json_option
def mirror(url: str, directory: Path, every: float | None, as_json: bool) -> None:
    """Create or update a partial bare mirror of the registry at URL in DIRECTORY (its
    promptreg tags, state ref and default branch; blobs fetched when first read). Then
    `Registry(DIRECTORY)` serves from it. For an init container, a sidecar or cron."""
    import time

    from promptreg.errors import RemoteError
    from promptreg.registry.mirror import mirror as run

    while True:
        try:
            done = run(url, directory)
        except RemoteError as err:
            if every is None:
                raise
            click.echo(f"promptreg: error: {err} (the mirror is kept; trying again)", err=True)
            time.sleep(every)  # a sidecar outlives an outage of the remote
            continue
        if as_json:
            emit_json(
                {
                    "url": url,
                    "directory": str(directory),
                    "changed": done.changed,
                    "state": done.state,
                    "full": done.full,
                }
            )
        else:
            what = "updated" if done.changed else "unchanged"
            state = f"state {done.state[:12]}" if done.state else "no state ref (tags listed)"
            click.echo(f"mirror {directory} of {url}: {what}, {state}")
        if every is None:
            return
        time.sleep(every)
