"""Packaging: the distribution's name, and what its sdist and wheel hold.

The name `promptreg` on PyPI belongs to an unrelated project, so a message or document telling
users to `pip install promptreg` (or `'promptreg[openai]'`) would install that project instead:
a dependency-confusion trap. Every such instruction names the distribution `git-promptreg`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

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


# -- what the sdist and the wheel hold ---------------------------------------------------------

# Markdown links whose target is a path (not a URL, not an anchor of the same page).
_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def test_documents_link_only_to_files_in_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text("utf-8")
        assert "../shared" not in text, doc
        for target in _LINK.findall(text):
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(ROOT), (doc.name, target)
            assert path.exists(), (doc.name, target)


def test_license_matches_the_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License\n")
    assert any(
        c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"]
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and wheel, built as `make dist` (and a package index) would."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


def test_the_sdist_holds_the_documents_and_license(built: tuple[Path, Path]):
    sdist, _ = built
    assert sdist.name.startswith("git_promptreg-")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    tracked_docs = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    expected = {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", ".pre-commit-hooks.yaml"}
    assert expected | tracked_docs | {"hooks/pre-commit", "hooks/pre-push"} <= names
    assert "promptreg/data/scaffold/hello.prompt" in names


def test_the_wheel_carries_the_metadata_and_the_package(built: tuple[Path, Path]):
    _, wheel = built
    assert wheel.name.startswith("git_promptreg-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(meta_name).decode("utf-8")
        (entry_name,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = zf.read(entry_name).decode("utf-8")
    assert "Name: git-promptreg\n" in meta
    assert "License-Expression: MIT\n" in meta
    assert "Classifier: Typing :: Typed\n" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "promptreg/py.typed" in names and "promptreg/cli/__init__.py" in names
    assert "promptreg = promptreg.cli:main" in entry_points
    assert not any(n.startswith("tests/") for n in names)
