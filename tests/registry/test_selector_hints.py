"""What a selector that matches nothing says: what exists, never a misleading next step.
Through the real CLI on a real git repository."""

from __future__ import annotations

from tests.conftest import Workspace, bump, commit


def test_an_unknown_version_never_suggests_releasing_a_released_one(repo: Workspace, run):
    assert run("release", "triage").code == 0
    result = run("render", "triage@9.9.9", "--sample")
    assert result.code == 2
    assert "triage has no released version 9.9.9. Released: 1.0.0" in result.err
    assert "promptreg release" not in result.err  # 1.0.0, the tree's version, is released


def test_an_unknown_version_suggests_releasing_the_trees_unreleased_one(repo: Workspace, run):
    assert run("release", "triage").code == 0
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage."))
    commit(repo, "1.1")
    result = run("render", "triage@9.9.9", "--sample")
    assert result.code == 2
    assert "the working tree has 1.1.0, not released yet: `promptreg release triage`" in result.err


def test_an_unknown_name_with_an_environment_is_no_prompt_named(repo: Workspace, run):
    for selector in ("support/nope@prod", "support/nope@9.9.9", "support/nope@nonsense"):
        result = run("render", selector)
        assert result.code == 2
        assert "no prompt named 'support/nope'" in result.err, selector
        assert "never been deployed" not in result.err
    misspelt = run("render", "triag@prod")
    assert misspelt.code == 2 and "did you mean triage?" in misspelt.err


def test_a_known_name_never_deployed_still_says_so(repo: Workspace, run):
    result = run("render", "triage@prod")
    assert result.code == 2 and "triage has never been deployed to prod" in result.err


def test_a_nonsense_ref_lists_what_exists(repo: Workspace, run):
    run("promote", "triage", "--to", "dev")
    result = run("render", "triage@nonsense")
    assert result.code == 2
    assert "'nonsense' is neither an environment (dev, staging, prod)" in result.err
    assert "Deployed: dev 1.0.0; staging —; prod —. Released versions: 1.0.0." in result.err
