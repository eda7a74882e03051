"""promptreg-evals-fresh: recorded eval scores must be for this content, and good enough.

A prompt that declares `evals` must carry scores measured on what is about to be committed:
its content hash, its dataset's bytes and the files its metrics read, all read from the index
(or `PRE_COMMIT_TO_REF`), never from the working tree (PR072: missing or stale); and every
score must meet its metric's threshold (PR073). The judgement is the evals gate's
(`promptreg.evals.gate.check_gate`, the same one `promptreg check`, promote and the pre-push
hook use), without the regression and runner checks: a commit has no target environment.

A changed dataset, rubric or schema file (outside the prompts directory, or a partial under
it) selects every prompt whose front-matter names it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.findings import Finding
from promptreg.hooks.context import HookContext, open_context
from promptreg.hooks.report import HookReport
from promptreg.hooks.revisions import Snapshot, relative_to
from promptreg.hooks.selection import Selection, classify, expand
from promptreg.project.loader import PromptFile, parse_prompt_bytes
from promptreg.project.project import Project

if TYPE_CHECKING:
    from promptreg.evals.gate import GateProblem
    from promptreg.evals.provenance import Source


def gate_findings(pf: PromptFile, source: Source) -> list[Finding]:
    """The gate's verdict on a loaded prompt file, as findings at the lines they are about;
    `source` is the state the dataset and metric files are read from. A prompt without an
    `evals` block, or one that does not load, has none here."""
    from promptreg.evals.gate import check_gate

    prompt, doc = pf.prompt, pf.doc
    if prompt is None or doc is None or prompt.evals is None:
        return []
    findings = []
    for problem in check_gate(prompt, source=source).problems:
        line, _ = doc.position(_where(problem))
        code = problem.code or "PR072"
        findings.append(
            Finding(pf.shown, line, 1, code, f"{pf.name}: {problem.kind}: {problem.message}")
        )
    return findings


def _where(problem: GateProblem) -> tuple[str, ...]:
    if problem.where:
        return ("evals", *problem.where)
    if problem.metric is not None:
        return ("evals", "scores", problem.metric)
    return ("evals", "scores")


def run_evals_fresh(
    project: Project,
    files: Sequence[str],
    *,
    base: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> HookReport:
    """Check the prompts `files` stand for (none given: the files changed since the base), as
    they are staged (or at `PRE_COMMIT_TO_REF`)."""
    from promptreg.evals.provenance import snapshot_source

    with open_context(project, base=base, environ=environ) as ctx:
        selection = classify(project, ctx.files(files))
        prompts = expand(project, selection)
        prompts += [p for p in _naming(project, ctx, selection) if p not in set(prompts)]
        env = ctx.new.template_env(project.prompts_dir, project.config.limits)
        # The files scores were measured on are read from the state being committed only: a
        # dataset left unstaged is not what the commit will hold.
        strict = (
            ctx.new
            if ctx.store is None
            else Snapshot(ctx.store, ctx.new.rev, ctx.root, fallback=False)
        )
        where = "the index" if ctx.new.rev is None else f"commit {ctx.new.rev[:12]}"
        source = snapshot_source(strict, project, where)
        findings: list[Finding] = []
        blobs = ctx.new.read_many([ctx.rel(path) for path in prompts])
        for path, data in zip(prompts, blobs, strict=True):
            # Most prompts have no evals: spare them the full load.
            if data is None or b"evals:" not in data:
                continue
            pf = parse_prompt_bytes(
                data,
                path=Path(path),
                name=project.name_for(path),
                shown=project.shown(path),
                env=env,
            )
            findings.extend(gate_findings(pf, source))
        return HookReport(len(prompts), findings)


def _naming(project: Project, ctx: HookContext, selection: Selection) -> list[Path]:
    """The prompts (as staged) whose front-matter names one of the changed files that are not
    prompts: a dataset, a rubric, a schema. A substring test over the staged prompt files with
    an `evals` block picks them; the gate then reads each one properly."""
    names: set[bytes] = set()
    for other in selection.others:
        rel = relative_to(other, project.root)
        if rel is not None:
            names.add(rel.encode("utf-8"))
    for partial in selection.partials:
        names.add(partial.encode("utf-8"))  # a rubric is named under the prompts directory
    if not names:
        return []
    candidates = project.prompt_files()
    blobs = ctx.new.read_many([ctx.rel(path) for path in candidates])
    return [
        path
        for path, data in zip(candidates, blobs, strict=True)
        if data is not None and b"evals:" in data and any(name in data for name in names)
    ]
