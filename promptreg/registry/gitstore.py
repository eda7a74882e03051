"""Every git call promptreg makes, in one place.

Git is spoken to directly, as argv lists, never through a shell: reads go through
`git for-each-ref` (or the ref files: reffiles.py) and one persistent `git cat-file --batch`
process (~0.1 ms a blob once it runs, against ~2 ms to spawn git), and writes are `git mktag`
+ `git update-ref` with an empty old value, so creating a tag that already exists fails
instead of moving it. GitPython is not used: its command layer is the same
subprocess call behind a 67 ms import, and its object model costs 25–60 ms a call at 10,000
tags. Beside it: catfile.py (the batch reader), treelinks.py (symlink and submodule entries),
tagpack.py (tag objects as bytes); ../repository.py finds the repository.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg._lazyre import lazy_pattern
from promptreg._record import record
from promptreg.errors import (
    GitError,
    NotARepositoryError,
    PushRejectedError,
    StaleLockError,
    TagExistsError,
)
from promptreg.registry.catfile import BatchReader
from promptreg.registry.reffiles import refs_from_files
from promptreg.registry.tagobject import parse_tag_object
from promptreg.registry.treelinks import TreeLinks
from promptreg.repository import find_repository, git_env, remote_arg

if TYPE_CHECKING:
    from promptreg.registry.objectmemo import ObjectMemo

# Seconds to wait for another git's lock on a ref before calling it stale.
LOCK_WAIT = 2.0
# Seconds a git command that talks to a remote may take: git has no timeout of its own for
# git:// or ssh, so a remote that accepts and then says nothing held `mirror`, a follower's
# poll and `promote` forever. Over it: a GitError saying "timed out" (a RemoteError upstream).
NETWORK_TIMEOUT = 300.0
_NETWORK = frozenset({"fetch", "push", "ls-remote", "clone"})
# File times come from a coarse clock, a tick (1-10 ms) behind `time.time_ns()`: a ref directory
# changed less than this long ago may change again with no trace in mtime, size or inode.
SETTLE_NS = 50_000_000
# How `update-ref --stdin` names the ref a transaction failed on.
_LOCKED_REF = lazy_pattern(r"cannot lock ref '([^']+)'")


@record(frozen=True)
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
        found = find_repository(start.resolve())
        self.git_dir: Path | None = None  # unknown: ref files are not read without git
        if found is not None:
            self.root, self.common_dir, self.bare = found.root, found.common_dir, found.bare
            self.git_dir = found.git_dir
        else:  # a layout repository.py does not read: ask git
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
        self._reader = BatchReader(self.root, self._env)  # started on first read
        self._trees = TreeLinks(self.read_typed)

    # -- running git -------------------------------------------------------------------------

    def _run_at(
        self,
        cwd: Path,
        *args: str,
        stdin: str | bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        import subprocess  # (here: a warm application start runs no git, see objectmemo.py)

        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env={**self._env, **env} if env else self._env,
                input=stdin.encode("utf-8") if isinstance(stdin, str) else stdin,
                capture_output=True,
                check=False,
                timeout=NETWORK_TIMEOUT if _NETWORK.intersection(args) else None,
            )
        except subprocess.TimeoutExpired:
            what = f"git {min(_NETWORK.intersection(args))} timed out after {NETWORK_TIMEOUT:g} s"
            raise GitError(what, stderr=what) from None
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

    def run(
        self, *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> str:
        """Run one git command in the repository; raise `GitError` with its stderr on failure.
        `env`: variables to set for this command only (e.g. GNUPGHOME to verify a signature)."""
        return self._run_at(self.root, *args, stdin=stdin, env=env)

    # -- refs ----------------------------------------------------------------------------------

    def tags(self, *patterns: str) -> list[TagRef]:
        """Tags under refs/tags matching the patterns (prefixes ending in `/`, or fnmatch).

        Tag objects are read raw (`cat-file`), never parsed by git: a hand-made tag object
        whose `type` header lies (`type commit` on a tag or a tree) makes git's own parsing
        (`%(*objectname)`, `%(taggername)`) fail for every ref listed after it."""
        listed = self.ref_objects(*patterns)
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

    def refs_stamp(self, *subdirs: str) -> tuple[object, ...]:
        """A cheap fingerprint of the refs: packed-refs and the given loose-ref directories
        (relative to refs/tags/). It changes whenever a ref in them is added, removed or packed:
        comparing stamps costs a few `stat` calls instead of a git process."""
        stamp: list[object] = []
        settled = time.time_ns() - SETTLE_NS
        for path in (
            self.common_dir / "packed-refs",
            *(self.common_dir / "refs" / "tags" / d for d in subdirs),
        ):
            try:
                st = path.stat()
            except FileNotFoundError:
                stamp.append(None)
            else:
                # Changed a moment ago proves nothing: `object()` equals no later stamp.
                fresh = st.st_mtime_ns > settled
                stamp.append(object() if fresh else (st.st_mtime_ns, st.st_size, st.st_ino))
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
        from promptreg.registry.tagpack import tag_body  # writes only: not on a reader's start

        body = tag_body(name, commit, self.run("var", "GIT_COMMITTER_IDENT").strip(), message)
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
        from one `for-each-ref` that reads no tag object: where bulk operations start. The
        refs of a few leaf directories (`prompts/<name>@<env>/`, an application's first
        `get`) are read from the ref files when that is sure to give git's answer (reffiles.py),
        their types through the object reader."""
        from_files = refs_from_files(self.git_dir, self.common_dir, patterns, self.object_types)
        if from_files is not None:
            return from_files
        out = self.run(
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(objectname)%00%(objecttype)",
            *(f"refs/tags/{p}" for p in patterns),
        )
        rows = []
        for line in out.split("\n"):
            name, _, rest = line.partition("\0")
            obj, _, kind = rest.partition("\0")
            if name and kind:
                rows.append((name, obj, kind))
        return rows

    def make_tag_objects(self, tags: Sequence[tuple[str, str, str, bool]]) -> list[str]:
        """Write many annotated tag objects (name, commit, message, sign) in one git process,
        with no refs yet: the objects `make_tag_object` writes, sent as one pack to
        `git unpack-objects --strict`, which checks each as `git mktag` does (fsck, and the
        commit it points at exists). One `git mktag` each would cost ~3 ms a tag."""
        from promptreg.registry.tagpack import object_id, pack_tags, tag_body

        if not tags:
            return []
        ident = self.run("var", "GIT_COMMITTER_IDENT").strip()
        algorithm = self.run("rev-parse", "--show-object-format").strip() or "sha1"
        bodies = []
        for name, commit, message, sign in tags:
            body = tag_body(name, commit, ident, message)
            if sign:
                from promptreg.registry.signing import sign_tag

                body += sign_tag(self, body)
            bodies.append(body.encode("utf-8"))
        self.run("unpack-objects", "-q", "--strict", stdin=pack_tags(bodies, algorithm))
        return [object_id(b, algorithm) for b in bodies]

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

    def push(self, remote: str, refspecs: Sequence[str], *, options: Sequence[str] = ()) -> None:
        """`git push --atomic`: all refs land or none. Raises `PushRejectedError` when the remote
        refuses (e.g. a tag of that name exists there). `options`: the state ref's lease."""
        try:
            self.run("push", "--atomic", *options, remote_arg(remote), *refspecs)
        except GitError as err:
            if "rejected" in err.stderr or "already exists" in err.stderr:
                raise PushRejectedError(remote, err.stderr) from None
            raise

    def rev_parse_commit(self, rev: str) -> str | None:
        args = ("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        try:
            return self.run(*args).strip() or None
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
        return self._reader.read_typed(specs)

    def remembering(self, memo: ObjectMemo | None) -> AbstractContextManager[None]:
        """Meanwhile, read objects named by id through `memo` (see objectmemo.py)."""
        return self._reader.remembering(memo)

    def special_on_path(self, rev: str, path: str) -> tuple[str, str] | None:
        """(part, `symlink` or `submodule`): the first part of `path` at `rev` that git stores
        as a symbolic link (mode 120000) or a submodule entry (mode 160000), or None. A
        submodule entry's object is read by `rev:path` as if it were the file (a hand-made
        tree can name a blob there), while a checkout shows an empty directory. The trees on
        the way are read in one pipelined exchange, and, when `rev` is a commit id, remembered:
        prompts of one commit share their directories' trees, so checking 2,000 of them reads
        each tree once."""
        return self._trees.special_on_path(rev, path)

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> GitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
