"""promptreg-no-secrets over files that git will not commit: a file given that is gone (a
deletion being committed) or outside the repository has nothing to scan, and is no reason to
stop scanning the files after it."""

from __future__ import annotations

from pathlib import Path

from promptreg.hooks.no_secrets import run_no_secrets
from promptreg.project.project import Project
from tests.conftest import Workspace, commit, git

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"


def test_a_deleted_or_outside_file_is_skipped_and_the_next_one_scanned(
    repo: Workspace, tmp_path: Path
):
    repo.write("prompts/partials/gone.j2", "Be brief.\n")
    commit(repo, "a partial")
    git(repo.root, "rm", "-q", "prompts/partials/gone.j2")  # the commit deletes it
    outside = tmp_path / "outside.j2"
    outside.write_text(f"key: {OPENAI}\n", encoding="utf-8")
    repo.write("prompts/partials/leak.j2", f"key: {OPENAI}\n")
    git(repo.root, "add", "-A")
    files = ["prompts/partials/gone.j2", str(outside), "prompts/partials/leak.j2"]
    report = run_no_secrets(Project.open(repo.root), files, environ={})
    assert report.checked == 3
    assert [(f.path, f.line, f.code) for f in report.findings] == [
        ("prompts/partials/leak.j2", 1, "PR074")
    ]
    assert not report.ok
