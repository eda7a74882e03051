"""Red-team: an object anyone can push is never read whole into memory."""

from __future__ import annotations

import json
import subprocess

from promptreg.registry import catfile
from promptreg.registry.gitstore import GitStore
from tests.conftest import VALID_PROMPT, Workspace, git
from tests.registry.test_deploy_trust import (
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
    history = json.dumps(json.loads(run("history", "triage", "--json").out))
    assert "prompts/triage@prod/000002" in history
    assert f"is over {catfile.MAX_OBJECT_BYTES:,} bytes" in history


def test_tag_objects_with_huge_messages_are_not_held_in_memory(deployed: Workspace, run) -> None:
    """Tag objects are read together, every tag of an environment: six pushed tags with
    30 MB messages made each read of prod hold 180 MB (a hundred: 3 GB)."""
    target = git(deployed.root, "rev-parse", "HEAD").strip()
    padding = "A" * (catfile.MAX_TAG_BYTES + 1)
    refs = []
    for seq in (2, 3):
        ref = f"prompts/triage@prod/{seq:06d}"
        body = (
            f"object {target}\ntype commit\ntag {ref}\n"
            f"tagger Eve <eve@example.com> 1795992190 +0000\n\n{padding}\n"
        )
        obj = subprocess.run(
            ["git", "hash-object", "-t", "tag", "-w", "--stdin"],
            cwd=deployed.root,
            input=body,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        git(deployed.root, "update-ref", f"refs/tags/{ref}", obj)
        refs.append(obj)
    store = GitStore(deployed.root)
    try:
        assert store.object_types(refs) == [catfile.OVERSIZE, catfile.OVERSIZE]
    finally:
        store.close()
    assert_prod_runs_the_real_deployment(deployed, run)
    assert "cannot be read" in run("history", "triage").out
