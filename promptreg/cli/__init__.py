"""The command line: thin click commands over the library. Only this package imports click.

Every command parses its options, calls one library function, and formats the result as text
or, with `--json`, as stable JSON (documented in the README). Errors become one-line messages
at a single boundary (`main`); `--debug` shows the traceback as well. One module per group of
commands; importing them registers them on `cli`.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from promptreg.cli import bundles as _bundles  # noqa: F401  (registers the commands)
from promptreg.cli import deploy as _deploy  # noqa: F401
from promptreg.cli import evals as _evals  # noqa: F401  (registers the commands)
from promptreg.cli import formats as _formats  # noqa: F401
from promptreg.cli import hooks as _hooks  # noqa: F401
from promptreg.cli import prompts as _prompts  # noqa: F401  (registers the commands)
from promptreg.cli import registry as _registry  # noqa: F401
from promptreg.cli import remote as _remote  # noqa: F401  (registers sync, push, mirror)
from promptreg.cli import site as _site  # noqa: F401  (registers the commands)
from promptreg.cli._base import cli
from promptreg.cli.completion import attach as _attach_completion
from promptreg.errors import ExitCode, PromptregError
from promptreg.findings import one_line

__all__ = ["cli", "main"]

_attach_completion(cli)  # prompt names and environments, once every command is registered


def no_color() -> bool:
    """https://no-color.org: a non-empty NO_COLOR turns colour and bold off, on a terminal too
    (click already leaves them out when the output is not a terminal)."""
    import os

    return bool(os.environ.get("NO_COLOR"))


def _fail(message: str, code: int) -> int:
    click.echo(f"promptreg: error: {one_line(message)}", err=True)
    return code


INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a process Ctrl-C stopped


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into a message and an exit code."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="promptreg",
            standalone_mode=False,
            color=False if no_color() else None,  # None: click's own test, a terminal or not
        )
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as err:
        # click's own errors (unknown option, missing argument, bad value) in the same one-line
        # form as ours, with where to read the usage instead of click's multi-line block.
        message = err.format_message()
        ctx = getattr(err, "ctx", None)
        if isinstance(err, click.UsageError) and ctx is not None:
            message += f" (see `{ctx.command_path} --help`)"
        return _fail(message, ExitCode.USAGE)
    except click.exceptions.Abort as abort:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort: still 130, as shells and CI
        # expect of a process stopped by SIGINT; an EOF at a prompt is a usage error.
        if isinstance(abort.__cause__ or abort.__context__, KeyboardInterrupt):
            return _fail("interrupted", INTERRUPTED)
        return _fail("aborted", ExitCode.USAGE)
    except PromptregError as err:
        if debug:
            traceback.print_exc()
        return _fail(str(err), err.exit_code)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else ExitCode.USAGE
    except KeyboardInterrupt:
        return _fail("interrupted", INTERRUPTED)
    except Exception as err:  # a bug of ours: say so, briefly, unless asked for the traceback
        if debug:
            traceback.print_exc()
        return _fail(
            f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback, "
            "and please report it)",
            ExitCode.UNEXPECTED,
        )
    return ExitCode.OK
