"""Signed deployments with git's own ssh tag signatures, real keys made by ssh-keygen.

prod requires a signature by a key in the committed allowed-signers file: unsigned tags, tags
signed by another key, and signed tags altered afterwards are all refused, and prod keeps
running its newest deployment that verifies.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptreg.hooks.pre_push import run_pre_push
from promptreg.project.project import Project
from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import deployment_message
from tests.conftest import VALID_PROMPT, Workspace, commit, git

SIGNING = "prompts_dir: prompts\nsigning:\n  environments: [prod]\n  {key}: {file}\n"


def ssh_key(path: Path) -> str:
    """A new ssh key pair; its identity for `user.signingkey` (the private key's path)."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return str(path)


def gpg_key(name: str) -> str:
    """A new OpenPGP key in $GNUPGHOME; its fingerprint."""
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
         f"{name} <{name}@example.com>", "ed25519", "sign", "never"],
        check=True, capture_output=True,
    )  # fmt: skip
    listing = subprocess.run(
        ["gpg", "--with-colons", "--list-keys", f"{name}@example.com"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))


@pytest.fixture(params=["ssh", "gpg"])
def signed(request, repo: Workspace, run, tmp_path: Path, monkeypatch) -> Iterator[Workspace]:
    """prod requires ada's signature (ssh or OpenPGP); triage 1.0.0 deployed everywhere."""
    if request.param == "ssh":
        ada, eve = ssh_key(tmp_path / "ada"), ssh_key(tmp_path / "eve")
        public = (tmp_path / "ada.pub").read_text(encoding="utf-8").strip()
        allowed = f'ada@example.com namespaces="git" {public}\n'
        key, file = "allowed_signers", ".promptreg/allowed_signers"
        git(repo.root, "config", "gpg.format", "ssh")
    else:
        home = tmp_path / "gnupg"
        home.mkdir(mode=0o700)
        monkeypatch.setenv("GNUPGHOME", str(home))
        ada, eve = gpg_key("ada"), gpg_key("eve")
        allowed = subprocess.run(
            ["gpg", "--armor", "--export", ada], check=True, capture_output=True, text=True
        ).stdout
        key, file = "allowed_gpg_keys", ".promptreg/allowed_keys.asc"
    repo.write(file, allowed)
    repo.write("promptreg.yaml", SIGNING.format(key=key, file=file))
    commit(repo, "prod deployments must be signed by ada")
    git(repo.root, "config", "user.signingkey", ada)
    for env in ("dev", "staging", "prod"):
        result = run("promote", "triage", "--to", env)
        assert result.code == 0, result.err
    repo.ada, repo.eve, repo.allowed = ada, eve, file  # type: ignore[attr-defined]
    yield repo
    if request.param == "gpg":  # gpg started an agent for the key's home: stop it
        subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)


def prod(ws: Workspace) -> tuple[str, str]:
    with Registry(ws.root) as reg:
        p = reg.get("triage@prod")
        return p.version, p.deployment.tag


def hand_made(ws: Workspace, seq: int, *, sign_with: str | None, publish: bool = True) -> str:
    """A deployment of the working tree's HEAD to prod with promptreg's own message."""
    head = git(ws.root, "rev-parse", "HEAD").strip()
    message = deployment_message(
        action="promote",
        name="triage",
        env="prod",
        version=Project.open(ws.root).load("triage").version,
        content_hash=Project.open(ws.root).load("triage").content_hash,
        commit=head,
        path="prompts/triage.prompt",
        previous="prompts/triage@prod/000001",
        reason=None,
        forced=False,
        scores={},
    )
    tag = f"prompts/triage@prod/{seq:06d}"
    with GitStore(ws.root) as store:
        if sign_with is not None:
            git(ws.root, "config", "user.signingkey", sign_with)
        obj = store.make_tag_object(tag, head, message, sign=sign_with is not None)
        if not publish:
            return obj
        store.publish_tag(tag, obj)
    return tag


