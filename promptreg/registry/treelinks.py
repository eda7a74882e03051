"""Which part of a path, at a revision, git stores as a symbolic link or a submodule entry.

Reading `rev:path` through such a part gives a link's target as text, or whatever object a
hand-made tree puts at a submodule entry, while a checkout shows something else: promptreg
refuses both (PR006). The trees on the way are read in one pipelined exchange and, for a
commit id (which names the same trees forever), remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

ReadTyped = Callable[[Sequence[str]], list[tuple[str, bytes] | None]]

_TREE_CACHE_SIZE = 4096  # directories remembered by `special_on_path`, across commits
_SPECIAL_MODES = {b"120000": "symlink", b"160000": "submodule"}


class TreeLinks:
    """The symlink and submodule entries of trees, read through `read_typed` (a store's
    batch reader). Not locked: a lost race only reads a tree twice."""

    def __init__(self, read_typed: ReadTyped) -> None:
        self._read_typed = read_typed
        # (commit id, directory) -> its symlink and submodule entries; None: no such tree.
        # Trees of a commit never change, so this is kept for the life of the store.
        self._links: dict[tuple[str, str], dict[bytes, str] | None] = {}

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
            trees = self._read_typed([f"{rev}:{d}" for d in todo])
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
