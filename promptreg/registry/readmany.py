"""The read model for many prompts at once: what `promote --all` asks 2,000 times.

`DeploymentReader.log` and `judge_ref` answer for one prompt or one tag, with a git process
each (a `for-each-ref`, a `cat-file -t`: ~2 ms to spawn). Asked once per prompt of a
collection, that was 4,000 processes and ~8 s of a 12 s `promote --all`. These functions
give the same answers from one listing of the refs and one pipelined exchange with the
batch reader, judged by the same `DeploymentReader.judge` (and its verdict cache).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from promptreg.registry.deployments import DeploymentReader
from promptreg.registry.tagobject import is_object_id
from promptreg.registry.tags import PREFIX, canonical_seq, split_deployment_ref
from promptreg.registry.verdicts import Candidate, DeploymentLog, Rejected, Verdict, make_log


def logs(reader: DeploymentReader, names: Iterable[str], env: str) -> dict[str, DeploymentLog]:
    """`reader.log(name, env)` for every name in `names`: one listing, one judging."""
    wanted = set(names)
    candidates = [
        c for c in reader.list_refs([f"refs/tags/{PREFIX}"]) if c.env == env and c.name in wanted
    ]
    by_name: dict[str, list[Verdict]] = {name: [] for name in wanted}
    for candidate, verdict in zip(candidates, reader.judge(candidates), strict=True):
        by_name[candidate.name].append(verdict)
    return {name: make_log(verdicts, env) for name, verdicts in by_name.items()}


def judge_refs(reader: DeploymentReader, items: Sequence[tuple[str, str]]) -> list[Verdict | None]:
    """`reader.judge_ref(ref, obj)` for each (ref, obj): the objects' types in one exchange,
    the candidates judged together."""
    parsed = [split_deployment_ref(ref) for ref, _ in items]
    pairs = zip(items, parsed, strict=True)
    objects = [obj for (_, obj), parts in pairs if parts is not None and is_object_id(obj)]
    kinds = dict(zip(objects, reader.store.object_types(objects), strict=True))
    out: list[Verdict | None] = []
    todo: list[tuple[int, Candidate]] = []
    for (ref, obj), parts in zip(items, parsed, strict=True):
        if parts is None:
            out.append(None)
            continue
        name, env, _ = parts
        if env not in reader.environments:
            reason = f"environment {env!r} is not declared in promptreg.yaml"
            out.append(Rejected(ref, obj, name, env, None, reason))
            continue
        kind = kinds.get(obj, "missing")
        todo.append((len(out), Candidate(ref, obj, kind, name, env, canonical_seq(*parts))))
        out.append(None)
    verdicts = reader.judge([c for _, c in todo])
    for (at, _), verdict in zip(todo, verdicts, strict=True):
        out[at] = verdict
    return out
