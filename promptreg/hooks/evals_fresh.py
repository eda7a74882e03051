"""promptreg-evals-fresh: recorded eval scores must be for this content, and good enough.

A prompt that declares `evals` must carry scores whose `content_hash` equals its current
content hash (PR072: missing or stale), and every score must meet its metric's threshold
(PR073). The judgement is the evals gate's (`promptreg.evals.gate.check_gate`, the same one
`promptreg check` and promote use), without the regression check: a commit has no deployed
baseline to compare with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.findings import Finding
from promptreg.hooks.context import open_context
from promptreg.hooks.report import HookReport
from promptreg.hooks.selection import classify, expand
from promptreg.loader import PromptFile, parse_prompt_bytes
from promptreg.project import Project

if TYPE_CHECKING:
    from promptreg.evals.gate import GateProblem

_CODES = {"missing": "PR072", "stale": "PR072", "below threshold": "PR073"}


def gate_findings(pf: PromptFile) -> list[Finding]:
    """The gate's verdict on a loaded prompt file, as findings at the lines they are about.
    A prompt without an `evals` block, or one that does not load, has none here."""
    from promptreg.evals.gate import check_gate

    prompt, doc = pf.prompt, pf.doc
    if prompt is None or doc is None or prompt.evals is None:
        return []
    findings = []
    for problem in check_gate(prompt).problems:
        line, _ = doc.position(_where(problem))
        code = _CODES.get(problem.kind, "PR072")
        findings.append(
            Finding(pf.shown, line, 1, code, f"{pf.name}: {problem.kind}: {problem.message}")
        )
    return findings


def _where(problem: GateProblem) -> tuple[str, ...]:
    if problem.kind == "stale":
        return ("evals", "content_hash")
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
    with open_context(project, base=base, environ=environ) as ctx:
        prompts = expand(project, classify(project, ctx.files(files)))
        env = ctx.new.template_env(project.prompts_dir, project.config.limits)
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
            findings.extend(gate_findings(pf))
        return HookReport(len(prompts), findings)
