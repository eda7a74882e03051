"""Red-team: an object anyone can push is never read whole into memory."""

from __future__ import annotations

import json

from promptreg.registry import catfile
from promptreg.registry.gitstore import GitStore
from tests.conftest import VALID_PROMPT, Workspace, git
from tests.test_deploy_trust import (
    assert_prod_runs_the_real_deployment,
    deployed,
    unreviewed_commit,
)

assert deployed  # a fixture

HUGE = catfile.MAX_OBJECT_BYTES + 1024


def test_a_huge_prompt_behind_a_forged_tag_is_not_read(deployed: Workspace, run) -> None:
    """A commit whose prompt is 400 MB of one letter packs to a few hundred KB; a tag naming
    it made `get('triage@prod')` read it whole (3.5 GB, 100 s) to find it does not count."""
    text = VALID_PROMPT + "A" * HUGE + "\n"
    evil = unreviewed_commit(deployed, text)
    real = "prompts/triage@prod/000001"
    message = git(deployed.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{real}")
    real_commit = git(deployed.root, "rev-parse", f"{real}^{{commit}}").strip()
    git(
        deployed.root,
        "tag",
        "-a",
        "prompts/triage@prod/000002",
        evil,
        "-m",
        message.replace(real_commit, evil),
    )
    store = GitStore(deployed.root)
    try:
        assert store.object_types([f"{evil}:prompts/triage.prompt"]) == [catfile.OVERSIZE]
        assert store.read(evil, "prompts/triage.prompt") is None
        assert store.read(evil, "prompts/partials/tone.j2") == b"Be brief.\n"  # reads go on
    finally:
        store.close()
    assert_prod_runs_the_real_deployment(deployed, run)
    history = json.loads(run("history", "triage", "--json").out)
    assert "prompts/triage@prod/000002" in json.dumps(history)
