"""Every git call promptreg makes, in one place.

Git is spoken to directly, as argv lists, never through a shell: reads go through
`git for-each-ref` (refs of one prompt at a time, by prefix) and one persistent
`git cat-file --batch` process (~0.1 ms a blob once it runs, against ~2 ms to spawn git), and
writes are `git mktag` + `git update-ref` with an empty old value, so creating a tag that
already exists fails instead of moving it. GitPython is not used: its command layer is the same
subprocess call behind a 67 ms import, and its object model costs 25–60 ms a call at 10,000
tags.

Hooks run with `GIT_DIR`, `GIT_INDEX_FILE` and friends set by git for *their* repository; a
store opened on an explicit path drops them so it talks about the repository it was given.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from promptreg.errors import ExitCode, PromptregError
from promptreg.registry.tagobject import parse_tag_object

# Variables that tell git which repository to use; everything else (identity, SSH, config)
# passes through.
_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
# Requests up to this size are written before reading answers: a pipe buffers at least 4 KiB
# (POSIX) and 64 KiB on Linux, so the write cannot block while git waits for us to read.
_PIPE_SAFE = 4096
# Seconds to wait for another git's lock on a ref before calling it stale.
LOCK_WAIT = 2.0
# How `update-ref --stdin` names the ref a transaction failed on.
_COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")
_TREE_CACHE_SIZE = 4096  # directories remembered by `special_on_path`, across commits
_LOCKED_REF = re.compile(r"cannot lock ref '([^']+)'")


class GitError(PromptregError):
    """A git command failed, or there is no git repository."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        self.stderr = stderr
        super().__init__(message)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    return env


@dataclass(frozen=True)
class TagRef:
    """One tag as `for-each-ref` lists it. For an annotated tag, `commit` is the object its tag
    object names (not checked to be a commit: the read model judges that) and `tagger`, `date`
    (ISO 8601) and `message` come from the tag object."""

    name: str  # without refs/tags/
    object: str
    commit: str
    annotated: bool
    tagger: str
    date: str
    message: str


