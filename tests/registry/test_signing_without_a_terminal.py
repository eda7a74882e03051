"""ssh-keygen asks for a key's passphrase on the terminal when there is one; without one (a CI
job, a pipe on stdin that stays open) it must fail at once rather than wait on stdin. Also: a
bad signature by a key listed for several principals names them all."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import promptreg
from promptreg.errors import SignatureError
from promptreg.registry.sshsig import _ssh_keygen, sign, verify
from tests.registry.test_bundle_integrity import Exported, exported, made

__all__ = ["exported", "made"]  # the module-scoped export, shared with test_bundle_integrity


def _env() -> dict[str, str]:
    """The environment of a child `python`: it imports the promptreg these tests import (the
    one under test, wherever it was loaded from), not whichever one is installed."""
    return {**os.environ, "PYTHONPATH": str(Path(promptreg.__file__).resolve().parent.parent)}


def _locked_key(directory: Path) -> Path:
    key = directory / "locked"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(key)], check=True
    )
    return key


@pytest.mark.parametrize("stdout", ["pipe", "terminal"])
def test_signing_with_a_locked_key_and_stdin_left_open_fails_at_once(
    exported: Exported, tmp_path: Path, stdout: str
):
    """stdin is a pipe nobody writes to or closes, stdout a pipe or a terminal: no terminal to
    type a passphrase on, so ssh-keygen gets an empty stdin and fails."""
    key = _locked_key(tmp_path)
    out, err = tmp_path / "b.json", tmp_path / "stderr"
    sign = ["--sign", str(key)]
    master = None
    if stdout == "terminal":
        master, slave = pty.openpty()
        target: int = slave
    else:
        target = subprocess.PIPE
    with err.open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "promptreg", "export", "--env", "dev", "-o", str(out), *sign],
            stdin=subprocess.PIPE,  # held open below until the process ends
            stdout=target,
            stderr=errors,
            start_new_session=True,  # no controlling terminal to fall back to
            env=_env(),
        )
        started = time.monotonic()
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("ssh-keygen waited for a passphrase on a stdin that was not a terminal")
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            if master is not None:
                os.close(master)
                os.close(slave)
    assert time.monotonic() - started < 20
    assert code == 1
    assert "ssh-keygen could not sign" in err.read_text(encoding="utf-8")
    assert not out.exists()


def test_a_bad_signature_by_a_key_of_two_principals_names_both(tmp_path: Path):
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True
    )
    public = (tmp_path / "k.pub").read_text(encoding="utf-8").strip()
    allowed = tmp_path / "allowed"
    allowed.write_text(f'a@example.com,b@x.org namespaces="ns" {public}\n', encoding="utf-8")
    signature = sign(b"what was signed", key=tmp_path / "k", namespace="ns")
    assert verify(b"what was signed", signature, allowed_signers=allowed, namespace="ns") in (
        "a@example.com",
        "b@x.org",
    )
    with pytest.raises(SignatureError) as err:
        verify(b"something else", signature, allowed_signers=allowed, namespace="ns")
    assert str(err.value).startswith(
        f"bad signature: not a valid 'ns' signature by 'a@example.com', 'b@x.org' from {allowed} "
    )


def test_an_ssh_keygen_that_does_not_answer_is_stopped_with_the_limit_named(tmp_path: Path):
    """On a terminal ssh-keygen may wait for a passphrase nobody types: it is stopped at the
    time limit (1 s here), with a message naming it."""
    key = _locked_key(tmp_path)
    (tmp_path / "m").write_bytes(b"data")
    script = (
        "import sys\n"
        "from promptreg.registry.sshsig import SignatureError, _ssh_keygen\n"
        f"args = ['-Y', 'sign', '-n', 'ns', '-f', {str(key)!r}, {str(tmp_path / 'm')!r}]\n"
        "try:\n"
        "    _ssh_keygen(args, None, timeout=1)\n"
        "except SignatureError as err:\n"
        "    print(err)\n"
    )
    master, slave = pty.openpty()  # stdin is a terminal that nobody types on
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=30,
            start_new_session=True,
            env=_env(),
        )
    finally:
        os.close(master)
        os.close(slave)
    assert proc.stdout.strip() == "ssh-keygen did not answer within 1 s", proc.stderr


@contextlib.contextmanager
def _descriptors(stdin: int, stdout: int | None = None) -> Iterator[None]:
    """This process's fd 0 (and 1) replaced for a while: what ssh-keygen inherits."""
    saved = {fd: os.dup(fd) for fd in (0, 1)}
    try:
        os.dup2(stdin, 0)
        if stdout is not None:
            os.dup2(stdout, 1)
        yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


@pytest.mark.parametrize("stdout", ["not a terminal", "terminal"])
def test_signing_in_process_with_stdin_left_open_fails_at_once(tmp_path: Path, stdout: str):
    """The same, in this process (the library call `export --sign` makes): fd 0 is a pipe that
    stays open; fd 1 a terminal or not. A watchdog closes the pipe after 15 s, so an ssh-keygen
    wrongly left reading it fails late instead of hanging the suite."""
    key = _locked_key(tmp_path)
    read, write = os.pipe()
    master, slave = pty.openpty()
    watchdog = threading.Timer(15, os.close, (write,))
    watchdog.start()
    started = time.monotonic()
    try:
        terminal = slave if stdout == "terminal" else None
        with _descriptors(read, terminal), pytest.raises(SignatureError) as err:
            sign(b"data", key=key, namespace="ns")
    finally:
        if watchdog.is_alive():
            watchdog.cancel()
            os.close(write)
        for fd in (read, master, slave):
            os.close(fd)
    assert time.monotonic() - started < 10
    assert str(err.value).startswith(f"{key}: ssh-keygen could not sign")


def test_an_ssh_keygen_that_does_not_answer_in_process_is_stopped(tmp_path: Path):
    key = _locked_key(tmp_path)
    (tmp_path / "m").write_bytes(b"data")
    master, slave = pty.openpty()  # fd 0 a terminal nobody types on: ssh-keygen waits
    try:
        with _descriptors(slave), pytest.raises(SignatureError) as err:
            _ssh_keygen(
                ["-Y", "sign", "-n", "ns", "-f", str(key), str(tmp_path / "m")], None, timeout=1
            )
    finally:
        os.close(master)
        os.close(slave)
    assert str(err.value) == "ssh-keygen did not answer within 1 s"
