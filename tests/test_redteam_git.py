"""Red-team cases for the deployment read model, the pre-push hook and the prompt files on
disk, each first seen getting through (see the commit that added it). Real repositories, real
git, hand-made objects as an attacker with push access would make them."""

from __future__ import annotations

import json
import subprocess

from promptreg.registry import Registry
from tests.conftest import VALID_PROMPT, commit, git
from tests.test_deploy_trust import deployed  # noqa: F401 (a fixture)

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")


def test_a_squatter_at_the_largest_seq_does_not_stop_deployments(deployed, run):  # noqa: F811
    """A lightweight (rejected) tag at seq 999999999999 made the next seq 13 digits long: a
    name the read model rejects, so `promote` said "promoted" and prod never changed again."""
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    git(deployed.root, "tag", "prompts/triage@prod/999999999999", head)
    git(deployed.root, "tag", "prompts/triage@prod/000002", head)  # a taken name is skipped
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0
    with Registry(deployed.root) as reg:
        current = reg.get("triage@prod")
        assert (current.version, current.deployment.tag) == ("1.1.0", "prompts/triage@prod/000003")


def test_no_seq_left_is_an_error_not_a_tag_that_cannot_count(deployed, run):  # noqa: F811
    """A *valid* deployment at the largest seq leaves no canonical name above it: promote
    refuses, rather than write a tag that would never count."""
    message = git(
        deployed.root,
        "for-each-ref",
        "--format=%(contents)",
        "refs/tags/prompts/triage@prod/000001",
    )
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    proc = subprocess.run(
        ["git", "tag", "-a", "-F", "-", "prompts/triage@prod/999999999999", head],
        cwd=deployed.root,
        input=message.replace("prod/000001", "x"),
        text=True,
        check=True,
    )
    assert proc.returncode == 0
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    for env in ("dev", "staging"):
        assert run("promote", "triage", "--to", env).code == 0
    result = run("promote", "triage", "--to", "prod")
    assert result.code == 1 and "no deployment seq is left" in result.err
    assert git(deployed.root, "tag", "-l", "prompts/triage@prod/1*") == ""
    history = json.loads(run("history", "triage", "--env", "prod", "--json").out)
    assert history["deployments"][0]["seq"] == 999999999999
