"""The runtime API: Registry.get with every kind of selector, refresh, bundles, fallbacks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from promptreg.errors import BundleError, PromptNotFoundError, UsageError
from promptreg.registry import Registry
from promptreg.registry.gitstore import SETTLE_NS
from tests.conftest import VALID_PROMPT, Workspace, commit, git


def release_and_promote(run, *envs: str) -> None:
    for env in envs:
        result = run("promote", "triage", "--to", env)
        assert result.code == 0, result.err


def new_version(ws: Workspace, version: str, text: str) -> str:
    ws.prompt(
        "triage",
        VALID_PROMPT.replace("version: 1.0.0", f"version: {version}").replace(
            "You triage tickets.", text
        ),
    )
    return commit(ws, version)


@pytest.fixture
def two_versions(repo: Workspace, run) -> Workspace:
    """1.0.0 in dev, staging and prod; 1.1.0 committed, released and in dev only."""
    release_and_promote(run, "dev", "staging", "prod")
    new_version(repo, "1.1.0", "You triage tickets, fast.")
    release_and_promote(run, "dev")
    return repo


def system_text(prompt) -> str:
    return prompt.render(ticket="t")[0]["content"]


def test_selectors_of_every_kind(two_versions: Workspace):
    ws = two_versions
    first = git(ws.root, "rev-parse", "HEAD~1").strip()
    with Registry(ws.root) as reg:
        assert reg.get("triage@prod").version == "1.0.0"
        assert reg.get("triage@dev").version == "1.1.0"
        assert reg.get("triage@1.0.0").version == "1.0.0"
        assert reg.get("triage@v1.1.0").version == "1.1.0"
        assert reg.get("triage@HEAD~1").version == "1.0.0"
        assert reg.get(f"triage@{first}").revision == first
        assert reg.get(f"triage@{first[:8]}").version == "1.0.0"
        assert reg.get("triage@main").version == "1.1.0"
        assert reg.get("triage").version == "1.1.0"  # the working tree
        prod = reg.get("triage@prod")
        assert prod.deployment is not None
        assert prod.deployment.tag == "prompts/triage@prod/000001"
        assert prod.deployment.env == "prod"
        assert prod.revision == first
        assert system_text(prod) == "You triage tickets. Be brief."


@pytest.mark.parametrize(
    ("selector", "error", "message"),
    [
        (
            "triage@prod",
            PromptNotFoundError,
            "never been deployed to prod. Deployed: dev 1.0.0; staging —; prod —. Released versions: 1.0.0.",
        ),
        ("triage@2.0.0", PromptNotFoundError, "no released version 2.0.0. Released: 1.0.0"),
        (
            "triage@nonsense",
            PromptNotFoundError,
            "neither an environment (dev, staging, prod), a released version, nor a git "
            "revision of this repository. Deployed: dev 1.0.0; staging —; prod —. "
            "Released versions: 1.0.0.",
        ),
        ("triage@HEAD~5", PromptNotFoundError, "neither an environment"),
        ("other@dev", PromptNotFoundError, "no prompt named 'other'"),  # not "never deployed"
        ("Bad@dev", UsageError, "invalid name segment"),
        ("triage@", UsageError, "nothing after `@`"),
    ],
)
def test_a_selector_that_matches_nothing_says_what_exists(
    repo: Workspace, run, selector, error, message
):
    release_and_promote(run, "dev")
    with Registry(repo.root) as reg, pytest.raises(error) as caught:
        reg.get(selector)
    assert message in str(caught.value)


def test_a_new_promotion_is_seen_after_refresh_without_a_restart(two_versions: Workspace, run):
    with Registry(two_versions.root, refresh=0.3) as reg:
        assert reg.get("triage@prod").version == "1.0.0"
        release_and_promote(run, "staging", "prod")
        assert reg.get("triage@prod").version == "1.0.0"  # cached within the refresh interval
        time.sleep(0.35)
        fresh = reg.get("triage@prod")
        assert fresh.version == "1.1.0"
        assert fresh.deployment is not None and fresh.deployment.seq == 2


def test_an_unchanged_entry_is_re_checked_cheaply_and_kept(two_versions: Workspace):
    time.sleep(SETTLE_NS / 1e9 + 0.02)  # refs changed a moment ago prove nothing (gitstore.py)
    with Registry(two_versions.root, refresh=0.0) as reg:
        first = reg.get("triage@prod")
        assert reg.get("triage@prod") is first  # stamp unchanged: same object, no re-listing


def test_promptreg_env_names_the_default_environment(two_versions: Workspace, monkeypatch):
    monkeypatch.setenv("PROMPTREG_ENV", "prod")
    with Registry(two_versions.root) as reg:
        assert reg.get("triage").version == "1.0.0"
    monkeypatch.setenv("PROMPTREG_ENV", "production")
    with (
        Registry(two_versions.root) as reg,
        pytest.raises(UsageError, match="PROMPTREG_ENV 'production'"),
    ):
        reg.get("triage")


def test_get_all(two_versions: Workspace, run):
    ws = two_versions
    ws.prompt("other", VALID_PROMPT.replace("You triage tickets.", "Other."))
    commit(ws, "other")
    assert run("promote", "other", "--to", "dev").code == 0
    with Registry(ws.root) as reg:
        dev = reg.get_all("dev")
        assert sorted(dev) == ["other", "triage"]
        assert dev["triage"].version == "1.1.0"
        assert system_text(dev["other"]) == "Other. Be brief."
        assert sorted(reg.get_all("prod")) == ["triage"]
        with pytest.raises(UsageError):
            reg.get_all("qa")


def test_registry_ignores_git_dir_from_a_hook(two_versions: Workspace, tmp_path: Path, monkeypatch):
    """Inside a git hook GIT_DIR points at the hook's repository; a Registry opened on an
    explicit path must still read its own."""
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    with Registry(two_versions.root) as reg:
        assert reg.get("triage@prod").version == "1.0.0"


def test_thread_safe_gets(two_versions: Workspace):
    from concurrent.futures import ThreadPoolExecutor

    with Registry(two_versions.root, refresh=0.0) as reg:
        selectors = ["triage@prod", "triage@dev", "triage@1.0.0", "triage@HEAD"] * 50
        with ThreadPoolExecutor(8) as pool:
            versions = list(pool.map(lambda s: reg.get(s).version, selectors))
    assert versions == ["1.0.0", "1.1.0", "1.0.0", "1.1.0"] * 50


# -- bundles -----------------------------------------------------------------------------------


def test_bundle_round_trip(two_versions: Workspace, run, tmp_path: Path):
    out = tmp_path / "prompts.lock.json"
    result = run("export", "--env", "dev", "-o", str(out))
    assert result.code == 0, result.err
    bundle = Registry.from_bundle(out)
    prompt = bundle.get("triage")
    assert prompt.version == "1.1.0"
    assert bundle.get("triage@dev") is prompt
    assert bundle.get("triage@1.1.0") is prompt
    with Registry(two_versions.root) as reg:
        live = reg.get("triage@dev")
        assert prompt.content_hash == live.content_hash
        assert prompt.render(ticket="x") == live.render(ticket="x")
        assert prompt.deployment is not None and live.deployment is not None
        assert prompt.deployment.tag == live.deployment.tag
    assert sorted(bundle.get_all("dev")) == ["triage"]
    with pytest.raises(PromptNotFoundError, match="holds only what dev runs"):
        bundle.get("triage@prod")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("You triage tickets, fast.", "You approve every refund."),  # the body
        ("Be brief.", "Be rude."),  # a partial
        ("My invoice is wrong", "My invoice is right"),  # the sample: not in the content hash
        ("max_chars: 200", "max_chars: 2000000"),  # an input limit
    ],
)
def test_a_tampered_bundle_is_refused(two_versions: Workspace, run, tmp_path: Path, old, new):
    out = tmp_path / "prompts.lock.json"
    run("export", "--env", "dev", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert old in text
    out.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(BundleError, match="modified after export"):
        Registry.from_bundle(out)


def test_a_bundle_that_is_not_one(tmp_path: Path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    with pytest.raises(BundleError, match="not a promptreg bundle"):
        Registry.from_bundle(bad)
    with pytest.raises(BundleError, match="not found"):
        Registry.from_bundle(tmp_path / "missing.json")


def test_fallback_bundle_serves_when_git_is_unavailable(
    two_versions: Workspace, run, tmp_path: Path
):
    out = tmp_path / "prompts.lock.json"
    run("export", "--env", "prod", "-o", str(out))
    no_git = tmp_path / "deployed-app"
    no_git.mkdir()
    with pytest.raises(Exception, match="not inside a git repository"):
        Registry(no_git)
    reg = Registry(no_git, fallback=out)
    assert reg.get("triage@prod").version == "1.0.0"
    assert sorted(reg.get_all("prod")) == ["triage"]


def test_a_bare_clone_serves_the_registry_with_its_committed_config(
    repo: Workspace, run, tmp_path: Path
):
    """A deploy target may hold only a bare clone: no working tree, so the environments come
    from promptreg.yaml as committed at HEAD."""
    repo.write("promptreg.yaml", "prompts_dir: prompts\nenvironments: [dev, qa, prod]\n")
    commit(repo, "environments")
    assert run("promote", "triage", "--to", "dev").code == 0
    assert run("promote", "triage", "--to", "qa").code == 0
    bare = tmp_path / "deployed.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(bare))
    git(repo.root, "push", "-q", "--tags", str(bare))
    with Registry(bare) as reg:
        assert reg.environments == ("dev", "qa", "prod")
        qa = reg.get("triage@qa")
        assert qa.version == "1.0.0"
        assert qa.deployment is not None and qa.deployment.tag == "prompts/triage@qa/000001"
        assert system_text(qa) == "You triage tickets. Be brief."
        assert sorted(reg.get_all("qa")) == ["triage"]
        assert reg.get("triage@1.0.0").content_hash == qa.content_hash
    assert not (bare / ".promptreg").exists()  # its cache lives in the git directory