class GitStore:
    """One repository. Thread-safe; the batch reader is started on first use."""

    def __init__(self, path: Path | str = ".", *, index_file: str | None = None) -> None:
        """`index_file`: the `GIT_INDEX_FILE` a git hook was given, for reading what is being
        committed (`:path`). `git commit -a` and `git commit PATH` stage into a temporary
        index; read through the default `.git/index`, `:path` would show another state. It is
        used only when it lies inside this repository's git directory (a variable leaking in
        from another repository's hook is ignored)."""
        self._env = git_env()
        start = Path(path)
        found = _find_repository(start.resolve())
        if found is not None:
            self.root, self.common_dir, self.bare = found
        else:  # worktrees, submodules, odd layouts: ask git
            out = self._run_at(start, "rev-parse", "--show-toplevel", "--git-common-dir")
            top, common = out.splitlines()[:2]
            self.root = Path(top)
            common_dir = Path(common)
            self.common_dir = common_dir if common_dir.is_absolute() else (start / common_dir)
            self.common_dir = self.common_dir.resolve()
            self.bare = False
        if index_file:
            absolute = Path(os.path.abspath(index_file))  # may be relative to the hook's cwd
            if absolute.resolve().is_relative_to(self.common_dir):
                self._env["GIT_INDEX_FILE"] = str(absolute)
        self._batch: subprocess.Popen[bytes] | None = None
        self._batch_lock = threading.Lock()
        # (commit id, directory) -> its symlink and submodule entries; None: no such tree.
        # Trees of a commit never change, so this is kept for the life of the store.
        self._links: dict[tuple[str, str], dict[bytes, str] | None] = {}

    # -- running git -------------------------------------------------------------------------

    def _run_at(
        self, cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> str:
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env={**self._env, **env} if env else self._env,
                input=stdin.encode("utf-8") if stdin is not None else None,
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None
        except NotADirectoryError:
            raise GitError(f"{cwd} is not a directory") from None
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            if "not a git repository" in stderr:
                raise NotARepositoryError(f"{cwd} is not inside a git repository", stderr=stderr)
            raise GitError(f"git {args[0]} failed: {stderr}", stderr=stderr)
        return proc.stdout.decode("utf-8", "replace")

    def run(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        """Run one git command in the repository; raise `GitError` with its stderr on failure.
        `env`: variables to set for this command only (e.g. GNUPGHOME to verify a signature)."""
        return self._run_at(self.root, *args, stdin=stdin, env=env)

    # -- refs ----------------------------------------------------------------------------------

    def tags(self, *patterns: str) -> list[TagRef]:
        """Tags under refs/tags matching the patterns (prefixes ending in `/`, or fnmatch).

        Tag objects are read raw (`cat-file`), never parsed by git: a hand-made tag object
        whose `type` header lies (`type commit` on a tag or a tree) makes git's own parsing
        (`%(*objectname)`, `%(taggername)`) fail for every ref listed after it."""
        listed = self.tag_kinds(*patterns)
        annotated = [obj for _, obj, kind in listed if kind == "tag"]
        raw = dict(zip(annotated, self.read_objects(annotated), strict=True))
        refs = []
        for name, obj, kind in listed:
            data = raw.get(obj) if kind == "tag" else None
            tag = parse_tag_object(obj, data) if data is not None else None
            refs.append(
                TagRef(
                    name=name,
                    object=obj,
                    commit=tag.target if tag is not None else obj,
                    annotated=kind == "tag",
                    tagger=tag.tagger if tag is not None else "",
                    date=tag.date if tag is not None else "",
                    message=tag.message if tag is not None else "",
                )
            )
        return refs

    def tag_kinds(self, *patterns: str) -> list[tuple[str, str, str]]:
        """(name without refs/tags/, object id, object type) of the tags matching `patterns`:
        one `for-each-ref` that reads no object (cheap at 10,000 tags)."""
        out = self.run(
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)",
            *(f"refs/tags/{p}" for p in patterns),
        )
        found = []
        for line in out.split("\n"):
            name, _, rest = line.partition("\0")
            obj, _, kind = rest.partition("\0")
            if name and kind:
                found.append((name, obj, kind))
        return found

    def refs_stamp(self, *subdirs: str) -> tuple[object, ...]:
        """A cheap fingerprint of the refs: packed-refs and the given loose-ref directories
        (relative to refs/tags/). It changes whenever a ref in them is added, removed or packed:
        comparing stamps costs a few `stat` calls instead of a git process."""
        stamp: list[object] = []
        for path in (
            self.common_dir / "packed-refs",
            *(self.common_dir / "refs" / "tags" / d for d in subdirs),
        ):
            try:
                st = path.stat()
            except FileNotFoundError:
                stamp.append(None)
            else:
                stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamp)

    def create_tag(self, name: str, commit: str, message: str) -> str:
        """Create annotated tag `name` on `commit`, failing (`TagExistsError`) if it exists.
        Returns the tag object's id. Never moves or deletes a tag."""
        obj = self.make_tag_object(name, commit, message)
        self.publish_tag(name, obj)
        return obj

    def make_tag_object(self, name: str, commit: str, message: str, *, sign: bool = False) -> str:
        """Write an annotated tag object (no ref yet): the tagger is git's committer identity.
        `sign`: append a signature of the object, as `git tag -s` does (signing.py)."""
        ident = self.run("var", "GIT_COMMITTER_IDENT").strip()
        body = f"object {commit}\ntype commit\ntag {name}\ntagger {ident}\n\n{message}"
        if not body.endswith("\n"):
            body += "\n"
        if sign:
            from promptreg.registry.signing import sign_tag

            body += sign_tag(self, body)
        return self.run("mktag", stdin=body).strip()

    def publish_tag(self, name: str, obj: str, *, lock_wait: float = LOCK_WAIT) -> None:
        """Point refs/tags/`name` at `obj` only if the ref does not exist yet. Raises
        `TagExistsError` when it does, and `StaleLockError` when the ref's `.lock` file stays
        in the way for `lock_wait` seconds (a live git holds one for milliseconds; a git that
        died leaves it forever, and retrying under a new name would not help)."""
        deadline = time.monotonic() + lock_wait
        lock = self.common_dir / "refs" / "tags" / f"{name}.lock"
        while True:
            try:
                self.run("update-ref", "--no-deref", f"refs/tags/{name}", obj, "")
                return
            except GitError as err:
                if "already exists" in err.stderr and ".lock" not in err.stderr:
                    raise TagExistsError(name) from None
                if self.rev_parse_commit(f"refs/tags/{name}") is not None:
                    raise TagExistsError(name) from None
                if not lock.exists():
                    raise
                if time.monotonic() >= deadline:
                    raise StaleLockError(name, lock) from None
                time.sleep(0.05)

    def ref_objects(self, *patterns: str) -> list[tuple[str, str, str]]:
        """(name without refs/tags/, object id, object type) of the tags matching `patterns`
        (relative to refs/tags/; as in git, `*` stops at `/` and `**/` spans directories),
        from one `for-each-ref` that reads no tag object: where bulk operations start."""
        out = self.run(
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)",
            *(f"refs/tags/{p}" for p in patterns),
        )
        rows = []
        for line in out.split("\n"):
            if line:
                name, obj, kind = line.split("\0", 2)
                rows.append((name, obj, kind))
        return rows

    def make_tag_objects(self, tags: Sequence[tuple[str, str, str, bool]]) -> list[str]:
        """Write many annotated tag objects (name, commit, message, sign) in one git process,
        with no refs yet: the objects `make_tag_object` writes, sent as one pack to
        `git unpack-objects --strict`, which checks each as `git mktag` does (fsck, and the
        commit it points at exists). One `git mktag` each would cost ~3 ms a tag."""
        if not tags:
            return []
        ident = self.run("var", "GIT_COMMITTER_IDENT").strip()
        algorithm = self.run("rev-parse", "--show-object-format").strip() or "sha1"
        bodies = []
        for name, commit, message, sign in tags:
            body = f"object {commit}\ntype commit\ntag {name}\ntagger {ident}\n\n{message}"
            if not body.endswith("\n"):
                body += "\n"
            if sign:
                from promptreg.registry.signing import sign_tag

                body += sign_tag(self, body)
            bodies.append(body.encode("utf-8"))
        ids = [hashlib.new(algorithm, b"tag %d\0" % len(b) + b).hexdigest() for b in bodies]
        try:
            proc = subprocess.run(
                ["git", "unpack-objects", "-q", "--strict"],
                cwd=self.root,
                env=self._env,
                input=_pack(bodies, algorithm),
                capture_output=True,
                check=False,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git unpack-objects failed: {stderr}", stderr=stderr)
        return ids

    def publish_tags(
        self, tags: Sequence[tuple[str, str]], *, lock_wait: float = LOCK_WAIT
    ) -> None:
        """Point each refs/tags/`name` at its object in one transaction (`update-ref --stdin`
        with `create`, i.e. an empty old value): every tag is created, or none is. Raises
        `TagExistsError` (naming the first tag that exists) and `StaleLockError` as
        `publish_tag` does."""
        if not tags:
            return
        request = "".join(f"create refs/tags/{name} {obj}\n" for name, obj in tags)
        deadline = time.monotonic() + lock_wait
        while True:
            try:
                self.run("update-ref", "--stdin", stdin=request)
                return
            except GitError as err:
                locked = _LOCKED_REF.search(err.stderr)
                name = locked.group(1).removeprefix("refs/tags/") if locked else None
                if name is None:
                    raise
                if "exists" in err.stderr and ".lock" not in err.stderr:
                    raise TagExistsError(name) from None
                if self.rev_parse_commit(f"refs/tags/{name}") is not None:
                    raise TagExistsError(name) from None
                lock = self.common_dir / "refs" / "tags" / f"{name}.lock"
                if not lock.exists():
                    raise
                if time.monotonic() >= deadline:
                    raise StaleLockError(name, lock) from None
                time.sleep(0.05)

    def push(self, remote: str, refspecs: Sequence[str]) -> None:
        """`git push --atomic`: all refs land or none. Raises `PushRejectedError` when the remote
        refuses (e.g. a tag of that name already exists there)."""
        try:
            self.run("push", "--atomic", remote, *refspecs)
        except GitError as err:
            if (
                "rejected" in err.stderr
                or "[rejected]" in err.stderr
                or "already exists" in err.stderr
            ):
                raise PushRejectedError(remote, err.stderr) from None
            raise

    def fetch_tags(self, remote: str, pattern: str) -> None:
        """Fetch the remote's tags matching `refs/tags/<pattern>` (no force: a local tag is never
        moved)."""
        self.run("fetch", "--no-tags", remote, f"refs/tags/{pattern}:refs/tags/{pattern}")

    def fetch_tag_patterns(self, remote: str, patterns: Sequence[str]) -> None:
        """`fetch_tags` for many patterns in one `git fetch`."""
        refspecs = [f"refs/tags/{p}:refs/tags/{p}" for p in patterns]
        self.run("fetch", "--no-tags", remote, *refspecs)

    def rev_parse_commit(self, rev: str) -> str | None:
        try:
            return (
                self.run(
                    "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
                ).strip()
                or None
            )
        except GitError:
            return None

    def log(self, paths: Iterable[str], *, rev: str = "HEAD") -> list[tuple[str, str, str, str]]:
        """(commit, author, ISO date, subject) of commits touching `paths`, newest first."""
        out = self.run("log", "--format=%H%x00%an <%ae>%x00%aI%x00%s", rev, "--", *paths)
        rows = []
        for line in out.splitlines():
            if line:
                commit, author, date, subject = line.split("\0", 3)
                rows.append((commit, author, date, subject))
        return rows

    def object_type(self, obj: str) -> str:
        """`commit`, `tag`, `tree` or `blob`; `missing` for an object that is not there."""
        try:
            return self.run("cat-file", "-t", "--end-of-options", obj).strip()
        except GitError:
            return "missing"

    def has_head(self) -> bool:
        return self.rev_parse_commit("HEAD") is not None

    # -- blobs ---------------------------------------------------------------------------------

    def read(self, rev: str, path: str) -> bytes | None:
        """The bytes of the file `path` at `rev` (a commit id or any revision), or None if
        absent or not a file."""
        return self.read_blobs([f"{rev}:{path}"])[0]

    def read_blobs(self, specs: Sequence[str]) -> list[bytes | None]:
        """`read_objects` for files: None for anything that is not a blob. `rev:path` names
        whatever object the tree entry holds: for a submodule entry (mode 160000) that is
        the commit it records, or any object a hand-made tree puts there (a blob with a
        prompt's text, say), which the working tree shows as an empty directory. Neither is
        a file of this repository."""
        return [
            found[1] if found is not None and found[0] == "blob" else None
            for found in self.read_typed(specs)
        ]

    def read_object(self, spec: str) -> bytes | None:
        """One object through the persistent `git cat-file --batch` process."""
        return self.read_objects([spec])[0]

    def read_objects(self, specs: Sequence[str]) -> list[bytes | None]:
        """Many objects in one pipelined exchange with `git cat-file --batch`: the requests are
        written by a second thread while the answers are read, so N objects cost one round
        trip, not N. None for an object that does not exist."""
        return [None if found is None else found[1] for found in self.read_typed(specs)]

    def object_types(self, specs: Sequence[str]) -> list[str]:
        """The type of each object (`commit`, `tag`, `tree`, `blob`; `missing`), in one
        exchange: what an object *is*, whatever a tag object's `type` header says."""
        return ["missing" if found is None else found[0] for found in self.read_typed(specs)]

    def read_typed(self, specs: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """(type, bytes) of each object, as `read_objects` reads them."""
        for spec in specs:
            problem = object_name_problem(spec)
            if problem:
                raise GitError(f"invalid object name {spec!r}: {problem}")
        if not specs:
            return []
        with self._batch_lock:
            proc = self._batch_process()
            assert proc.stdin is not None and proc.stdout is not None
            request = "".join(f"{spec}\n" for spec in specs).encode("utf-8")
            if len(request) <= _PIPE_SAFE:
                # Fits in the pipe's buffer: write it all, then read (no thread to start).
                _write_all(proc.stdin, request)
                return [self._read_answer(proc.stdout) for _ in specs]
            writer = threading.Thread(target=_write_all, args=(proc.stdin, request))
            writer.start()
            try:
                return [self._read_answer(proc.stdout) for _ in specs]
            finally:
                writer.join()

    def symlink_on_path(self, rev: str, path: str) -> str | None:
        """The first part of `path` at `rev` (a directory on the way, or the file itself) that
        git stores as a symbolic link (tree mode 120000), or None. Reading such a path gives
        the link's target as text; the working tree would follow it: promptreg refuses both
        (PR006). See `special_on_path`."""
        found = self.special_on_path(rev, path)
        return found[0] if found is not None and found[1] == "symlink" else None

    def special_on_path(self, rev: str, path: str) -> tuple[str, str] | None:
        """(part, `symlink` or `submodule`): the first part of `path` at `rev` that git stores
        as a symbolic link (mode 120000) or a submodule entry (mode 160000), or None. A
        submodule entry's object is read by `rev:path` as if it were the file (a hand-made
        tree can name a blob there), while a checkout shows an empty directory. The trees on
        the way are read in one pipelined exchange, and, when `rev` is a commit id, remembered:
        prompts of one commit share their directories' trees, so checking 2,000 of them reads
        each tree once."""
        parts = path.split("/")
        dirs = ["/".join(parts[:i]) for i in range(len(parts))]
        keep = _is_object_id(rev)
        todo = [d for d in dirs if not keep or (rev, d) not in self._links]
        found: dict[str, dict[bytes, str] | None] = {}
        if todo:
            hash_len = len(rev) // 2 if len(rev) in (40, 64) else 20  # sha1 unless sha256
            trees = self.read_typed([f"{rev}:{d}" for d in todo])
            for d, tree in zip(todo, trees, strict=True):
                is_tree = tree is not None and tree[0] == "tree"
                found[d] = _special_names(tree[1], hash_len) if tree and is_tree else None
                if keep:
                    if len(self._links) >= _TREE_CACHE_SIZE:
                        self._links.clear()  # a long-lived registry meets many commits
                    self._links[(rev, d)] = found[d]
        for depth, d in enumerate(dirs):
            links = found[d] if d in found else self._links[(rev, d)]
            if links is None:
                return None
            mode = links.get(parts[depth].encode("utf-8"))
            if mode is not None:
                return "/".join(parts[: depth + 1]), mode
        return None

    def _read_answer(self, stdout: IO[bytes]) -> tuple[str, bytes] | None:
        header = stdout.readline()
        if not header:
            self._stop_batch()
            raise GitError("git cat-file stopped unexpectedly")
        parts = header.split()
        if len(parts) != 3 or parts[1] == b"missing" or not parts[2].isdigit():
            return None
        size = int(parts[2])
        data = stdout.read(size + 1)
        if len(data) != size + 1:
            self._stop_batch()
            raise GitError("git cat-file stopped in the middle of an object")
        return parts[1].decode("ascii", "replace"), data[:size]

    def _stop_batch(self) -> None:
        """Forget a batch process that died (the next read starts a new one)."""
        batch, self._batch = self._batch, None
        if batch is not None and batch.poll() is None:
            batch.kill()
            batch.wait()

    def _batch_process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            try:
                self._batch = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.root,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitError("git is not installed (or not on PATH)") from None
        return self._batch

    def close(self) -> None:
        with self._batch_lock:
            if self._batch is not None:
                if self._batch.stdin:
                    self._batch.stdin.close()
                self._batch.wait(timeout=5)
                if self._batch.stdout:
                    self._batch.stdout.close()
                self._batch = None

    def __enter__(self) -> GitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None and batch.poll() is None:
            try:
                if batch.stdin:
                    batch.stdin.close()
                batch.wait(timeout=1)
            except Exception:  # interpreter shutdown: nothing sensible left to do
                pass


class NotARepositoryError(GitError):
    """There is no git repository where one is needed (a usage error: run it in one)."""

    exit_code = ExitCode.USAGE


def _find_repository(start: Path) -> tuple[Path, Path, bool] | None:
    """(root, git directory, bare) for the usual layouts, found without a git process (~2 ms
    saved on every start): a work tree with a `.git` directory above `start`, or a bare
    repository at `start`. None for anything else (git itself is asked then)."""
    if (start / "HEAD").is_file() and (start / "objects").is_dir() and (start / "refs").is_dir():
        return start, start, True
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            if (dot_git / "commondir").exists():
                return None  # a linked worktree's git directory: let git resolve it
            return directory, dot_git, False
        if dot_git.exists():
            return None  # `.git` file: a worktree or a submodule
    return None


_SPECIAL_MODES = {b"120000": "symlink", b"160000": "submodule"}


def _special_names(tree: bytes, hash_len: int) -> dict[bytes, str]:
    """Name -> `symlink` or `submodule` for the entries of a raw tree object (`<mode> <name>
    \\0<hash>`...) with those modes. Usually one or two substring searches: without
    `120000 ` or `160000 ` anywhere there are none."""
    if b"120000 " not in tree and b"160000 " not in tree:
        return {}
    names: dict[bytes, str] = {}
    pos = 0
    while pos < len(tree):
        space = tree.find(b" ", pos)
        nul = tree.find(b"\0", space)
        if space < 0 or nul < 0:
            break
        mode = _SPECIAL_MODES.get(tree[pos:space])
        if mode is not None:
            names[tree[space + 1 : nul]] = mode
        pos = nul + 1 + hash_len
    return names


def _is_object_id(rev: str) -> bool:
    """A full object id (sha1 or sha256), which names the same object forever."""
    return len(rev) in (40, 64) and all(c in "0123456789abcdef" for c in rev)


def object_name_problem(spec: str) -> str | None:
    """Why `spec` may not be sent to `cat-file --batch` (None: it may). The batch reads one
    name a line, so a newline (or a NUL, which ends the name early) would inject a request;
    and git *dies* on `rev:./x` or `rev:../x` (paths relative to the working directory that
    leave the repository), which would end the shared process for every other reader."""
    if any(c in spec for c in "\n\r\0"):
        return "a newline or NUL"
    # `rev:path`, `:path` and `:N:path` all name paths after a colon; any `.` or `..`
    # segment after one may be resolved against the working directory.
    _, colon, path = spec.partition(":")
    if colon and any(part in (".", "..") for part in path.replace(":", "/").split("/")):
        return "a path with `.` or `..` segments"
    return None


def _pack(objects: Sequence[bytes], algorithm: str) -> bytes:
    """A version-2 pack of tag objects (no deltas), as `git unpack-objects` reads it."""
    parts = [b"PACK", struct.pack(">II", 2, len(objects))]
    for data in objects:
        size = len(data)
        byte = (4 << 4) | (size & 0x0F)  # object type 4: tag
        size >>= 4
        header = bytearray()
        while size:
            header.append(byte | 0x80)
            byte = size & 0x7F
            size >>= 7
        header.append(byte)
        parts += [bytes(header), zlib.compress(data, 1)]
    pack = b"".join(parts)
    return pack + hashlib.new(algorithm, pack).digest()


def _write_all(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader sees the process end and reports it


class TagExistsError(GitError):
    def __init__(self, name: str) -> None:
        self.tag = name
        super().__init__(f"tag {name} already exists")


class StaleLockError(GitError):
    """A ref's `.lock` file stays in the way: a git process died while updating it."""

    def __init__(self, name: str, lock: Path) -> None:
        self.tag = name
        self.lock = lock
        super().__init__(
            f"cannot create tag {name}: the lock file {lock} exists and has not gone away. "
            "Another git process may be updating that ref, or one died and left its lock "
            f"behind; if no git process is running, remove it (`rm '{lock}'`) and try again"
        )


class PushRejectedError(GitError):
    def __init__(self, remote: str, stderr: str) -> None:
        super().__init__(f"push to {remote} was rejected", stderr=stderr)
