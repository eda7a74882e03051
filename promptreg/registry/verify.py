"""`promptreg verify`: every tag under `prompts/` that does not count, and why.

The registry skips such tags silently at run time (a bad tag must never hide a good one, nor
stop another prompt from being served); this is where they are reported. The same read model
judges them (deployments.py): deployment tags of every declared environment, and releases.
A deployment an environment runs that counts only through a content-hash scheme-1 record
not covering the prompt's input defaults is listed as a warning (it is served;
`signing.legacy_hashes: refuse`, or the environment under `signing.environments`, rejects it).
Older legacy tags are history: once `promote` re-records, the warning goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from promptreg.registry.runtime import Registry
from promptreg.registry.tags import PREFIX, Deployment, parse_release
from promptreg.registry.verdicts import Rejected, legacy_hint


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    rejected: list[Rejected]
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (tag, what to do)


def verify(registry: Registry) -> VerifyResult:
    """Judge every deployment and release tag of the repository."""
    reader = registry.reader
    with registry.lock:
        candidates = reader.list_refs([f"refs/tags/{PREFIX}"])
        verdicts = reader.judge(candidates)
        rejected = [v for v in verdicts if isinstance(v, Rejected)]
        warnings = _legacy_warnings([v for v in verdicts if isinstance(v, Deployment)])
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
    return VerifyResult(checked, sorted(rejected, key=lambda r: r.tag), sorted(warnings))


def _legacy_warnings(valid: list[Deployment]) -> list[tuple[str, str]]:
    """(tag, what to do) for each deployment that runs now as a legacy match."""
    running: dict[tuple[str, str], Deployment] = {}
    for d in valid:
        key = (d.name, d.env)
        if key not in running or d.seq > running[key].seq:
            running[key] = d
    return [(d.tag, legacy_hint(d.name, d.env, d.version)) for d in running.values() if d.legacy]
