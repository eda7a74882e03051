"""Packaging: the distribution's name, and what its sdist and wheel hold.

The name `promptreg` on PyPI belongs to an unrelated project, so a message or document telling
users to `pip install promptreg` (or `'promptreg[openai]'`) would install that project instead:
a dependency-confusion trap. Every such instruction names the distribution `git-promptreg`.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

from promptreg.cli._base import DISTRIBUTION

ROOT = Path(__file__).resolve().parent.parent

# `pip install promptreg`, `pip install -U "promptreg[openai]"`, `promptreg[dev]` in any text:
# the bare name as a requirement, not as part of `git-promptreg`.
_WRONG_REQUIREMENT = re.compile(
    r"pip\s+install(?:\s+-\S+)*\s+['\"]?promptreg\b(?!-)|(?<![\w-])promptreg\[\w"
)


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    paths = [ROOT / p for p in out.split("\0") if p]
    paths += [p for p in (ROOT / "tests").glob("*.py")]  # this branch's new files too
    texts = []
    for path in sorted(set(paths)):
        if path.suffix in {".py", ".md", ".toml", ".yaml", ".yml", ".sh", ".txt"} or (
            path.parent.name == "hooks" or path.name == "Makefile"
        ):
            texts.append(path)
    return texts


def test_the_distribution_is_named_git_promptreg_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "git-promptreg"
    # The command and the import package keep the name promptreg.
    assert project["scripts"] == {"promptreg": "promptreg.cli:main"}
    assert (
        metadata.distribution(DISTRIBUTION)
        .entry_points.select(group="console_scripts")["promptreg"]
        .value
        == "promptreg.cli:main"
    )


def test_no_message_or_document_tells_users_to_install_the_other_project():
    offenders = []
    for path in _tracked_text_files():
        if path.name in {"test_packaging.py", "CHANGELOG.md"} or not path.is_file():
            continue
        for n, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if _WRONG_REQUIREMENT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_the_trap():
    for bad in (
        "pip install promptreg",
        "pip install -U 'promptreg[openai]'",
        "needs it: pip install 'promptreg[openai]'",
        'pip install "promptreg"',
    ):
        assert _WRONG_REQUIREMENT.search(bad), bad
    for good in ("pip install git-promptreg", "pip install 'git-promptreg[openai]'"):
        assert not _WRONG_REQUIREMENT.search(good), good


def test_version_names_the_installed_distribution(run):
    result = run("--version")
    assert result.code == 0
    assert result.out.strip() == f"promptreg {metadata.version(DISTRIBUTION)}"