def test_only_deployments_signed_by_an_allowed_key_are_served(signed, run):
    ada = signed.ada
    assert prod(signed) == ("1.0.0", "prompts/triage@prod/000001")
    assert git(signed.root, "cat-file", "-p", "prompts/triage@prod/000001").count("SIGNATURE")
    signed.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace(
        "tickets.", "tickets!"))  # fmt: skip
    commit(signed, "1.1.0")
    assert run("promote", "triage", "--to", "dev").code == 0
    assert run("promote", "triage", "--to", "staging").code == 0

    unsigned = hand_made(signed, 2, sign_with=None)
    by_eve = hand_made(signed, 3, sign_with=signed.eve)
    good = hand_made(signed, 4, sign_with=ada)
    # signed by ada, then altered: the reason changed after signing
    altered = "prompts/triage@prod/000005"
    signed_obj = hand_made(signed, 5, sign_with=ada, publish=False)
    body = git(signed.root, "cat-file", "tag", signed_obj).replace("reason: null", "reason: x")
    altered_obj = subprocess.run(
        ["git", "mktag"], cwd=signed.root, input=body, capture_output=True, text=True, check=True
    ).stdout.strip()
    git(signed.root, "update-ref", f"refs/tags/{altered}", altered_obj)

    with Registry(signed.root) as reg:  # the newest that verifies: 000004
        assert reg.get("triage@prod").deployment.tag == good
        assert reg.get_all("prod")["triage"].deployment.tag == good
    history = json.loads(run("history", "triage", "--env", "prod", "--json").out)
    reasons = {r["tag"]: r["reason"] for r in history["rejected"]}
    assert "unsigned" in reasons[unsigned]
    assert f"signature by a key not in {signed.allowed}" in reasons[by_eve]
    assert "bad signature" in reasons[altered]
    assert [d["tag"] for d in history["deployments"]] == [good, "prompts/triage@prod/000001"]
    assert run("verify").code == 1

    project = Project.open(signed.root)
    for tag, code in ((unsigned, "PR078"), (by_eve, "PR078"), (altered, "PR078"), (good, None)):
        obj = git(signed.root, "rev-parse", tag).strip()
        report = run_pre_push(project, f"refs/tags/{tag} {obj} refs/tags/{tag} {'0' * 40}\n")
        assert [f.code for f in report.findings] == ([code] if code else []), tag

    # dev is not listed under signing: an unsigned deployment counts there
    history = json.loads(run("history", "triage", "--env", "dev", "--json").out)
    assert history["rejected"] == [] and len(history["deployments"]) == 2


def test_promote_signs_where_required_and_refuses_without_a_key(signed, run):
    git(signed.root, "config", "gpg.format", "ssh")
    git(signed.root, "config", "--unset", "user.signingkey")
    signed.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.2.0").replace(
        "tickets.", "tickets?"))  # fmt: skip
    commit(signed, "1.2.0")
    assert run("promote", "triage", "--to", "dev").code == 0  # dev: no signature needed
    assert run("promote", "triage", "--to", "staging").code == 0
    refused = run("promote", "triage", "--to", "prod")
    assert refused.code not in (0, 3)
    assert "gpg.format ssh" in refused.err and "user.signingkey" in refused.err
    assert prod(signed)[0] == "1.0.0"


def test_a_missing_allowed_signers_file_rejects_every_signed_environment_tag(signed, run):
    git(signed.root, "rm", "-q", signed.allowed)
    commit(signed, "oops")
    with Registry(signed.root) as reg, pytest.raises(Exception, match="is not committed at HEAD"):
        reg.get("triage@prod")
    history = json.loads(run("history", "triage", "--env", "prod", "--json").out)
    assert "is not committed at HEAD" in history["rejected"][0]["reason"]


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ("{environments: [qa], allowed_signers: a}", "'qa' is not one of the environments"),
        ("{environments: [prod]}", "needs `allowed_signers`"),
        ("{environments: [prod], allowed_signers: ../a}", "plain relative path"),
        ("{keys: []}", "unknown key"),
    ],
)
def test_signing_config_is_checked(ws: Workspace, run, signing, message):
    ws.write("promptreg.yaml", f"prompts_dir: prompts\nsigning: {signing}\n")
    ws.prompt("triage")
    result = run("list")
    assert result.code == 2 and message in result.err


def test_get_all_verifies_many_signatures_side_by_side(signed, run):
    for name in ("other", "third"):
        signed.prompt(name, VALID_PROMPT.replace("You triage tickets.", f"You are {name}."))
    commit(signed, "two more prompts")
    for name in ("other", "third"):
        for env in ("dev", "staging", "prod"):
            assert run("promote", name, "--to", env).code == 0
    unsigned = hand_made(signed, 2, sign_with=None)  # triage: unsigned on top of a signed one
    with Registry(signed.root) as reg:
        everything = reg.get_all("prod")
        assert sorted(everything) == ["other", "third", "triage"]
        assert {p.deployment.seq for p in everything.values()} == {1}
        rejected = reg.deployment_log("triage", "prod").rejected
        assert [r.tag for r in rejected] == [unsigned] and rejected[0].signature_problem
