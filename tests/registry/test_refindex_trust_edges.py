"""Two ways the ref index could be trusted while it is stale, so that a long-lived registry
keeps serving an old deployment (or none) after a promotion:

- directory times come from the kernel's coarse clock, up to a tick (~4-10 ms) behind the fine
  clock the index reads when its listing begins: a tag created just after the listing began
  (and missed by it) can leave its directory dated *before* the listing;
- a prompt whose name has a `/` keeps its deployments under `prompts/<dir>/`: a first
  deployment to an environment changes that directory, not `prompts/`.
"""

from __future__ import annotations

import os
import time

from promptreg.registry import Registry
from promptreg.registry.refindex import RefIndex, loose_dirs
from tests.conftest import VALID_PROMPT, Workspace, commit, git


def _settle() -> None:
    """Past the index's margin for the coarse clock (SETTLE_NS, 50 ms): what changed before
    is older."""
    time.sleep(0.08)


def test_a_change_dated_just_before_the_listing_is_not_trusted(repo: Workspace, run):
    assert run("promote", "triage", "--to", "dev").code == 0
    _settle()
    with Registry(repo.root) as reg:
        index = RefIndex.build(reg.reader)
        assert index.trusted_for(reg.store, "triage", "dev")
        head = git(repo.root, "rev-parse", "HEAD").strip()
        git(repo.root, "tag", "-a", "-m", "by hand", "prompts/triage@dev/000002", head)
        # what the coarse clock does to a change made just after the listing began
        directory = reg.store.common_dir / "refs" / "tags" / loose_dirs("triage", "dev")[0]
        dated = index.listed_at_ns - 2_000_000  # 2 ms before the listing began
        os.utime(directory, ns=(dated, dated))
        assert not index.trusted_for(reg.store, "triage", "dev")


def test_a_first_deployment_of_a_nested_prompt_distrusts_its_entry(repo: Workspace, run):
    repo.prompt("support/reply", VALID_PROMPT.replace("You triage", "You reply to"))
    commit(repo, "add support/reply")
    for name in ("triage", "support/reply"):
        assert run("promote", name, "--to", "dev").code == 0
    _settle()
    with Registry(repo.root) as reg:
        index = RefIndex.build(reg.reader)
        assert index.trusted_for(reg.store, "support/reply", "staging")  # nothing there yet
        _settle()
        assert run("promote", "support/reply", "--to", "staging").code == 0
        assert loose_dirs("support/reply", "staging") == (
            "prompts/support/reply@staging",
            "prompts/support",
        )
        assert not index.trusted_for(reg.store, "support/reply", "staging")
        assert index.trusted_for(reg.store, "triage", "dev")  # `prompts/` itself is unchanged
