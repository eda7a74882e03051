"""Red-team cases for the deployment read model, the pre-push hook and the prompt files on
disk, each first seen getting through (see the commit that added it). Real repositories, real
git, hand-made objects as an attacker with push access would make them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import PromptregError
from promptreg.hooks.pre_push import run_pre_push
from promptreg.project.project import Project
from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import deployment_message, release_message
from tests.conftest import VALID_PROMPT, Workspace, commit, git
from tests.hooks.test_hooks_git import EVALS, git_run, install
from tests.registry.test_deploy_signing import signed  # noqa: F401 (a fixture)
from tests.registry.test_deploy_trust import EVIL, deployed  # noqa: F401 (a fixture)

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")


def test_a_squatter_at_the_largest_seq_does_not_stop_deployments(deployed, run):  # noqa: F811
    """A lightweight (rejected) tag at seq 999999999999 made the next seq 13 digits long: a
    name the read model rejects, so `promote` said "promoted" and prod never changed again."""
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    git(deployed.root, "tag", "prompts/triage@prod/999999999999", head)
    git(deployed.root, "tag", "prompts/triage@prod/000002", head)  # a taken name is skipped
    git(deployed.root, "tag", "prompts/triage@prod/000003/x", head)  # so is a name under one
    deployed.prompt("triage", V110)
    commit(deployed, "1.1.0")
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0
    with Registry(deployed.root) as reg:
        current = reg.get("triage@prod")
        assert (current.version, current.deployment.tag) == ("1.1.0", "prompts/triage@prod/000004")


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


def _gated_repo(repo: Workspace) -> Path:
    """`repo` with a remote, the hooks installed, and a committed triage whose recorded
    scores are stale (its gate fails)."""
    remote = repo.root.parent / "remote.git"
    git(repo.root.parent, "init", "-q", "--bare", str(remote))
    git(repo.root, "remote", "add", "origin", str(remote))
    repo.write("evals/triage.jsonl", '{"inputs": {"ticket": "x"}, "expected": "y"}\n')
    repo.prompt("triage", VALID_PROMPT.replace("---\nsystem:", EVALS + "---\nsystem:"))
    commit(repo, "stale scores")
    assert install(repo).returncode == 0
    assert git_run(repo.root, "push", "-q", "origin", "main").returncode == 0
    return remote


def _hand_made(repo: Workspace, tag: str, **fields: object) -> None:
    head = git(repo.root, "rev-parse", "HEAD").strip()
    name, _, env = tag.removeprefix("prompts/").partition("@")
    values: dict[str, Any] = {
        "action": "promote",
        "name": name,
        "env": env.partition("/")[0],
        "version": "1.0.0",
        "content_hash": Project.open(repo.root).load("triage").content_hash,
        "commit": head,
        "path": "prompts/triage.prompt",
        "previous": None,
        "reason": None,
        "forced": False,
        "scores": {"accuracy": 0.95},
    }
    values.update(fields)
    with GitStore(repo.root) as store:
        store.create_tag(tag, head, deployment_message(**values))


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "rollback"},  # a "rollback" to content dev never ran
        {"forced": True},  # an override that gives no reason
        {"forced": True, "reason": "  "},
    ],
)
def test_a_message_claiming_an_override_does_not_skip_the_gate(repo: Workspace, fields):
    """The hook let any tag saying `action: rollback` or `forced: true` through ungated: a
    hand-made "rollback" shipped an unreviewed, failing prompt to the remote."""
    remote = _gated_repo(repo)
    _hand_made(repo, "prompts/triage@dev/000001", **fields)
    refused = git_run(repo.root, "push", "origin", "prompts/triage@dev/000001")
    assert refused.returncode != 0
    assert "PR075 the evals gate fails" in refused.stdout + refused.stderr
    assert git(remote, "tag", "--list") == ""


def test_a_real_rollback_and_a_reasoned_override_still_pass(repo: Workspace, run):
    remote = _gated_repo(repo)
    assert run("promote", "triage", "--to", "dev", "--force", "--reason", "hotfix").code == 0
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    assert run("promote", "triage", "--to", "dev").code == 0
    assert run("rollback", "triage", "--env", "dev", "--reason", "tone").code == 0
    pushed = git_run(repo.root, "push", "origin", "--tags")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "prompts/triage@dev/000003" in git(remote, "tag", "--list")


def test_pushing_a_deletion_or_a_move_of_a_deployment_tag_is_refused(deployed, run):  # noqa: F811
    """A deletion skipped every check: `git push origin :refs/tags/prompts/t@prod/000001`
    silently returned prod to what ran before, with no record of why."""
    remote = deployed.root.parent / "remote.git"
    git(deployed.root.parent, "init", "-q", "--bare", str(remote))
    git(deployed.root, "remote", "add", "origin", str(remote))
    assert git_run(deployed.root, "push", "-q", "origin", "main", "--tags").returncode == 0
    assert install(deployed).returncode == 0
    for tag in ("prompts/triage@prod/000001", "prompts/triage@v1.0.0"):
        deleted = git_run(deployed.root, "push", "origin", f":refs/tags/{tag}")
        assert deleted.returncode != 0
        assert f"{tag}:1: PR077 this push deletes the remote's tag" in deleted.stdout
        assert tag in git(remote, "tag", "--list")
    # A forced push of another object under an existing name (a re-made tag) is a move.
    staging = git(deployed.root, "rev-parse", "prompts/triage@staging/000001").strip()
    git(deployed.root, "tag", "-f", "-a", "-m", "x", "prompts/triage@prod/000001", staging)
    moved = git_run(deployed.root, "push", "-f", "origin", "refs/tags/prompts/triage@prod/000001")
    assert moved.returncode != 0 and "PR077 this push replaces" in moved.stdout
    # Junk under prompts/ that is no deployment name may be cleaned up; other tags are none
    # of the hook's business.
    git(deployed.root, "tag", "prompts/triage@prod/000001x")
    assert git_run(deployed.root, "push", "origin", "prompts/triage@prod/000001x").returncode != 0
    pushed = git_run(deployed.root, "push", "--no-verify", "origin", "prompts/triage@prod/000001x")
    assert pushed.returncode == 0
    cleaned = git_run(deployed.root, "push", "origin", ":refs/tags/prompts/triage@prod/000001x")
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    git(deployed.root, "tag", "unrelated")
    assert git_run(deployed.root, "push", "origin", "unrelated").returncode == 0
    assert git_run(deployed.root, "push", "origin", ":refs/tags/unrelated").returncode == 0


def _raw_tag(ws: Workspace, ref: str, target: str, message: str) -> str:
    """A tag object written as bytes (`hash-object --literally`): git's own checks (mktag)
    would refuse a `type` header that lies, an attacker's tools need not."""
    body = (
        f"object {target}\ntype commit\ntag {ref}\ntagger Eve <eve@example.com> 1795992190 +0000"
        f"\n\n{message}"
    )
    proc = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"],
        cwd=ws.root,
        input=body,
        capture_output=True,
        text=True,
        check=True,
    )
    obj = proc.stdout.strip()
    git(ws.root, "update-ref", f"refs/tags/{ref}", obj)
    return obj


