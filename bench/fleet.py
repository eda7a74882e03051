"""Bench rows of the fleet (issue 10): a follower's poll, a promotion reaching 20 followers,
and a new follower's first prompt. Run alone with `python bench/fleet.py`; `rows(work)` is
the hook for bench/run.py.

Every remote is `git daemon` on 127.0.0.1 (started and stopped here). Bytes on the wire are
counted by a loopback TCP relay in front of the daemon (both directions); times are taken
against the daemon directly. The repositories with 10,000 and 100,000 deployment tags are
written by one `git fast-import` each and cached under bench/.work/fleet.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from common import WORK, Context, section
from common import Row as BenchRow

HERE = Path(__file__).resolve().parent
GENERATOR = 1
PROMPT = (
    "---\nversion: 1.0.0\ndescription: bench\nmodel:\n  provider: openai\n"
    "  name: gpt-4o-2024-08-06\n---\nHello {{ who }}\n"
)
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@promptreg.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@promptreg.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class Row:
    """One row of the fleet table: the text for RESULTS-fleet.md, the numbers for run.py."""

    what: str
    value: str
    goal: str
    alternative: str
    ours: float  # seconds
    goal_s: float
    alt_label: str
    alt: float | str

    def line(self) -> str:
        return f"| {self.what} | {self.value} | {self.goal} | {self.alternative} |"


@section("fleet")
def fleet_section(ctx: Context) -> list[BenchRow]:
    """The fleet rows in `make bench` (bench/run.py's registration hook)."""
    return [
        BenchRow(f"{r.what}: {r.value}", r.ours, r.alt_label, r.alt, goal=r.goal_s)
        for r in rows(WORK)
    ]


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, input=stdin, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {proc.stderr.decode()[-2000:]}")
    return proc.stdout.decode()


# -- repositories ------------------------------------------------------------------------------


def tags_repo(work: Path, count: int) -> Path:
    """A bare registry with `count` deployment tags (1,000 prompts, one commit) and a state
    ref, written by one fast-import and packed; reused while the generator is unchanged."""
    root = work / f"tags-{count}.git"
    stamp = root / "promptreg-bench.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == {"gen": GENERATOR, "n": count}:
        return root
    shutil.rmtree(root, ignore_errors=True)
    _git(work, "init", "-q", "--bare", str(root))
    _git(root, "symbolic-ref", "HEAD", "refs/heads/main")
    prompts = 1000
    per = max(1, count // prompts)
    head = [b"blob\nmark :1\n", _data(PROMPT.encode()), b"commit refs/heads/main\nmark :2\n"]
    head += [b"committer bench <b@x> 1767225600 +0000\n", _data(b"prompts")]
    head += [b"M 100644 :1 prompts/p.prompt\n\n"]
    chunks = list(head)
    for i in range(count):
        name, seq = f"p{i % prompts:04d}", i // prompts + 1
        chunks.append(f"tag prompts/{name}@dev/{seq:06d}\nfrom :2\n".encode())
        chunks.append(b"tagger bench <b@x> 1767225600 +0000\n")
        chunks.append(_data(f"deployment {name} {seq}\n".encode()))
    _git(root, "fast-import", "--quiet", stdin=b"".join(chunks))
    _git(root, "pack-refs", "--all")
    lines = ["promptreg state 1", ""]
    for p in range(prompts):
        obj = "0" * 40
        lines.append(f"p{p:04d} dev {per:06d} {obj}")
    tree = _git(root, "mktree", stdin=b"").strip()
    state = _git(root, "commit-tree", tree, stdin="\n".join(lines).encode() + b"\n").strip()
    _git(root, "update-ref", "refs/promptreg/state", state)
    stamp.write_text(json.dumps({"gen": GENERATOR, "n": count}))
    return root


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


# -- servers -----------------------------------------------------------------------------------


class Daemon:
    def __init__(self, base: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.proc = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
             "--max-connections=0", "--listen=127.0.0.1", f"--port={self.port}",
             f"--base-path={base}", str(base)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
        )  # fmt: skip
        _wait(self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Relay:
    """A loopback TCP relay in front of `port` that counts the bytes both ways."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.bytes = 0
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = int(self.server.getsockname()[1])
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    self.bytes += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for end in (src, dst):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()


def _wait(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# -- rows --------------------------------------------------------------------------------------


def poll_rows(work: Path) -> list[Row]:
    """A follower's poll when nothing moved, against git daemon, at 10,000 and 100,000 tags."""
    from promptreg.registry.mirror import create, update

    rows = []
    for count in (10_000, 100_000):
        repo = tags_repo(work, count)
        daemon = Daemon(work)
        relay = Relay(daemon.port)
        direct = f"git://127.0.0.1:{daemon.port}/{repo.name}"
        counted = f"git://127.0.0.1:{relay.port}/{repo.name}"
        try:
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                mirror = Path(tmp) / "m"
                create(direct, mirror)
                # A mirror that has synced once (its state ref and default branch); the
                # bench repositories' tags are not needed for a poll.
                _git(mirror, "fetch", "-q", "--no-tags", "--depth=1", "origin", *_FIRST)
                probe = _median_s(partial(update, mirror, url=direct), 21)
                fetch = _median_s(partial(update, mirror), 21)
                _git(mirror, "config", "remote.origin.url", counted)
                before = relay.bytes
                update(mirror, url=counted)
                probe_wire = relay.bytes - before
                before = relay.bytes
                update(mirror)
                fetch_wire = relay.bytes - before
            listing = _median_s(partial(_git, work, "ls-remote", "--tags", direct), 7)
            before = relay.bytes
            _git(work, "ls-remote", "--tags", counted)
            listing_wire = relay.bytes - before
        finally:
            relay.close()
            daemon.stop()
        rows.append(
            Row(
                f"follower no-change poll, {count:,} deployment tags (git daemon, loopback)",
                f"{probe * 1000:.1f} ms, {probe_wire / 1024:.1f} KB (ls-refs probe); "
                f"`git fetch` of the state ref: {fetch * 1000:.1f} ms, {fetch_wire / 1024:.1f} KB",
                "≤ 20 ms, ≤ 4 KB, the same at 10k and 100k",
                f"`git ls-remote --tags`: {listing * 1000:.1f} ms, {listing_wire / 1024:,.0f} KB",
                probe,
                0.020,
                f"`git ls-remote --tags` ({listing_wire / 1024:,.0f} KB)",
                listing,
            )
        )
    return rows


_FIRST = ("+refs/promptreg/stat*:refs/promptreg/stat*", "+HEAD:refs/heads/main")

FOLLOWER = """
import sys, time
from promptreg.registry.follower import Follower
from promptreg.registry.runtime import Registry
url, cache, target = sys.argv[1:4]
f = Follower(url, registry_class=Registry, cache_dir=cache, refresh=2.0)
f.get("fleet/p@dev")
print("ready", flush=True)
while f.get("fleet/p@dev").version != target:
    time.sleep(0.01)
print(time.time(), flush=True)
"""


def propagation_row(work: Path, followers: int = 20) -> Row:
    """A promotion, pushed, until every one of `followers` processes serves it (refresh=2)."""
    from promptreg.registry.deploy import promote
    from promptreg.registry.runtime import Registry

    base = work / "propagation"
    shutil.rmtree(base, ignore_errors=True)
    bare, clone = base / "fleet.git", base / "clone"
    base.mkdir(parents=True)
    _git(base, "init", "-q", "--bare", "-b", "main", str(bare))
    _git(bare, "config", "uploadpack.allowFilter", "true")
    _git(base, "init", "-q", "-b", "main", str(clone))
    (clone / "prompts" / "fleet").mkdir(parents=True)
    (clone / "promptreg.yaml").write_text("prompts_dir: prompts\nenvironments: [dev]\n")
    source = clone / "prompts" / "fleet" / "p.prompt"
    source.write_text(PROMPT)
    _git(clone, "add", "-A")
    _git(clone, "commit", "-q", "-m", "p 1.0.0")
    _git(clone, "remote", "add", "origin", str(bare))
    _git(clone, "push", "-q", "origin", "main")
    old = os.environ.copy()
    os.environ.update({k: v for k, v in ENV.items() if k.startswith("GIT_")})
    try:
        with Registry(clone) as reg:
            promote(reg, "fleet/p", to="dev", push="origin", gate=_no_gate)
        daemon = Daemon(base)
        procs = []
        try:
            url = f"git://127.0.0.1:{daemon.port}/fleet.git"
            for i in range(followers):
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-c", FOLLOWER, url, str(base / f"cache{i}"), "1.1.0"],
                        stdout=subprocess.PIPE,
                        text=True,
                        env=ENV,
                    )
                )
            for proc in procs:
                assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            source.write_text(PROMPT.replace("1.0.0", "1.1.0").replace("Hello", "Hi"))
            _git(clone, "commit", "-q", "-am", "p 1.1.0")
            _git(clone, "push", "-q", "origin", "main")
            with Registry(clone) as reg:
                promote(reg, "fleet/p", to="dev", push="origin", gate=_no_gate)
            pushed = time.time()
            seen = []
            for proc in procs:
                assert proc.stdout is not None
                seen.append(float(proc.stdout.readline()) - pushed)
                proc.wait(timeout=30)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            daemon.stop()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return Row(
        f"a pushed promotion served by {followers} follower processes (refresh=2, git daemon)",
        f"p50 {statistics.median(seen):.2f} s, max {max(seen):.2f} s",
        "≤ refresh + 1 s = 3 s",
        "polling with `git ls-remote --tags`: the same wait, plus that listing per poll "
        "(rows above)",
        max(seen),
        3.0,
        "—",
        "no plain alternative (max shown; goal: refresh + 1 s)",
    )


def _no_gate(prompt: object, current: object) -> list[str]:
    return []


def first_prompt_row(work: Path) -> Row:
    """A new follower, empty cache, first prompt of the 2,000-prompt bench registry."""
    from promptreg.registry.follower import Follower
    from promptreg.registry.runtime import Registry

    repo = registry_2000(work)
    daemon = Daemon(work)
    try:
        url = f"git://127.0.0.1:{daemon.port}/{repo.name}"
        samples, blobs = [], 0
        for _ in range(3):
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                start = time.perf_counter()
                follower = Follower(
                    url, registry_class=Registry, cache_dir=tmp, refresh=3600, start=False
                )
                follower.get(f"{_first_name()}@prod")
                samples.append(time.perf_counter() - start)
                blobs = _count_blobs(follower.directory)
                follower.close()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            _git(work, "clone", "-q", "--bare", url, str(Path(tmp) / "full.git"))
        plain = time.perf_counter() - start
    finally:
        daemon.stop()
    return Row(
        "new follower, empty cache: first prompt of a 2,000-prompt registry (10,000 tags)",
        f"{statistics.median(samples):.2f} s, {blobs} blob(s) held",
        "≤ 2 s, only the blobs asked for",
        f"`git clone --bare` of the registry: {plain:.2f} s, every blob",
        statistics.median(samples),
        2.0,
        "`git clone --bare` (every blob)",
        plain,
    )


def _first_name() -> str:
    sys.path.insert(0, str(HERE))
    from synthetic import prompt_name

    return str(prompt_name(0))


def _count_blobs(directory: Path) -> int:
    out = _git(directory, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)")
    return out.split().count("blob")


def registry_2000(work: Path) -> Path:
    """A bare copy of the bench's 2,000-prompt registry (registry_repo.py) with a state ref."""
    from promptreg.registry.runtime import Registry
    from promptreg.registry.state_ref import running_entries, write_state

    sys.path.insert(0, str(HERE))
    from registry_repo import ensure_registry
    from synthetic import ensure_repo

    root = work.parent
    base, _, _ = ensure_repo(root, 2000)
    registry, _ = ensure_registry(root, base, 2000)
    dest = work / "registry-2000.git"
    stamp = dest / "promptreg-bench.json"
    key = {"gen": GENERATOR, "head": _git(registry.root, "rev-parse", "HEAD").strip()}
    if stamp.is_file() and json.loads(stamp.read_text()) == key:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    _git(work, "clone", "-q", "--bare", str(registry.root), str(dest))
    _git(dest, "config", "uploadpack.allowFilter", "true")
    with Registry(dest) as reg:
        state = write_state(reg.store, running_entries(reg).values())
    _git(dest, "update-ref", "refs/promptreg/state", state)
    stamp.write_text(json.dumps(key))
    return dest


def _median_s(call: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def rows(work: Path) -> list[Row]:
    """Every fleet row (the hook for bench/run.py): `work` is bench/.work."""
    mine = work / "fleet"
    mine.mkdir(parents=True, exist_ok=True)
    return [*poll_rows(mine), propagation_row(mine), first_prompt_row(mine)]


def main(argv: list[str] | None = None) -> int:
    """Print the fleet table; `--write` also writes it to bench/RESULTS-fleet.md."""
    args = sys.argv[1:] if argv is None else argv
    found = rows(HERE / ".work")
    load = os.getloadavg()[0]
    lines = [
        "# Fleet bench (issue 10)",
        "",
        f"`python bench/fleet.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {load:.1f} on {os.cpu_count()} cores. Medians; git daemon on loopback.",
        "",
        "| row | measured | goal | plain alternative |",
        "|---|---|---|---|",
        *(row.line() for row in found),
    ]
    print("\n".join(lines))
    if "--write" in args:
        (HERE / "RESULTS-fleet.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
