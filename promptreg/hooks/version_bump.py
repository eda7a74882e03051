"""promptreg-version-bump: what the model sees changed, so the version must go up.

A prompt whose content hash differs from the base revision's, or whose inputs accept other
values (README "Which bump"), must carry a higher semver than it had there; a new prompt
starts at any version. A version lower than the base's (PR071), or equal to it with other
content (PR070), fails with the version to use: the bump the change needs (`needed_bump`). A
changed partial puts every prompt that includes it under the same check: it changes their
content hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptreg.findings import Finding
from promptreg.hooks.context import HookContext, open_context
from promptreg.hooks.fingerprint import (
    Fingerprint,
    changed_parts,
    fingerprint,
    has_references,
)
from promptreg.hooks.report import Fixed, HookReport
from promptreg.hooks.revisions import differing_paths
from promptreg.hooks.selection import classify, expand
from promptreg.names import PROMPTY_SUFFIX, SUFFIXES
from promptreg.project.project import Project
from promptreg.versions import Version

PARTS = ("major", "minor", "patch")


@dataclass(frozen=True)
class BumpProblem:
    """A version that does not go up with its content: the rule code, the message, and the
    version that would fix it."""

    code: str
    message: str
    suggested: str


def check_bump(
    name: str, base: Fingerprint | None, new: Fingerprint, *, base_label: str = "HEAD"
) -> BumpProblem | None:
    """The problem with `new`'s version given `base` (None: the prompt is new), or None.
    A version that is not semver on either side is left to the validate hook (PR024)."""
    if base is None or base.version is None or new.version is None:
        return None
    try:
        old, current = Version(base.version), Version(new.version)
    except ValueError:
        return None
    part, why = needed_bump(base, new)
    suggested = str(old.bump(part))
    flag = "" if part == "patch" else f" --{part}"
    reason = f" ({'; '.join(why)}: a {part} change)" if why else ""
    if current < old:
        return BumpProblem(
            "PR071",
            f"{name}: version {current} is lower than {old} at {base_label}: versions only go "
            f"up; use {suggested} or higher{reason}",
            suggested,
        )
    contract = [w for w in why if w.startswith(("input", "required", "optional"))]
    if current == old and (new.content_hash != base.content_hash or contract):
        # What callers may pass is part of what a version promises, though not of the hash.
        what = ", ".join(changed_parts(base, new) or ["inputs"])
        return BumpProblem(
            "PR070",
            f"{name}: content changed since {base_label} ({what}) but the version is still "
            f"{old}: bump it to {suggested}{reason} (`promptreg bump {name}{flag}`, or run "
            "the hook with --fix)",
            suggested,
        )
    return None


def needed_bump(base: Fingerprint, new: Fingerprint) -> tuple[str, list[str]]:
    """The part of the version a change needs (README "Which bump"), and why when it is more
    than a patch. Major: a caller's code may break (an input removed, or added or made
    required, or its type or allowed values narrowed). Minor: callers are unaffected but what
    runs or is accepted changes (the model, an optional input, values widened). Patch: the
    rest (text, partials, parameters, budget, sample, evals)."""
    major: list[str] = []
    minor: list[str] = []
    old_inputs, new_inputs = _inputs(base.inputs), _inputs(new.inputs)
    for name in sorted(set(old_inputs) - set(new_inputs)):
        major.append(f"input `{name}` removed")
    for name in sorted(set(new_inputs) - set(old_inputs)):
        decl = new_inputs[name]
        if decl.get("required") is True:
            major.append(f"required input `{name}` added")
        else:
            minor.append(f"optional input `{name}` added")
    for name in sorted(set(old_inputs) & set(new_inputs)):
        was, now = old_inputs[name], new_inputs[name]
        if now.get("required") is True and was.get("required") is not True:
            major.append(f"input `{name}` made required")
        elif was.get("required") is True and now.get("required") is not True:
            minor.append(f"input `{name}` made optional")
        if was.get("type", "string") != now.get("type", "string"):
            major.append(f"input `{name}` type changed")
        old_enum, new_enum = _values(was.get("enum")), _values(now.get("enum"))
        if new_enum is not None and (old_enum is None or not old_enum <= new_enum):
            major.append(f"input `{name}` allowed values narrowed")
        elif old_enum is not None and (new_enum is None or old_enum < new_enum):
            minor.append(f"input `{name}` allowed values widened")
        old_max, new_max = was.get("max_chars"), now.get("max_chars")
        if new_max != old_max:
            shorter = isinstance(new_max, int) and (
                not isinstance(old_max, int) or new_max < old_max
            )
            (major if shorter else minor).append(f"input `{name}` max_chars changed")
        if was.get("default") != now.get("default"):
            minor.append(f"input `{name}` default changed")
    if _model_id(base.model) != _model_id(new.model):
        minor.append("model changed")
    if major:
        return "major", major
    return ("minor", minor) if minor else ("patch", [])


def _inputs(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, dict) else {} for k, v in value.items()}


def _values(enum: Any) -> frozenset[str] | None:
    return frozenset(repr(v) for v in enum) if isinstance(enum, list) else None


def _model_id(model: Any) -> tuple[Any, Any]:
    if not isinstance(model, dict):
        return (model, None)
    return (model.get("provider"), model.get("name"))


def run_version_bump(
    project: Project,
    files: Sequence[str],
    *,
    base: str | None = None,
    fix: bool = False,
    environ: Mapping[str, str] | None = None,
) -> HookReport:
    """Check the prompts `files` stand for (none given: the files changed since the base).
    With `fix`, rewrite each failing prompt's version in the working tree."""
    with open_context(project, base=base, environ=environ, need_git=True) as ctx:
        assert ctx.sides is not None
        label = ctx.sides.base_label
        prompts = expand(project, classify(project, ctx.files(files)))
        if ctx.base is None or not prompts:
            return HookReport(len(prompts))
        new_env = ctx.new.template_env(project.prompts_dir, project.config.limits)
        old_env = ctx.base.template_env(project.prompts_dir, project.config.limits)
        findings: list[Finding] = []
        fixed: list[Fixed] = []
        rels = [ctx.rel(path) for path in prompts]
        # Two pipelined exchanges with git for every blob, not a round trip per file.
        new_blobs = ctx.new.read_many(rels)
        old_blobs = ctx.base.read_many(rels)
        partials_changed = _partials_changed(ctx)
        for path, data, old_data in zip(prompts, new_blobs, old_blobs, strict=True):
            if data is None:
                continue
            if data == old_data and not (partials_changed and has_references(data)):
                continue  # the same bytes, and no partial they could include has changed
            prompty = path.name.endswith(PROMPTY_SUFFIX)
            new = fingerprint(data, new_env, prompty=prompty)
            if new is None:
                continue
            old = fingerprint(old_data, old_env, prompty=prompty) if old_data is not None else None
            name = project.name_for(path)
            problem = check_bump(name, old, new, base_label=label)
            if problem is None:
                continue
            shown = project.shown(path)
            if fix and path.is_file():
                set_version(path, problem.suggested)
                fixed.append(Fixed(shown, f"version {new.version} → {problem.suggested}"))
            else:
                findings.append(Finding(shown, new.version_line, 1, problem.code, problem.message))
        return HookReport(len(prompts), findings, fixed)