def _message_for(ws: Workspace, model_tag: str, ref: str, target: str) -> str:
    message = git(ws.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{model_tag}")
    real = git(ws.root, "rev-parse", f"{model_tag}^{{commit}}").strip()
    return message.replace(real, target).replace(model_tag.rpartition("/")[2], "x")


@pytest.mark.parametrize("kind", ["tree", "tag"])
def test_a_tag_whose_type_header_lies_is_rejected_and_breaks_nothing(deployed, run, kind):  # noqa: F811
    """`type commit` on a tree (or on the release tag object) was served as a deployment, the
    bundle recording a tree as its commit; and git's own parsing of the lying object made
    `verify` and `status` fail for the whole repository."""
    if kind == "tree":
        target = git(deployed.root, "rev-parse", "HEAD^{tree}").strip()
    else:
        target = git(deployed.root, "rev-parse", "prompts/triage@v1.0.0").strip()
    ref = "prompts/triage@prod/000002"
    _raw_tag(
        deployed, ref, target, _message_for(deployed, "prompts/triage@prod/000001", ref, target)
    )
    # A release of a new, unreleased version, its tag object naming the commit's tree.
    deployed.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.0.1"))
    commit(deployed, "1.0.1")
    tree = git(deployed.root, "rev-parse", "HEAD^{tree}").strip()
    release = "prompts/triage@v1.0.1"
    with Registry(deployed.root) as reg:
        hashed = reg.load_at(git(deployed.root, "rev-parse", "HEAD").strip(), "triage")
    message = release_message(
        name="triage",
        version="1.0.1",
        content_hash=hashed.content_hash,
        path="prompts/triage.prompt",
    )
    _raw_tag(deployed, release, tree, message)
    with Registry(deployed.root) as reg:
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
        release_verdict = reg.release("triage", "1.0.1")
        assert release_verdict is not None and "is a" in (release_verdict.problem or "")
    verified = run("verify", "--json")
    assert verified.code == 1, verified.err
    reasons = {r["tag"]: r["reason"] for r in json.loads(verified.out)["rejected"]}
    assert f"but that object is a {kind}" in reasons[ref]
    assert release in reasons
    status = run("status", "--json")
    assert status.code == 0, status.err
    exported = run("export", "--env", "prod", "-o", str(deployed.root / "b.json"))
    assert exported.code == 0, exported.err
    bundle = json.loads((deployed.root / "b.json").read_text(encoding="utf-8"))
    assert bundle["prompts"]["triage"]["tag"] == "prompts/triage@prod/000001"


FIFO_CASES = {
    "prompt": ("prompts/fifo.prompt", None),
    "partial": ("prompts/partials/fifo.j2", 'system:\nx {% include "partials/fifo.j2" %}\n'),
}


@pytest.mark.parametrize("case", sorted(FIFO_CASES))
def test_a_fifo_under_the_prompts_directory_is_a_finding_not_a_hang(ws: Workspace, case):
    """`mkfifo prompts/x.prompt` (or a partial) made `validate` and `list` block forever on
    the read. git stores no FIFO, so like a symlink it is refused; the others are checked."""
    fifo, body = FIFO_CASES[case]
    ws.prompt("triage")
    if body is not None:
        ws.prompt("includer", VALID_PROMPT.split("system:\n")[0] + body)
    os.mkfifo(ws.root / fifo)
    for command in ("validate", "list"):
        proc = subprocess.run(
            [sys.executable, "-m", "promptreg", command],
            cwd=ws.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        if command == "validate":
            assert proc.returncode == 1
            assert "not a regular file" in proc.stdout
            assert "3 prompts checked" in proc.stderr or "2 prompts checked" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_fifo_as_a_bundle_signature_is_refused_not_a_hang(tmp_path: Path):
    """A FIFO named `<bundle>.sig` blocked `Registry.from_bundle` (the application's start)."""
    from promptreg.errors import BundleError

    bundle = tmp_path / "prompts.lock.json"
    bundle.write_text("{}", encoding="utf-8")
    os.mkfifo(tmp_path / "prompts.lock.json.sig")
    signers = tmp_path / "allowed"
    signers.write_text("", encoding="utf-8")
    with pytest.raises(BundleError, match="not a regular file"):
        Registry.from_bundle(bundle, allowed_signers=signers)


@pytest.mark.parametrize("fmt", ["true", "1.0", "'1'"])
def test_a_format_that_only_equals_one_in_python_is_not_promptreg_s(deployed, run, fmt):  # noqa: F811
    """`promptreg: true` and `promptreg: 1.0` passed the format check (True == 1.0 == 1)."""
    message = git(
        deployed.root,
        "for-each-ref",
        "--format=%(contents)",
        "refs/tags/prompts/triage@prod/000001",
    ).replace("promptreg: 1\n", f"promptreg: {fmt}\n")
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    with GitStore(deployed.root) as store:
        store.create_tag("prompts/triage@prod/000002", head, message)
    verified = json.loads(run("verify", "--json").out)
    assert [r["tag"] for r in verified["rejected"]] == ["prompts/triage@prod/000002"]
    assert "promptreg: 1" in verified["rejected"][0]["reason"]


def test_a_message_whose_scores_lie_is_rejected(deployed, run):  # noqa: F811
    """Scores in a deployment message were never compared with the file: a hand-made tag
    could show any numbers in `history` and the bundle, and set the regression baseline the
    next promotion is held to."""
    message = git(
        deployed.root,
        "for-each-ref",
        "--format=%(contents)",
        "refs/tags/prompts/triage@prod/000001",
    ).replace("scores: {}", "scores: {accuracy: 0.99}")
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    with GitStore(deployed.root) as store:
        store.create_tag("prompts/triage@prod/000002", head, message)
    with Registry(deployed.root) as reg:
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
    verified = json.loads(run("verify", "--json").out)
    assert "the message records scores {'accuracy': 0.99}" in verified["rejected"][0]["reason"]


def test_the_hook_s_baseline_is_the_deployment_replaced_not_the_message_s_previous(
    repo: Workspace, run
):
    """A hand-made tag saying `previous: null` skipped the regression check in the pre-push
    hook: the baseline was looked up by the name the message gave."""
    from tests.evals.test_evals_gate import _prompt

    project = _prompt(repo, "{accuracy: 0.9, tone: 0.6}")
    commit(repo, "scored")
    assert run("promote", "triage", "--to", "dev").code == 0
    text = (repo.prompts / "triage.prompt").read_text(encoding="utf-8")
    repo.prompt("triage", text.replace("accuracy: 0.9,", "accuracy: 0.82,"))
    head = commit(repo, "worse scores, same content")
    prompt = project.load("triage")
    message = deployment_message(
        action="promote", name="triage", env="dev", version=prompt.version,
        content_hash=prompt.content_hash, commit=head, path="prompts/triage.prompt",
        previous=None, reason=None, forced=False, scores={"accuracy": 0.82, "tone": 0.6},
    )  # fmt: skip
    with GitStore(repo.root) as store:
        obj = store.create_tag("prompts/triage@dev/000002", head, message)
    line = f"refs/tags/prompts/triage@dev/000002 {obj} refs/tags/prompts/triage@dev/000002 {'0' * 40}\n"
    report = run_pre_push(Project.open(repo.root), line)
    assert [f.code for f in report.findings] == ["PR075"]
    assert "below the deployed version's 0.9" in report.findings[0].message


@pytest.mark.parametrize(
    "tagger", ["", "tagger Eve <eve@example.com> 99999999999999999999 +0000", "tagger Eve"]
)
def test_a_deployment_without_a_tagger_and_date_is_rejected(deployed, run, tagger):  # noqa: F811
    """A tag object with no tagger line (or a date that is none) was served: a deployment
    with no audit record of who made it, or when."""
    head = git(deployed.root, "rev-parse", "HEAD").strip()
    ref = "prompts/triage@prod/000002"
    message = _message_for(deployed, "prompts/triage@prod/000001", ref, head)
    body = f"object {head}\ntype commit\ntag {ref}\n{tagger}\n\n{message}".replace("\n\n\n", "\n\n")
    proc = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"],
        cwd=deployed.root, input=body, capture_output=True, text=True, check=True,
    )  # fmt: skip
    git(deployed.root, "update-ref", f"refs/tags/{ref}", proc.stdout.strip())
    with Registry(deployed.root) as reg:
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
    verified = json.loads(run("verify", "--json").out)
    assert [r["tag"] for r in verified["rejected"]] == [ref]


def test_promote_never_publishes_a_tag_that_would_not_count(signed, run):  # noqa: F811
    """Signing with a key that is not allowed for prod (eve's; for ssh, a key listed only for
    the bundle namespace would do the same) printed "promoted ... to prod" and exited 0,
    while prod kept running what it ran: the new tag was rejected by every reader."""
    signed.prompt("triage", V110)
    commit(signed, "1.1.0")
    for env in ("dev", "staging"):
        assert run("promote", "triage", "--to", env).code == 0
    git(signed.root, "config", "user.signingkey", signed.eve)
    result = run("promote", "triage", "--to", "prod")
    assert result.code == 1
    assert "would not count as a deployment" in result.err and "nothing was created" in result.err
    assert git(signed.root, "tag", "-l", "prompts/triage@prod/000002") == ""
    git(signed.root, "config", "user.signingkey", signed.ada)
    assert run("promote", "triage", "--to", "prod").code == 0
    with Registry(signed.root) as reg:
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000002"


def _gitlink(ws: Workspace, path: str, oid: str, message: str) -> str:
    """Commit `path` as a submodule entry (mode 160000) naming object `oid`."""
    git(ws.root, "rm", "-q", "--cached", path)
    git(ws.root, "update-index", "--add", "--cacheinfo", f"160000,{oid},{path}")
    git(ws.root, "commit", "-q", "-m", message)
    head = git(ws.root, "rev-parse", "HEAD").strip()
    git(ws.root, "reset", "-q", "--hard", "HEAD~1")
    return head


def test_a_submodule_entry_is_not_a_file_at_a_commit(deployed, run):  # noqa: F811
    """`<commit>:<path>` reads whatever object a tree entry names: a partial committed as a
    submodule entry rendered the raw text of the commit it records, and a prompt committed
    as one, naming a blob with a prompt's text, was served from a commit whose checkout shows
    an empty directory there."""
    main = git(deployed.root, "rev-parse", "HEAD").strip()
    partial = _gitlink(deployed, "prompts/partials/tone.j2", main, "partial as submodule")
    with Registry(deployed.root) as reg, pytest.raises(PromptregError, match="PR043"):
        reg.get(f"triage@{partial}")
    evil = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=deployed.root, input=EVIL, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    sneaky = _gitlink(deployed, "prompts/triage.prompt", evil, "prompt as submodule")
    ref = "prompts/triage@prod/000002"
    message = _message_for(deployed, "prompts/triage@prod/000001", ref, sneaky)
    deployed.prompt("triage", EVIL)
    with Registry(deployed.root) as reg:
        evil_hash = reg.project.load("triage").content_hash
    git(deployed.root, "checkout", "-q", "--", "prompts/triage.prompt")
    real_hash = message.split("content_hash: ")[1].split("\n")[0]
    with GitStore(deployed.root) as store:
        store.create_tag(ref, sneaky, message.replace(real_hash, evil_hash))
    with Registry(deployed.root) as reg:
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
        assert "EVIL" not in reg.get("triage@prod").render(ticket="t")[0]["content"]
    verified = json.loads(run("verify", "--json").out)
    assert [r["tag"] for r in verified["rejected"]] == [ref]
    assert "does not" in verified["rejected"][0]["reason"]
