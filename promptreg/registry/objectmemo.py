"""Objects named by id, kept in the code cache: an application's warm start runs no git.

A first `get` reads a handful of objects: the tag object, the commit it names, the trees on
the prompt's path (the symlink check), the prompt file and its partials. Through the one
`git cat-file --batch` process that costs a process start (~2 ms quiet, far more on a busy
machine) in every service start. Yet each of those names is a fact: an object id names the
same bytes forever, and `<commit id>:<path>` the same object (a commit names one tree). So
what git answered for such a name is kept, as data (its type and bytes), in the code cache
(`codecache.py`), whose HMAC under a per-user key makes an edited or planted entry a miss;
a miss asks git, as before. Nothing here decides what counts: the read model judges what
it reads exactly as it judges what git sends (deployments.py).

Only `Registry.get` remembers objects (`GitStore.remembering`): bulk paths (`get_all`,
`release`, the site) read thousands, and writing an entry for each would cost them more than
it saves. Only objects that were found and are at most `MAX_BYTES` are kept: a missing
object may arrive later (a fetch), and a large one is no faster from the cache. In a
repository where git may answer an id with other bytes (replace refs, `git replace`; grafts)
nothing is remembered (`replaces_objects`).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.registry.tagobject import is_object_id

if TYPE_CHECKING:
    from promptreg.codecache import CodeCache

ReadTyped = Callable[[Sequence[str]], list[tuple[str, bytes] | None]]

FORMAT = "git-object-1"
MAX_BYTES = 256 * 1024
_KINDS = frozenset({"blob", "tree", "commit", "tag"})


class ObjectMemo:
    """`read_typed` through the code cache `cache`."""

    def __init__(self, cache: CodeCache) -> None:
        self._cache = cache

    def read_typed(self, specs: Sequence[str], read: ReadTyped) -> list[tuple[str, bytes] | None]:
        """What `read(specs)` answers, from the cache where it holds the answer: `read` is
        asked only for the rest (if any), in one exchange."""
        out: list[tuple[str, bytes] | None] = [None] * len(specs)
        keys: dict[int, str] = {}
        misses = []
        for i, spec in enumerate(specs):
            if _fixed(spec):
                keys[i] = key = self._cache.key(FORMAT, spec)
                found = _decode(self._cache.load(key))
                if found is not None:
                    out[i] = found
                    continue
            misses.append(i)
        if misses:
            for i, answer in zip(misses, read([specs[i] for i in misses]), strict=True):
                out[i] = answer
                if i in keys and answer is not None and _keeps(answer):
                    self._cache.store(keys[i], marshal.dumps(answer))
        return out


def replaces_objects(common_dir: Path) -> bool:
    """Whether git may read an object id as other bytes than its own here: a replace ref
    (loose or packed) or a grafts file. Then what it answered once is no fact."""
    if (common_dir / "refs" / "replace").exists() or (common_dir / "info" / "grafts").exists():
        return True
    try:
        packed = (common_dir / "packed-refs").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return b" refs/replace/" in packed


def _fixed(spec: str) -> bool:
    """A full object id, alone or followed by `:<path>`: a name whose answer never changes."""
    return is_object_id(spec.partition(":")[0]) and not any(c in spec for c in "\n\r\0")


def _keeps(answer: tuple[str, bytes]) -> bool:
    return answer[0] in _KINDS and len(answer[1]) <= MAX_BYTES


def _decode(data: bytes | None) -> tuple[str, bytes] | None:
    """An entry's (type, bytes); None for no entry, or one that is not what `read_typed` keeps
    (its MAC verified, so only a change of format makes one: it is read again)."""
    if data is None:
        return None
    try:
        value = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], bytes)
        and _keeps(value)
    ):
        return value[0], value[1]
    return None
