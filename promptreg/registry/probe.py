"""Ask a remote where one ref points, without starting git: the follower's no-change poll.

A `git fetch` of one ref that did not move costs a git process, its start-up and its own
connection (~50 ms on a loaded 2-core machine); speaking git's protocol v2 `ls-refs` with a
`ref-prefix` directly costs one small exchange (~5 ms), the same at 10 or 100,000 tags, since
the server lists only the refs under that prefix. Supported: `git://`, `http://` and
`https://` (no credentials prompt: a remote that asks for them falls back), and a repository
on this machine (a path or `file://`: its ref files are read). Anything else, or any answer
that is not what git would send, raises `ProbeUnavailable` and the caller runs `git fetch`,
which is always right. The answer only decides whether to fetch: a remote that lies here can
delay a follower, as a stale state ref can, never make it serve anything.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

_MAX_BYTES = 64 * 1024  # an ls-refs answer for one prefix is one line or two
_OID_LENGTHS = (40, 64)


class ProbeUnavailable(Exception):
    """This remote cannot be probed here: run `git fetch` instead."""


def remote_ref(url: str, ref: str, *, timeout: float = 5.0) -> str | None:
    """The object id `ref` names on the remote at `url` (None: no such ref)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "git":
        return _git_daemon(parsed, ref, timeout)
    if parsed.scheme in ("http", "https"):
        return _smart_http(url, ref, timeout)
    if parsed.scheme == "file":
        return _local(Path(urllib.parse.unquote(parsed.path)), ref)
    if not parsed.scheme and url.startswith("/"):
        return _local(Path(url), ref)
    raise ProbeUnavailable(f"no probe for {parsed.scheme or 'this'} remotes")


def _pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


def _request(ref: str) -> bytes:
    return (
        _pkt(b"command=ls-refs\n") + b"0001" + _pkt(b"ref-prefix " + ref.encode() + b"\n") + b"0000"
    )


def _answer(data: bytes, ref: str) -> str | None:
    """The oid of `ref` in an ls-refs answer (pkt-lines up to a flush)."""
    pos, found = 0, None
    while True:
        head = data[pos : pos + 4]
        if len(head) < 4:
            raise ProbeUnavailable("the answer ended early")
        try:
            size = int(head, 16)
        except ValueError:
            raise ProbeUnavailable("not a pkt-line") from None
        if size == 0:
            return found
        if size < 4 or pos + size > len(data):
            raise ProbeUnavailable("not a pkt-line")
        line = data[pos + 4 : pos + size].rstrip(b"\n").decode("ascii", "replace")
        pos += size
        oid, _, name = line.partition(" ")
        if line.startswith("ERR "):
            raise ProbeUnavailable(line)
        if name.split(" ")[0] == ref:
            if len(oid) not in _OID_LENGTHS or any(c not in "0123456789abcdef" for c in oid):
                raise ProbeUnavailable("not an object id")
            found = oid


def _read_flushed(sock: socket.socket, deadline: float) -> bytes:
    """Read pkt-lines up to (and including) a flush packet, at most _MAX_BYTES, by
    `deadline` (a `time.monotonic()`): the socket's timeout bounds one read, and a remote
    that sends a byte just before each would hold the follower's poll for days."""
    data = b""
    pos = 0
    while True:
        while len(data) < pos + 4:
            data += _recv(sock, deadline)
        try:
            size = int(data[pos : pos + 4], 16)
        except ValueError:
            raise ProbeUnavailable("not a pkt-line") from None
        if size in (2, 3) or len(data) > _MAX_BYTES:
            raise ProbeUnavailable("not a pkt-line, or too long")
        if size == 0:
            return data[: pos + 4]
        step = 4 if size == 1 else size
        while len(data) < pos + step:
            data += _recv(sock, deadline)
        pos += step


def _recv(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ProbeUnavailable("the remote answers too slowly")
    sock.settimeout(left)
    chunk = sock.recv(8192)
    if not chunk:
        raise ProbeUnavailable("the remote closed the connection")
    return chunk


def _git_daemon(parsed: urllib.parse.SplitResult, ref: str, timeout: float) -> str | None:
    host, port = parsed.hostname or "", parsed.port or 9418
    hello = b"git-upload-pack " + parsed.path.encode() + b"\0host=" + host.encode()
    hello += (b":%d" % port if parsed.port else b"") + b"\0\0version=2\0"
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(_pkt(hello))
            caps = _read_flushed(sock, deadline)  # the capability advertisement
            if b"version 2" not in caps or b"ls-refs" not in caps:
                raise ProbeUnavailable("the remote does not speak protocol v2")
            sock.sendall(_request(ref))
            answer = _read_flushed(sock, deadline)
            sock.sendall(b"0000")
    except OSError as err:
        raise ProbeUnavailable(str(err)) from None
    return _answer(answer, ref)


def _smart_http(url: str, ref: str, timeout: float) -> str | None:
    request = urllib.request.Request(
        url.rstrip("/") + "/git-upload-pack",
        data=_request(ref),
        headers={
            "Content-Type": "application/x-git-upload-pack-request",
            "Accept": "application/x-git-upload-pack-result",
            "Git-Protocol": "version=2",
            "User-Agent": "git/promptreg-probe",
        },
        method="POST",
    )
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = b""
            while len(data) <= _MAX_BYTES and (chunk := response.read1(8192)):
                data += chunk
                if time.monotonic() > deadline:
                    raise ProbeUnavailable("the remote answers too slowly")
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise ProbeUnavailable(str(err)) from None
    if len(data) > _MAX_BYTES:
        raise ProbeUnavailable("the answer is too long")
    return _answer(data, ref)


def _local(repo: Path, ref: str) -> str | None:
    """Read `ref` from a repository on this machine (bare, or a work tree's `.git`)."""
    git_dir = repo if (repo / "HEAD").is_file() else repo / ".git"
    if not (git_dir / "HEAD").is_file():
        raise ProbeUnavailable(f"{repo} is not a git repository")
    try:
        text = (git_dir / ref).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as err:
        raise ProbeUnavailable(str(err)) from None
    if text:
        if len(text) not in _OID_LENGTHS:
            raise ProbeUnavailable("not an object id")
        return text
    try:
        with (git_dir / "packed-refs").open("rb") as packed:
            for line in packed:
                if line.rstrip(b"\n").endswith(b" " + ref.encode()):
                    return line.split(b" ", 1)[0].decode("ascii")
    except FileNotFoundError:
        pass
    except OSError as err:
        raise ProbeUnavailable(str(err)) from None
    return None
