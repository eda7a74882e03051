"""The trust logic that keeps the registry's caches from serving a stale deployment: the ref
index (refindex.py) is trusted for a (prompt, env) only while packed-refs and that entry's
loose-ref directories are unchanged since the listing began, and a cached answer only while
`refs_stamp` of those directories is the same. Real repositories, real tags."""

from __future__ import annotations

import time

import pytest

from promptreg.registry import Registry
from promptreg.registry.refindex import RefIndex, loose_dirs
from tests.conftest import Workspace, bump, commit, git


def _after_a_tick() -> None:
    """Directory mtimes come from a coarse clock (a tick of up to 10 ms behind the fine one
    the index reads): wait past one, and past the index's margin for it (20 ms), so that a
    change made next is dated after it and one made before is trusted."""
    time.sleep(0.03)


def _promote(run, name: str, env: str) -> None:
    result = run("promote", name, "--to", env)
    assert result.code == 0, result.err


@pytest.fixture
def deployed(repo: Workspace, run) -> Workspace:
    """triage and other, each released and deployed to dev."""
    repo.prompt("other")
    commit(repo, "add other")
    for name in ("triage", "other"):
        _promote(run, name, "dev")
    return repo


def test_the_index_is_trusted_until_a_tag_of_that_entry_appears(deployed: Workspace):
    _after_a_tick()  # what was just deployed is not trusted: it may be dated before the listing
    with Registry(deployed.root) as reg:
        index = RefIndex.build(reg.reader)
        assert [c.ref for c in index.groups[("triage", "dev")]] == ["prompts/triage@dev/000001"]
        assert index.trusted_for(reg.store, "triage", "dev")
        assert index.trusted_for(reg.store, "other", "dev")
        _after_a_tick()
        head = git(deployed.root, "rev-parse", "HEAD").strip()
        git(deployed.root, "tag", "-a", "-m", "by hand", "prompts/triage@dev/000002", head)
        assert not index.trusted_for(reg.store, "triage", "dev")
        assert index.trusted_for(reg.store, "other", "dev")  # its directories did not change


def test_a_first_deployment_to_an_environment_distrusts_the_entry(deployed: Workspace):
    _after_a_tick()
    with Registry(deployed.root) as reg:
        index = RefIndex.build(reg.reader)
        assert ("triage", "staging") not in index.groups
        assert index.trusted_for(reg.store, "triage", "staging")  # nothing there, nothing since
        _after_a_tick()
        head = git(deployed.root, "rev-parse", "HEAD").strip()
        git(deployed.root, "tag", "-a", "-m", "by hand", "prompts/triage@staging/000001", head)
        # the new directory's parent changed: every entry under it is re-listed
        assert loose_dirs("triage", "staging") == ("prompts/triage@staging", "prompts")
        assert not index.trusted_for(reg.store, "triage", "staging")


def test_packing_the_refs_distrusts_every_entry(deployed: Workspace):
    with Registry(deployed.root) as reg:
        index = RefIndex.build(reg.reader)
        git(deployed.root, "pack-refs", "--all")
        assert not index.trusted_for(reg.store, "triage", "dev")
        assert not index.trusted_for(reg.store, "other", "dev")
        rebuilt = RefIndex.build(reg.reader)
        assert rebuilt.groups.keys() == index.groups.keys()  # packed, the same refs
        assert rebuilt.trusted_for(reg.store, "triage", "dev")


def test_refs_stamp_changes_with_the_refs_of_its_directories_only(deployed: Workspace):
    with Registry(deployed.root) as reg:
        store = reg.store
        dirs = loose_dirs("triage", "dev")
        before = store.refs_stamp(*dirs)
        assert store.refs_stamp(*dirs) == before  # a stamp is stable while nothing changes
        assert before[0] is None  # no packed-refs yet
        other = store.refs_stamp(*loose_dirs("other", "dev"))
        _after_a_tick()
        head = git(deployed.root, "rev-parse", "HEAD").strip()
        git(deployed.root, "tag", "-a", "-m", "by hand", "prompts/triage@dev/000002", head)
        assert store.refs_stamp(*dirs) != before
        assert store.refs_stamp(*loose_dirs("other", "dev")) == other


def test_a_long_lived_registry_serves_each_new_deployment(deployed: Workspace, run):
    """What the trust logic is for: with `refresh=0`, every `get` re-checks, and a promotion
    made by another process is served at once, through the index as through the stamps."""
    with Registry(deployed.root, refresh=0) as reg:
        assert reg.get("triage@dev").version == "1.0.0"
        assert reg.get("other@dev").version == "1.0.0"  # a second prompt: the index is built
        for version in ("1.1.0", "1.2.0"):
            _after_a_tick()
            bump(deployed, "triage", version, ("You triage", f"You triage ({version})"))
            commit(deployed, f"triage {version}")
            _promote(run, "triage", "dev")
            assert reg.get("triage@dev").version == version
            assert reg.get("other@dev").version == "1.0.0"
        assert reg.get("triage@dev").deployment.seq == 3  # type: ignore[union-attr]
