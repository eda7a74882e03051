"""The trust logic that keeps the registry's caches from serving a stale deployment: the ref
index (refindex.py) is trusted for a (prompt, env) only while packed-refs and that entry's
loose-ref directories are unchanged since the listing began, and a cached answer only while
`refs_stamp` of those directories is the same. Real repositories, real tags."""

from __future__ import annotations

import os
import time

import pytest

from promptreg.registry import Registry
from promptreg.registry.gitstore import SETTLE_NS
from promptreg.registry.refindex import RefIndex, loose_dirs
from tests.conftest import Workspace, bump, commit, git


def _after_a_tick() -> None:
    """Directory mtimes come from a coarse clock (a tick of up to 10 ms behind the fine one
    the index reads): wait past one so that a change made next is dated after it."""
    time.sleep(0.03)


def _settled() -> None:
    """Wait until the ref directories changed so far are past `SETTLE_NS`: what a stamp or
    the index can vouch for only then."""
    time.sleep(SETTLE_NS / 1e9 + 0.02)


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
    _settled()
    return repo


def test_the_index_is_trusted_until_a_tag_of_that_entry_appears(deployed: Workspace):
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
        _settled()
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


# -- a coarse clock ------------------------------------------------------------------------------
# A directory's mtime is taken from the kernel's coarse clock, up to a tick (1-10 ms) behind
# the fine one `time.time_ns()` reads. A tag added within that tick leaves the mtime where it
# was (and a directory's size and inode too), so "unchanged since" cannot be proven for a
# directory changed that recently. Simulated here by setting the mtime back as the coarse
# clock would have left it.


def _add_tag(repo: Workspace, tag: str, directory: str, mtime_ns: int) -> None:
    """Add `tag`, leaving its directory's mtime at `mtime_ns` (as a coarse clock may)."""
    head = git(repo.root, "rev-parse", "HEAD").strip()
    git(repo.root, "tag", "-a", "-m", "by hand", tag, head)
    path = repo.root / ".git" / "refs" / "tags" / directory
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_stamp_of_a_directory_changed_a_moment_ago_proves_nothing(deployed: Workspace):
    with Registry(deployed.root) as reg:
        dirs = loose_dirs("triage", "dev")
        tick = time.time_ns() - 1_000_000  # the coarse clock, a little behind
        _add_tag(deployed, "prompts/triage@dev/000002", dirs[0], tick)
        first = reg.store.refs_stamp(*dirs)  # taken right after that change
        _add_tag(deployed, "prompts/triage@dev/000003", dirs[0], tick)  # the same tick
        assert reg.store.refs_stamp(*dirs) != first
        _settled()
        settled = reg.store.refs_stamp(*dirs)
        assert reg.store.refs_stamp(*dirs) == settled  # stable again once the clock moved on


def test_the_index_distrusts_a_directory_changed_just_before_the_listing(deployed: Workspace):
    with Registry(deployed.root) as reg:
        index = RefIndex.build(reg.reader)
        dirs = loose_dirs("triage", "dev")
        path = deployed.root / ".git" / "refs" / "tags" / dirs[0]
        head = git(deployed.root, "rev-parse", "HEAD").strip()
        git(deployed.root, "tag", "-a", "-m", "by hand", "prompts/triage@dev/000002", head)
        coarse = index.listed_at_ns - 1_000_000  # dated 1 ms before the listing began
        os.utime(path, ns=(coarse, coarse))
        assert not index.trusted_for(reg.store, "triage", "dev")


def test_a_working_tree_prompt_saved_twice_in_one_tick_is_served_as_last_saved(repo: Workspace):
    """A bare `get("name")` serves the working tree and re-checks the file's mtime: the same
    coarse clock, the same rule."""
    path = repo.prompts / "triage.prompt"
    text = path.read_text(encoding="utf-8")
    with Registry(repo.root, refresh=0) as reg:
        tick = time.time_ns() - 1_000_000
        path.write_text(text.replace("version: 1.0.0", "version: 1.0.1"), encoding="utf-8")
        os.utime(path, ns=(tick, tick))
        assert reg.get("triage").version == "1.0.1"
        path.write_text(text.replace("version: 1.0.0", "version: 1.0.2"), encoding="utf-8")
        os.utime(path, ns=(tick, tick))  # saved again within the same tick
        assert reg.get("triage").version == "1.0.2"
        _settled()
        kept = reg.get("triage")
        assert reg.get("triage") is kept  # settled: unchanged, kept
