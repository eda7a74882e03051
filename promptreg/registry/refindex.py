"""Which deployment tag each (prompt, environment) runs, without a git process per lookup.

Spawning git costs ~2 ms, and listing every tag with its message ~55 ms at 12,000 tags. So
the registry asks in two steps: its first lookup lists only that prompt's own deployments;
from the second prompt on, it lists every deployment ref's name once (no messages) into this
index, and then reads one tag object through the batch reader per lookup (~0.1 ms). The
index holds names only: which of them count is the read model's job (deployments.py).

An index entry can be trusted while nothing could have changed it since the listing began:
`packed-refs` is as it was, and neither the loose-ref directory of that (prompt, env) nor its
parent was modified after the listing started (creating a tag touches those directories; a
change dated up to `SETTLE_NS` before the start counts as after it, since file times come
from a coarse clock). That costs three `stat` calls.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from promptreg.registry.deployments import DeploymentReader
from promptreg.registry.gitstore import SETTLE_NS, GitStore
from promptreg.registry.tags import PREFIX
from promptreg.registry.verdicts import Candidate


@dataclass
class RefIndex:
    """Every deployment-shaped ref, grouped by (name, env), as listed at `listed_at_ns`."""

    listed_at_ns: int
    packed: object
    groups: dict[tuple[str, str], list[Candidate]] = field(default_factory=dict)

    @classmethod
    def build(cls, reader: DeploymentReader) -> RefIndex:
        started = time.time_ns()
        packed = reader.store.refs_stamp()
        index = cls(started, packed)
        for candidate in reader.list_refs([f"refs/tags/{PREFIX}"]):
            index.groups.setdefault(candidate.key, []).append(candidate)
        return index

    def trusted_for(self, store: GitStore, name: str, env: str) -> bool:
        """Whether the entry for (name, env) still says what the refs say."""
        if store.refs_stamp() != self.packed:
            return False
        tags_dir = store.common_dir / "refs" / "tags"
        for directory in loose_dirs(name, env):
            # (a change dated just before the listing may be after it: see SETTLE_NS)
            if _mtime_ns(tags_dir / directory) > self.listed_at_ns - SETTLE_NS:
                return False
        return True


def loose_dirs(name: str, env: str) -> tuple[str, str]:
    """The loose-ref directories whose mtimes change when a deployment of (name, env) is
    added: `prompts/<name>@<env>` itself and its parent (in case it is created)."""
    leaf = f"{PREFIX}{name}@{env}"
    return leaf, leaf.rsplit("/", 1)[0]


def _mtime_ns(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0
