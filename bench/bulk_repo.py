"""The bulk copy of the synthetic repository (issue 13: a whole collection at once).

`bench/.work/bulk` is a copy of the 2,000-prompt repository with an identity of its own;
each bulk row starts from a known state by deleting the tags the previous one made (a bench
scratch repository: promptreg itself never deletes a tag).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PLAIN_BULK_TAGS = "bench-bulk/"  # tags the plain `git tag -a` loop creates


@dataclass(frozen=True)
class BulkRepo:
    root: Path
    count: int


def _git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, input=stdin, capture_output=True, text=True, check=True
    ).stdout


def ensure_bulk_repo(work: Path, base: Path, count: int) -> BulkRepo:
    """A fresh copy of `base` (copied every run: cheap next to what is measured)."""
    root = work / "bulk"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(base, root, symlinks=True)
    _git(root, "config", "user.name", "promptreg bench")
    _git(root, "config", "user.email", "bench@promptreg.invalid")
    return BulkRepo(root, count)


def delete_all_tags(repo: BulkRepo) -> None:
    """Start from no tags at all (one update-ref transaction)."""
    refs = _git(repo.root, "for-each-ref", "--format=%(refname)", "refs/tags/").split()
    if refs:
        _git(repo.root, "update-ref", "--stdin", stdin="".join(f"delete {r}\n" for r in refs))


def delete_deployments(repo: BulkRepo, env: str) -> None:
    """Remove the deployment tags of `env` (promote rows start from none)."""
    refs = _git(repo.root, "for-each-ref", "--format=%(refname)", "refs/tags/prompts/").split()
    gone = [r for r in refs if f"@{env}/" in r]
    if gone:
        _git(repo.root, "update-ref", "--stdin", stdin="".join(f"delete {r}\n" for r in gone))


def plain_tag_loop(repo: BulkRepo) -> list[str]:
    """A shell loop of `git tag -a`, one per prompt: what a team would script by hand."""
    script = (
        'git ls-files -- "prompts/*.prompt" | head -n "$1" | while read -r f; do '
        f'git tag -a -m release "{PLAIN_BULK_TAGS}$f" HEAD || exit 1; done'
    )
    return ["sh", "-c", script, "sh", str(repo.count)]
