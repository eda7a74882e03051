"""Red-team attacks on the shared remote: a remote argument never becomes a git option."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promptreg.errors import UsageError
from promptreg.registry import gitstore
from promptreg.registry.gitstore import GitStore
from promptreg.registry.probe import ProbeUnavailable, remote_ref
from promptreg.registry.remote import choose_remote, fetch, ls_remote
from tests.conftest import Result, Workspace, git


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    return bare


def _hostile(tmp_path: Path) -> tuple[str, Path]:
    flag = tmp_path / "pwned"
    return f"--upload-pack=touch {flag};", flag


@pytest.mark.parametrize(
    "argv",
    [
        ("sync", "--", "{remote}"),
        ("sync", "--dry-run", "--", "{remote}"),
    ],
)
def test_a_remote_named_like_an_option_runs_nothing(
    repo: Workspace,
    remote: Path,
    tmp_path: Path,
    run: Callable[..., Result],
    argv: tuple[str, ...],
) -> None:
    """`promptreg sync -- '--upload-pack=touch x;'` ran `touch x` (git read the remote as an
    option)."""
    hostile, flag = _hostile(tmp_path)
    result = run(*(a.format(remote=hostile) for a in argv))
    assert not flag.exists()
    assert result.code in (1, 2) and "is not a remote name or URL" in result.err
    assert git(repo.root, "tag", "--list", "prompts/triage@dev/*") == ""


@pytest.mark.parametrize("bad", ["--upload-pack=x", "-o", "", "a\nb", "a\0b"])
def test_every_network_call_of_the_store_checks_its_remote(repo: Workspace, bad: str) -> None:
    store = GitStore(repo.root)
    try:
        with pytest.raises(UsageError):
            choose_remote(store, explicit=bad, no_push=False, configured=None, push_default=True)
        with pytest.raises(UsageError):
            fetch(store, bad, ["refs/tags/prompts/*:refs/tags/prompts/*"])
        with pytest.raises(UsageError):
            ls_remote(store, bad, ["refs/tags/prompts/"])
        with pytest.raises(UsageError):
            store.push(bad, ["refs/heads/main"], options=["--dry-run"])
        with pytest.raises(UsageError):
            store.push(bad, ["refs/heads/main"])
    finally:
        store.close()


class _Drip:
    """A server on 127.0.0.1 that answers any connection with valid pkt-lines (empty ones),
    one byte every 50 ms, forever: each read is quick, the answer never ends."""

    def __init__(self, http: bool) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.http = http
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        port = self.sock.getsockname()[1]
        return f"http://127.0.0.1:{port}/r.git" if self.http else f"git://127.0.0.1:{port}/r.git"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                if self.http:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n")
                while not self.stop.is_set():
                    conn.sendall(b"0")
                    time.sleep(0.05)
                    conn.sendall(b"004"[:1])
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("http", [False, True])
def test_a_remote_that_drips_never_holds_the_probe(http: bool) -> None:
    """The socket timeout bounded each read only: a remote sending a byte every 50 ms held
    the follower's poll for hours (64 KB of them)."""
    server = _Drip(http)
    outcome: list[object] = []

    def probe() -> None:
        try:
            outcome.append(remote_ref(server.url, "refs/promptreg/state", timeout=1.0))
        except ProbeUnavailable as err:
            outcome.append(err)

    try:
        worker = threading.Thread(target=probe, daemon=True)
        worker.start()
        worker.join(timeout=8)
        assert not worker.is_alive(), "the probe is still reading"
        assert isinstance(outcome[0], ProbeUnavailable)
    finally:
        server.close()


@pytest.fixture
def silent() -> Iterator[str]:
    """A git:// URL on 127.0.0.1 whose server accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=serve, daemon=True).start()
    yield f"git://127.0.0.1:{server.getsockname()[1]}/r.git"
    stop.set()
    server.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("command", ["mirror", "promote", "sync"])
def test_a_remote_that_never_answers_is_a_remote_error_in_bounded_time(
    repo: Workspace,
    tmp_path: Path,
    silent: str,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """git has no timeout for git://: `mirror`, a follower's poll and `promote` waited for a
    silent remote forever."""
    monkeypatch.setattr(gitstore, "NETWORK_TIMEOUT", 2.0)
    git(repo.root, "remote", "add", "origin", silent)
    argv = {
        "mirror": ("mirror", silent, str(tmp_path / "m")),
        "promote": ("promote", "triage", "--to", "dev"),
        "sync": ("sync",),
    }[command]
    started = time.monotonic()
    result = run(*argv)
    assert time.monotonic() - started < 10
    assert result.code in (1, 2) and "timed out" in result.err
    assert git(repo.root, "tag", "--list", "prompts/triage@dev/*") == ""
