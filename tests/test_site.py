"""`promptreg site`: the pages, their escaping, determinism and the atomic, incremental
write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, Workspace
from tests.site_support import XSS, build_site_repo


@pytest.fixture
def site_repo(repo: Workspace, run: Callable[..., Result]) -> Workspace:
    build_site_repo(repo, run)
    return repo


def test_generates_every_page_kind(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = run("--debug", "site", "-o", str(out))
    assert result.code == 0, result.err
    for page in (
        "index.html",
        "environments.html",
        "audit.html",
        "prompts/support/triage.html",
        "prompts/summarize.html",
        "assets/site.css",
        "assets/site.js",
    ):
        assert (out / page).is_file(), page
    assert XSS not in "".join(p.read_text() for p in out.rglob("*.html"))
