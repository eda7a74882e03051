"""Commands for git hooks: `hook <id>` (what .pre-commit-hooks.yaml runs), `bump` and
`install-hooks`.

Hook output is one line per finding, `path:line: CODE message`, and nothing when all is well,
as pre-commit's own hooks do; exit 0 clean, 1 on findings (or when `--fix` changed a file).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from promptreg.cli._base import State, cli, emit_json, json_option
from promptreg.errors import ExitCode

if TYPE_CHECKING:
    from promptreg.hooks.report import HookReport


def _finish(report: HookReport, as_json: bool = False) -> None:
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "findings": [
                    {"path": f.path, "line": f.line, "code": f.code, "message": f.message}
                    for f in report.findings
                ],
                "fixed": [{"path": f.path, "what": f.what} for f in report.fixed],
            }
        )
        if not report.ok:
            sys.exit(ExitCode.FINDINGS)
        return
    for finding in report.findings:
        click.echo(f"{finding.path}:{finding.line}: {finding.code} {finding.message}")
    for fixed in report.fixed:
        click.echo(f"{fixed.path}: fixed: {fixed.what}")
    if not report.ok:
        sys.exit(ExitCode.FINDINGS)


_files = click.argument("files", nargs=-1, type=click.Path())
_base = click.option(
    "--base",
    metavar="REV",
    help="Compare with this revision (default: PRE_COMMIT_FROM_REF, else HEAD).",
)


@cli.group()
def hook() -> None:
    """Run one of promptreg's git hooks on FILES (pre-commit passes them). Without FILES: the
    files changed from the base revision to what is staged (or to PRE_COMMIT_TO_REF)."""


@hook.command("validate")
@_files
@_base
@json_option
@click.pass_obj
def hook_validate(state: State, files: tuple[str, ...], base: str | None, as_json: bool) -> None:
    """Everything `promptreg validate` checks; a partial checks the prompts including it."""
    from promptreg.hooks.validate import run_validate

    _finish(run_validate(state.project, files, base=base), as_json)


@hook.command("version-bump")
@_files
@_base
@click.option("--fix", is_flag=True, help="Rewrite each failing version to the suggested one.")
@json_option
@click.pass_obj
def hook_version_bump(
    state: State, files: tuple[str, ...], base: str | None, fix: bool, as_json: bool
) -> None:
    """Changed content needs a higher version than at the base revision."""
    from promptreg.hooks.version_bump import run_version_bump

    _finish(run_version_bump(state.project, files, base=base, fix=fix), as_json)


@hook.command("evals-fresh")
@_files
@_base
@json_option
@click.pass_obj
def hook_evals_fresh(state: State, files: tuple[str, ...], base: str | None, as_json: bool) -> None:
    """Eval scores must be measured on the current content and meet their thresholds."""
    from promptreg.hooks.evals_fresh import run_evals_fresh

    _finish(run_evals_fresh(state.project, files, base=base), as_json)


@hook.command("no-secrets")
@_files
@_base
@json_option
@click.pass_obj
def hook_no_secrets(state: State, files: tuple[str, ...], base: str | None, as_json: bool) -> None:
    """No API keys, tokens or private keys in prompts, samples or partials."""
    from promptreg.hooks.no_secrets import run_no_secrets

    _finish(run_no_secrets(state.project, files, base=base), as_json)


@hook.command("pre-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@json_option
@click.pass_obj
def hook_pre_push(state: State, remote: str | None, url: str | None, as_json: bool) -> None:
    """Refuse to push a deployment tag whose evals gate fails (reads git's refs on stdin)."""
    import os

    from promptreg.hooks.pre_push import parse_push_lines, run_pre_push

    lines = "" if sys.stdin.isatty() else sys.stdin.read()
    pushing_to = os.environ.get("PRE_COMMIT_REMOTE_NAME")
    if not parse_push_lines(lines) and pushing_to:  # under pre-commit: it kept git's lines
        from promptreg.hooks.unpushed import unpushed_tag_lines

        lines = unpushed_tag_lines(state.project.root, pushing_to)
    _finish(run_pre_push(state.project, lines), as_json)


@cli.command()
@click.argument("name")
@click.option("--major", is_flag=True, help="Bump MAJOR (1.4.2 → 2.0.0).")
@click.option("--minor", is_flag=True, help="Bump MINOR (1.4.2 → 1.5.0).")
@click.option("--patch", is_flag=True, help="Bump PATCH (the default: 1.4.2 → 1.4.3).")
@json_option
@click.pass_obj
def bump(state: State, name: str, major: bool, minor: bool, patch: bool, as_json: bool) -> None:
    """Raise a prompt's version, editing only the `version:` line. Which part to raise for
    which change: README "Which bump"; the version-bump hook says which one it needs."""
    from promptreg.errors import UsageError
    from promptreg.hooks.version_bump import bump_prompt

    given = [part for part, on in (("major", major), ("minor", minor), ("patch", patch)) if on]
    if len(given) > 1:
        flags = " and ".join(f"--{p}" for p in given)
        raise UsageError(f"{flags} are mutually exclusive: give one of --major, --minor, --patch")
    done = bump_prompt(state.project, name, given[0] if given else "patch")
    if as_json:
        emit_json(
            {
                "name": done.name,
                "old": str(done.old),
                "new": str(done.new),
                "path": state.project.shown(done.path),
            }
        )
        return
    click.echo(f"bumped {done.name} {done.old} → {done.new}  ({state.project.shown(done.path)})")


@cli.command("install-hooks")
@click.option(
    "--force", is_flag=True, help="Replace hooks promptreg did not write (kept as backups)."
)
@json_option
def install_hooks(force: bool, as_json: bool) -> None:
    """Install the git hooks (pre-commit, pre-push) where git runs them."""
    from pathlib import Path

    from promptreg.hooks.install import install_hooks as run

    done = run(Path.cwd(), force=force)
    if as_json:
        emit_json(
            [
                {
                    "hook": item.name,
                    "path": str(item.path),
                    "action": item.action,
                    "backup": str(item.backup) if item.backup else None,
                    "note": item.note,
                }
                for item in done
            ]
        )
        return
    for item in done:
        note = f"  (old hook kept as {item.backup})" if item.backup else ""
        note += f"  ({item.note})" if item.note else ""
        click.echo(f"{item.action:9} {item.path}{note}")
