"""`promptreg verify`: every tag under `prompts/` that does not count, and why.

The registry skips such tags silently at run time (a bad tag must never hide a good one, nor
stop another prompt from being served); this is where they are reported. The same read model
judges them (deployments.py): deployment tags of every declared environment, and releases.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptreg.deployments import Rejected
from promptreg.registry import Registry
from promptreg.tags import PREFIX, parse_release


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    rejected: list[Rejected]


def verify(registry: Registry) -> VerifyResult:
    """Judge every deployment and release tag of the repository."""
    reader = registry.reader
    with registry.lock:
        candidates = reader.list_refs([f"refs/tags/{PREFIX}"])
        rejected = [v for v in reader.judge(candidates) if isinstance(v, Rejected)]
        checked = len(candidates)
        for ref in registry.store.tags(PREFIX):
            parsed = parse_release(ref.name)
            if parsed is None:
                continue
            checked += 1
            kind = "tag" if ref.annotated else "commit"
            release = reader.release(*parsed, ref.name, ref.object, kind)
            if release.problem is not None:
                where = (parsed[0], None, None, release.problem, ref.tagger, ref.date)
                rejected.append(Rejected(ref.name, ref.object, *where))
    return VerifyResult(checked, sorted(rejected, key=lambda r: r.tag))
