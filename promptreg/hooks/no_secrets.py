"""promptreg-no-secrets, the hook: the files being committed (or pushed) scanned as git holds
them, with the rule set `validate` applies too (promptreg/app/secrets.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from promptreg.app.secrets import secret_findings
from promptreg.findings import Finding
from promptreg.hooks.context import open_context
from promptreg.hooks.report import HookReport
from promptreg.project.project import Project


def run_no_secrets(
    project: Project,
    files: Sequence[str],
    *,
    base: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> HookReport:
    """Scan `files` (none given: the files changed since the base) as they are staged (or at
    `PRE_COMMIT_TO_REF`): what would be committed is what must be clean."""
    with open_context(project, base=base, environ=environ) as ctx:
        paths = ctx.files(files)
        findings: list[Finding] = []
        blobs = ctx.new.read_many([ctx.rel(path) for path in paths])
        for path, data in zip(paths, blobs, strict=True):
            if data is None:
                continue
            findings.extend(secret_findings(project.shown(path), data))
        return HookReport(len(paths), findings)
