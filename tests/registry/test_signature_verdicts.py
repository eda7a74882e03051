"""The read model's verdicts where `signing:` requires a signature (ssh keys made here by
ssh-keygen): two signed deployments judged at once both count, and a tag refused only for
its signature is still reported with who made it and when (the audit record)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from tests.conftest import VALID_PROMPT, Workspace, commit, git

DEV = "prompts/triage@dev/"


def _key(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return str(path)


@pytest.fixture
def signed_dev(repo: Workspace, run, tmp_path: Path) -> Workspace:
    """dev requires ada's signature; triage 1.0.0 and 1.1.0 deployed there, signed by her."""
    ada, eve = _key(tmp_path / "ada"), _key(tmp_path / "eve")
    public = Path(ada + ".pub").read_text(encoding="utf-8").strip()
    repo.write(".promptreg/allowed_signers", f'ada@example.com namespaces="git" {public}\n')
    repo.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nsigning:\n  environments: [dev]\n"
        "  allowed_signers: .promptreg/allowed_signers\n",
    )
    commit(repo, "dev deployments must be signed by ada")
    git(repo.root, "config", "gpg.format", "ssh")
    git(repo.root, "config", "user.signingkey", ada)
    assert run("promote", "triage", "--to", "dev").code == 0
    repo.prompt("triage", VALID_PROMPT.replace("1.0.0", "1.1.0").replace("tickets.", "tickets!"))
    commit(repo, "1.1.0")
    assert run("promote", "triage", "--to", "dev").code == 0
    repo.eve = eve  # type: ignore[attr-defined]
    return repo


def test_two_signed_deployments_judged_together_both_count(signed_dev: Workspace, run):
    history = json.loads(run("history", "triage", "--env", "dev", "--json").out)
    assert [d["tag"] for d in history["deployments"]] == [f"{DEV}000002", f"{DEV}000001"]
    assert history["rejected"] == []
    with Registry(signed_dev.root) as reg:
        assert reg.get("triage@dev").deployment.tag == f"{DEV}000002"


def test_a_tag_refused_for_its_signature_keeps_its_tagger_and_date(signed_dev: Workspace, run):
    message = git(signed_dev.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{DEV}000002")
    git(signed_dev.root, "config", "user.signingkey", signed_dev.eve)  # type: ignore[attr-defined]
    head = git(signed_dev.root, "rev-parse", "HEAD").strip()
    tag = f"{DEV}000003"
    with GitStore(signed_dev.root) as store:
        store.publish_tag(tag, store.make_tag_object(tag, head, message, sign=True))
    history = json.loads(run("history", "triage", "--env", "dev", "--json").out)
    (rejected,) = history["rejected"]
    assert rejected["tag"] == tag and "signature by a key not in" in rejected["reason"]
    assert rejected["tagger"] == "Ada Promoter <ada@example.com>"
    assert rejected["date"].startswith(git(signed_dev.root, "log", "-1", "--format=%cs").strip())
    assert history["deployments"][0]["tag"] == f"{DEV}000002"
