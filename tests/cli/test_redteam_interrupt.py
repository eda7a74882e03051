"""Red-team cases for Ctrl-C (issue 8 §5, clean failure): a CLI command interrupted by SIGINT
exited 2 with "aborted" (click turns KeyboardInterrupt into Abort). Shells and CI expect 130
(128 + SIGINT) for a process Ctrl-C stopped; the message is one line, there is no traceback
(from this process or from the workers `validate --jobs` forks), and no file is left half
written. Real subprocesses, sent SIGINT as a terminal sends it: to the whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Workspace

BUSY = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  n: {type: integer, default: 3}
sample: {n: 3}
---
user:
{% for i in range(100000) %}{% for j in range(100000) %}{{ n }}{% endfor %}{% endfor %}
"""
# Each prompt renders for as long as the limits let it: tens of seconds, so SIGINT always
# arrives during the work.
SLOW = (
    "prompts_dir: prompts\n"
    "limits: {render_timeout: 60, max_steps: 1000000000000, max_output_chars: 1000000000000,"
    " max_total_chars: 1000000000000}\n"
)


@pytest.fixture
def busy(ws: Workspace) -> Workspace:
    ws.write("promptreg.yaml", SLOW)
    for i in range(6):
        ws.prompt(f"p{i}", BUSY)
    return ws


def _interrupt(root: Path, *args: str) -> tuple[int, str, float]:
    env = dict(os.environ, NO_COLOR="1", PROMPTREG_NO_CACHE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptreg", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell's foreground job
    )
    time.sleep(1.5)  # started, and busy rendering
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc.returncode, err, time.monotonic() - sent


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("validate", "--jobs", "2"),
        ("validate", "--json"),
        ("render", "p0", "--sample"),
        ("render", "p0", "--sample", "--json"),
    ],
)
def test_ctrl_c_exits_130_with_one_line(busy: Workspace, args: tuple[str, ...]):
    before = sorted(p.relative_to(busy.root) for p in busy.root.rglob("*"))
    code, err, took = _interrupt(busy.root, *args)
    assert code == 130, err
    assert [line for line in err.splitlines() if line.strip()] == ["promptreg: error: interrupted"]
    assert took < 10  # it stops soon after the signal, not when the work is done
    after = sorted(p.relative_to(busy.root) for p in busy.root.rglob("*"))
    assert after == before  # nothing half written, no temporary file left behind


def test_an_eof_at_a_prompt_is_still_aborted(ws: Workspace):
    # click's Abort without a KeyboardInterrupt behind it keeps its usage exit code.
    import click

    from promptreg.cli import cli, main

    @click.command()
    def asks() -> None:
        raise click.exceptions.Abort()

    cli.add_command(asks, "asks-for-test")
    try:
        assert main(["asks-for-test"]) == 2
    finally:
        cli.commands.pop("asks-for-test", None)