def _partials_changed(ctx: HookContext) -> bool:
    """Whether any file under the prompts directory other than a prompt differs between the
    base and the target: when none does, a prompt with unchanged bytes is unchanged."""
    assert ctx.store is not None and ctx.sides is not None
    under = ctx.rel(ctx.project.prompts_dir)
    if under is None:
        return True
    paths = differing_paths(ctx.store, ctx.sides, "" if under == "." else under)
    return any(not p.endswith(SUFFIXES) for p in paths)


def set_version(path: Path, version: str) -> bool:
    """Rewrite the `version:` of the prompt file at `path`, changing nothing else (a Prompty v2
    file that keeps it as `metadata.version` has that one rewritten)."""
    from promptreg.frontmatter._yaml import rewrite_front_matter

    def edit(data: Any) -> None:
        if "version" not in data and _metadata_version(data) is not None:
            data["metadata"]["version"] = version
        else:
            data["version"] = version

    return rewrite_front_matter(path, edit)


def _metadata_version(data: Any) -> Any:
    """A Prompty v2 file's `metadata.version` (None: it has none)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata.get("version") if isinstance(metadata, dict) else None


@dataclass(frozen=True)
class Bumped:
    name: str
    path: Path
    old: str
    new: str


def bump_prompt(project: Project, ref: str, part: str = "patch") -> Bumped:
    """`promptreg bump`: raise the version of the prompt `ref` names (its `part`: major, minor
    or patch). Raises `UsageError` when the file has no semver version to bump."""
    from promptreg.errors import UsageError
    from promptreg.frontmatter._yaml import read_yaml
    from promptreg.frontmatter.split import FrontMatterError, split_front_matter
    from promptreg.frontmatter.yamldoc import YamlError
    from promptreg.template.sources import read_text

    path = project.locate(ref)
    shown = project.shown(path)
    try:
        data = read_yaml(split_front_matter(read_text(path)).front_matter, line_offset=1).data
    except (FrontMatterError, YamlError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read the front-matter: {err}", path=shown) from None
    current = data.get("version") if isinstance(data, dict) else None
    if current is None and path.name.endswith(PROMPTY_SUFFIX):
        current = _metadata_version(data)
    try:
        old = Version(current) if isinstance(current, str) else None
    except ValueError:
        old = None
    if old is None:
        raise UsageError(f"version {current!r} is not semver: set it by hand", path=shown)
    new = old.bump(part)
    set_version(path, str(new))
    return Bumped(project.name_for(path), path, str(old), str(new))
