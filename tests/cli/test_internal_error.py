"""The command line's one error boundary (`promptreg.cli.main`): a bug of ours is exit 3 and one
line saying so (the traceback only with --debug); an expected error keeps its own exit code;
an interrupt is 130. Driven through the real click group, with commands that fail on purpose
added for the test and removed after it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
import pytest

from promptreg.cli import main
from promptreg.cli._base import cli
from promptreg.errors import ExitCode, GitError, UsageError


@pytest.fixture
def failing() -> Iterator[Callable[[BaseException], None]]:
    """`failing(exc)`: `promptreg boom` raises `exc`."""
    raised: list[BaseException] = []

    @cli.command(name="boom")
    def boom() -> None:
        raise raised[0]

    def set_error(exc: BaseException) -> None:
        raised[:] = [exc]

    yield set_error
    cli.commands.pop("boom")


def test_a_bug_is_exit_3_in_one_line_without_a_traceback(failing, capsys):
    failing(KeyError("field\nsecond line"))
    assert main(["boom"]) == ExitCode.UNEXPECTED == 3
    err = capsys.readouterr().err
    assert err.startswith("promptreg: error: internal error: KeyError: ")
    assert err.count("\n") == 1  # one line, whatever the exception's text holds
    assert "run with --debug for the traceback, and please report it" in err
    assert "Traceback" not in err


def test_with_debug_the_traceback_is_shown_too(failing, capsys):
    failing(ZeroDivisionError("division by zero"))
    assert main(["--debug", "boom"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ZeroDivisionError: division by zero" in err
    assert err.rstrip().splitlines()[-1].startswith("promptreg: error: internal error:")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("wrong"), ExitCode.USAGE),
        (GitError("git broke"), ExitCode.FINDINGS),
        (click.Abort(), ExitCode.USAGE),
        # click turns an interrupt inside a command into Abort; main looks behind it: 130,
        # "interrupted", as shells expect of Ctrl-C (tests/cli/test_redteam_interrupt.py)
        (KeyboardInterrupt(), 130),
    ],
)
def test_expected_errors_keep_their_exit_codes(failing, capsys, error, code):
    failing(error)
    assert main(["boom"]) == code
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert err.strip().splitlines()[-1].startswith("promptreg: error: ")


def test_sys_exit_passes_through(failing, capsys):
    failing(SystemExit(0))
    assert main(["boom"]) == 0
    failing(SystemExit("a message"))
    assert main(["boom"]) == ExitCode.USAGE
