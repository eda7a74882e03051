"""The site's cache between runs (site/cache.py): never a different site than a build
from scratch, tampering with the output or the cache is noticed, and the cache is used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from promptreg.registry.runtime import Registry
from promptreg.site import generate
from promptreg.site.cache import SiteCache
from promptreg.site.read import collect
from tests.conftest import Result, Workspace, bump, commit
from tests.site_support import build_site_repo


@pytest.fixture
def site_repo(repo: Workspace, run: Callable[..., Result]) -> Workspace:
    build_site_repo(repo, run)
    return repo


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _same_as_from_scratch(root: Path, out: Path, tmp: Path) -> None:
    generate(Registry(root), out)
    fresh = tmp / "fresh"
    generate(Registry(root), fresh, cache=False)
    assert _files(out) == _files(fresh)


def test_cached_runs_build_what_a_run_from_scratch_builds(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    generate(Registry(site_repo.root), out)
    steps: list[Callable[[], object]] = [
        lambda: run("promote", "summarize", "--to", "staging"),
        lambda: site_repo.write("prompts/partials/tone.j2", "Be very brief.\n"),
        lambda: bump(site_repo, "summarize", "1.0.1", ("Classify a ticket", "Sort a ticket")),
        lambda: commit(site_repo, "summarize 1.0.1"),
        lambda: run("release", "summarize"),
    ]
    for step in steps:
        step()
        _same_as_from_scratch(site_repo.root, out, tmp_path / f"s{steps.index(step)}")


def test_unchanged_pages_are_not_rebuilt(site_repo: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "site"
    registry = Registry(site_repo.root)
    generate(registry, out)
    cache = SiteCache.open(registry, out, None)
    assert cache.enabled and cache.verdicts
    data = collect(Registry(site_repo.root), cache, out)
    rebuilt = sorted(p.name for p in data.prompts if p.detail is not None)
    assert rebuilt == ["support/triage"]  # it has evals: its freshness reads other files


def test_a_page_changed_in_the_output_is_rebuilt(site_repo: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "site"
    generate(Registry(site_repo.root), out)
    page = out / "prompts" / "summarize.html"
    good = page.read_bytes()
    page.write_bytes(b"<p>defaced</p>")
    generate(Registry(site_repo.root), out)
    assert page.read_bytes() == good


def test_a_cache_that_does_not_verify_is_ignored(site_repo: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "site"
    registry = Registry(site_repo.root)
    generate(registry, out)
    cache = SiteCache.open(registry, out, None)
    assert cache.path is not None
    data = cache.path.read_bytes()
    forged = data.replace(b'"reason":"hotfix', b'"reason":"FORGED')
    assert forged != data
    cache.path.write_bytes(forged)
    assert not SiteCache.open(Registry(site_repo.root), out, None).verdicts
    _same_as_from_scratch(site_repo.root, out, tmp_path)
    assert b"FORGED" not in b"".join(_files(out).values())
