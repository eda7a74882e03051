"""What changed in the registry between two revisions, prompt by prompt."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

from promptreg.app.diff import diff_prompts
from promptreg.app.report import report
from promptreg.errors import GitError, PromptregError, UsageError
from promptreg.evals.gate import GateResult, check_gate
from promptreg.evals.provenance import commit_source
from promptreg.hooks.fingerprint import fingerprint, has_references
from promptreg.hooks.revisions import Snapshot
from promptreg.hooks.version_bump import check_bump
from promptreg.names import SUFFIX
from promptreg.registry.runtime import Registry
from promptreg.template.prompt import Prompt
from promptreg.template.sources import decode_source


@dataclass(frozen=True)
class Side:
    """One side of a changed prompt: its version, sample tokens, cost and recorded scores."""

    version: str
    tokens: int | None
    usd_per_1000: float | None
    scores: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sample_tokens": self.tokens,
            "usd_per_1000_calls": None
            if self.usd_per_1000 is None
            else round(self.usd_per_1000, 4),
            "scores": self.scores,
        }


@dataclass(frozen=True)
class PromptChange:
    name: str
    status: str  # added | changed | removed
    old: Side | None
    new: Side | None
    via: tuple[str, ...] = ()  # the changed partials it includes (its own file may be unchanged)
    file_changed: bool = True
    changes: list[str] = field(default_factory=list)  # metadata, as sentences
    body: list[str] = field(default_factory=list)  # unified diff lines
    partials: list[tuple[str, list[str]]] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    bump: str | None = None  # the version-bump problem, None when the version is right
    gate: GateResult | None = None  # None: the prompt declares no eval metrics
    running_old: tuple[str, ...] = ()  # environments that run the old version now
    error: str | None = None  # a side does not load: what was shown is partial

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
            "via_partials": list(self.via),
            "file_changed": self.file_changed,
            "metadata_changes": self.changes,
            "body_diff": self.body,
            "partial_diffs": {name: lines for name, lines in self.partials},
            "rendered_diff": self.rendered,
            "version_bump": {"ok": self.bump is None, "problem": self.bump},
            "gate": self.gate.to_json() if self.gate is not None else None,
            "environments_running_old_version": list(self.running_old),
            "error": self.error,
        }


@dataclass(frozen=True)
class PartialChange:
    path: str  # relative to the prompts directory, as includes name it
    diff: list[str]
    included_by: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "diff": self.diff, "included_by": list(self.included_by)}


@dataclass(frozen=True)
class Review:
    base: str
    base_label: str
    head: str
    head_label: str
    prompts: list[PromptChange]
    partials: list[PartialChange]

    def to_json(self) -> dict[str, Any]:
        return {
            "base": {"label": self.base_label, "commit": self.base},
            "head": {"label": self.head_label, "commit": self.head},
            "prompts": [p.to_json() for p in self.prompts],
            "partials": [p.to_json() for p in self.partials],
        }


class _Revision:
    """One side of the review: its changed prompt files (read in one exchange with git) and
    the Jinja environment the version-bump check reads its partials with (made once)."""

    def __init__(self, registry: Registry, commit: str, paths: list[str]) -> None:
        store, project = registry.store, registry.project
        self.commit = commit
        self.blobs = dict(
            zip(paths, store.read_blobs([f"{commit}:{p}" for p in paths]), strict=True)
        )
        snapshot = Snapshot(store, commit, store.root, fallback=False)
        self.env = snapshot.template_env(project.prompts_dir, project.config.limits)


def review(registry: Registry, base: str, head: str = "HEAD") -> Review:
    """The changes from the merge base of `base` and `head` to `head`."""
    store = registry.store
    base_commit = store.rev_parse_commit(base)
    head_commit = store.rev_parse_commit(head)
    for label, commit in ((base, base_commit), (head, head_commit)):
        if commit is None:
            raise UsageError(f"{label!r} does not name a commit (fetch it first?)")
    assert base_commit is not None and head_commit is not None
    try:
        merge_base = store.run("merge-base", base_commit, head_commit).strip() or base_commit
    except GitError:  # unrelated histories: compare the two revisions themselves
        merge_base = base_commit
    prefix = registry.prompt_path("x")[: -len("x" + SUFFIX)]
    out = store.run(
        "diff", "--name-only", "-z", "--no-renames", merge_base, head_commit, "--", prefix or "."
    )
    paths = sorted(p for p in out.split("\0") if p)
    prompt_paths = [p for p in paths if p.endswith(SUFFIX)]
    partial_paths = [p[len(prefix) :] for p in paths if not p.endswith(SUFFIX)]
    own = {p[len(prefix) : -len(SUFFIX)] for p in prompt_paths}
    via = _including(registry, head_commit, prefix, set(partial_paths)) if partial_paths else {}
    running = registry.running()
    names = sorted(own | set(via))
    paths = [registry.prompt_path(n) for n in names]
    old_side, new_side = (_Revision(registry, c, paths) for c in (merge_base, head_commit))
    registry.prefetch([(c, n) for c in (merge_base, head_commit) for n in names])
    changes = [
        _change(
            registry,
            name,
            old_side,
            new_side,
            labels=(base, head),
            via=via.get(name, ()),
            file_changed=name in own,
            running=running,
        )
        for name in names
    ]
    changed_partials = [
        PartialChange(
            path,
            _partial_diff(registry, prefix + path, merge_base, head_commit, (base, head)),
            tuple(sorted(n for n, ps in via.items() if path in ps)),
        )
        for path in partial_paths
    ]
    return Review(merge_base, base, head_commit, head, changes, changed_partials)


def _including(
    registry: Registry, commit: str, prefix: str, changed: set[str]
) -> dict[str, tuple[str, ...]]:
    """Prompts at `commit` that include any of the `changed` partials, and which ones."""
    listed = registry.store.run("ls-tree", "-r", "-z", "--name-only", commit, "--", prefix or ".")
    files = [p for p in listed.split("\0") if p.endswith(SUFFIX) and p.startswith(prefix)]
    blobs = registry.store.read_blobs([f"{commit}:{p}" for p in files])
    found: dict[str, tuple[str, ...]] = {}
    for path, data in zip(files, blobs, strict=True):
        if data is None or not has_references(data):
            continue
        name = path[len(prefix) : -len(SUFFIX)]
        try:
            hits = tuple(p for p in registry.read_at(commit, name).partials if p in changed)
        except PromptregError:
            continue
        if hits:
            found[name] = hits
    return found


def _load(registry: Registry, side: _Revision, name: str) -> tuple[Prompt | None, str | None]:
    if side.blobs.get(registry.prompt_path(name)) is None:
        return None, None
    try:
        return registry.read_at(side.commit, name), None
    except PromptregError as err:
        return None, f"{name} at {side.commit[:12]}: {err.message}"


def _side(registry: Registry, prompt: Prompt) -> Side:
    result = report(prompt, registry.project.config.pricing)
    scores = dict(prompt.evals.scores) if prompt.evals is not None else {}
    return Side(
        prompt.version,
        result.sample_tokens.tokens if result.sample_tokens else None,
        result.cost.per_call * 1000 if result.cost else None,
        scores,
    )


def _change(
    registry: Registry,
    name: str,
    base: _Revision,
    head: _Revision,
    *,
    labels: tuple[str, str],
    via: tuple[str, ...],
    file_changed: bool,
    running: dict[tuple[str, str], Any],
) -> PromptChange:
    old, old_error = _load(registry, base, name)
    new, new_error = _load(registry, head, name)
    status = "added" if old is None and old_error is None else "changed"
    if new is None and new_error is None:
        status = "removed"
    running_old = tuple(
        env
        for env in registry.environments
        if old is not None
        and (d := running.get((name, env))) is not None
        and d.version == old.version
    )
    base_change = PromptChange(
        name=name,
        status=status,
        old=_side(registry, old) if old is not None else None,
        new=_side(registry, new) if new is not None else None,
        via=via,
        file_changed=file_changed,
        running_old=running_old,
        error=old_error or new_error,
    )
    if new is not None and old is None:  # added: its text, and whether it would ship
        body = _lines_diff("", new.body, "/dev/null", f"{name}@{labels[1]}")
        return replace(base_change, body=body, gate=_gate(registry, new, head.commit, None))
    if old is not None and new is None:  # removed: the text that goes
        return replace(
            base_change, body=_lines_diff(old.body, "", f"{name}@{labels[0]}", "/dev/null")
        )
    if old is None or new is None:
        return base_change
    a, b = f"{name}@{labels[0]}", f"{name}@{labels[1]}"
    d = diff_prompts(old, new, a_label=a, b_label=b, rendered=True)
    return replace(
        base_change,
        changes=d.changes,
        body=d.body,
        partials=d.partials,
        rendered=d.rendered or [],
        bump=_bump(registry, name, base, head, labels[0]),
        gate=_gate(registry, new, head.commit, old),
    )


def _bump(
    registry: Registry, name: str, old: _Revision, new: _Revision, base_label: str
) -> str | None:
    """The version-bump hook's verdict on this change (PR070/PR071), None when it passes."""
    path = registry.prompt_path(name)
    sides = []
    for side in (old, new):
        data = side.blobs.get(path)
        sides.append(fingerprint(data, side.env) if data is not None else None)
    if sides[1] is None:
        return None
    problem = check_bump(name, sides[0], sides[1], base_label=base_label)
    return f"{problem.code}: {problem.message}" if problem else None


def _gate(registry: Registry, new: Prompt, head: str, old: Prompt | None) -> GateResult | None:
    """The eval gate as `promote` runs it, with the old version's scores as the baseline (a
    new prompt has none)."""
    if new.evals is None or not new.evals.metrics:
        return None
    ev = old.evals if old is not None else None
    baseline = dict(ev.scores) if ev is not None and ev.scores else None
    return check_gate(
        new,
        source=commit_source(registry.store, registry.project, head),
        baseline=baseline,
        tolerance=registry.project.config.evals.tolerance,
    )


def _partial_diff(
    registry: Registry, path: str, base: str, head: str, labels: tuple[str, str]
) -> list[str]:
    def text(commit: str) -> str:
        data = registry.store.read(commit, path)
        if data is None:
            return ""
        try:
            return decode_source(data)
        except UnicodeDecodeError:
            return "(not UTF-8 text)\n"

    return _lines_diff(text(base), text(head), f"{path}@{labels[0]}", f"{path}@{labels[1]}")


def _lines_diff(old: str, new: str, a: str, b: str) -> list[str]:
    """A unified diff as lines without their ends (as `diff` shows a prompt's body)."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), a, b)
    return [line.rstrip("\n") for line in lines]


def delta(old: float | None, new: float | None, fmt: str) -> str:
    """`old → new (+d)` in `fmt`; one side alone when the other is missing."""
    if old is None and new is None:
        return "—"
    if old is None or new is None:
        return fmt.format(new if new is not None else old)
    diff = new - old
    sign = "+" if diff >= 0 else "−"
    return f"{fmt.format(old)} → {fmt.format(new)} ({sign}{fmt.format(abs(diff)).lstrip('$')})"


def score_deltas(c: PromptChange) -> str:
    """Each metric's recorded score, old → new, with the change."""
    old = c.old.scores if c.old else {}
    new = c.new.scores if c.new else {}
    out = []
    for metric in sorted(set(old) | set(new)):
        a, b = old.get(metric), new.get(metric)
        if a is not None and b is not None:
            diff = b - a
            out.append(f"{metric} {a:g} → {b:g} ({'+' if diff >= 0 else '−'}{abs(diff):.2f})")
        else:
            out.append(f"{metric} {a if a is not None else '—'} → {b if b is not None else '—'}")
    return ", ".join(out)
