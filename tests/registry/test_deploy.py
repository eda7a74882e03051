"""Release, promote, rollback and history, through the real CLI on real git repositories."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import VALID_PROMPT, Workspace, bump, commit, git


def tags(ws: Workspace) -> list[str]:
    return git(ws.root, "tag", "--list").split()


def test_full_lifecycle(repo: Workspace, run):
    assert run("release").code == 0
    assert tags(repo) == ["prompts/triage@v1.0.0"]
    for env in ("dev", "staging", "prod"):
        result = run("promote", "triage", "--to", env)
        assert result.code == 0, result.err
        assert f"promoted  triage 1.0.0 to {env}  (prompts/triage@{env}/000001)" in result.out

    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage tickets carefully."))
    commit(repo, "more care")
    refused = run("promote", "triage", "--to", "prod")
    assert refused.code == 1
    assert "triage 1.1.0 is not what staging runs (staging runs 1.0.0)" in refused.err
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0
    rolled = run("rollback", "triage", "--env", "prod", "--reason", "customers complained")
    assert rolled.code == 0, rolled.err
    assert "rolled back  triage in prod to 1.0.0  (prompts/triage@prod/000003)" in rolled.out

    history = json.loads(run("history", "triage", "--env", "prod", "--json").out)["deployments"]
    assert [(d["seq"], d["action"], d["version"]) for d in history] == [
        (3, "rollback", "1.0.0"),
        (2, "promote", "1.1.0"),
        (1, "promote", "1.0.0"),
    ]
    newest = history[0]
    assert newest["tagger"] == "Ada Promoter <ada@example.com>"
    assert newest["reason"] == "customers complained"
    assert newest["previous"] == "prompts/triage@prod/000002"
    assert newest["commit"] == history[2]["commit"]
    assert newest["content_hash"] == history[2]["content_hash"] != history[1]["content_hash"]
    # Nothing was deleted or moved: every tag ever made is still there.
    assert len(tags(repo)) == 2 + 3 + 3 + 1


def test_history_text_lists_every_environment_newest_first(repo: Workspace, run):
    run("promote", "triage", "--to", "dev", "--reason", "first try")
    run("promote", "triage", "--to", "staging")
    result = run("history", "triage")
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "ENV",
        "SEQ",
        "WHEN",
        "WHO",
        "ACTION",
        "VERSION",
        "COMMIT",
        "REASON",
    ]
    assert lines[1].startswith("staging") and lines[2].startswith("dev")
    assert lines[2].rstrip().endswith("first try")


def test_a_released_version_is_never_reused(repo: Workspace, run):
    assert run("release", "triage").code == 0
    assert "already released  triage 1.0.0" in run("release", "triage").out  # idempotent
    bump(repo, "triage", "1.0.0", ("You triage tickets.", "You sort tickets."))
    commit(repo, "changed without a bump")
    result = run("release", "triage")
    assert result.code == 1
    assert "triage 1.0.0 was already released with different content" in result.err
    assert "bump the version" in result.err
    assert run("promote", "triage", "--to", "dev").code == 1


def test_promote_order_force_and_reason(repo: Workspace, run):
    skip = run("promote", "triage", "--to", "prod")
    assert skip.code == 1 and "promote it to staging first" in skip.err
    no_reason = run("promote", "triage", "--to", "prod", "--force")
    assert no_reason.code == 2 and "--force needs --reason" in no_reason.err
    forced = run("promote", "triage", "--to", "prod", "--force", "--reason", "hotfix")
    assert forced.code == 0, forced.err
    deployment = json.loads(run("history", "triage", "--json").out)["deployments"][0]
    assert deployment["forced"] is True and deployment["reason"] == "hotfix"
    again = run("promote", "triage", "--to", "prod", "--force", "--reason", "hotfix")
    assert again.code == 0 and "already runs triage 1.0.0" in again.err
    assert len([t for t in tags(repo) if "@prod/" in t]) == 1


def test_promote_a_version_or_from_an_environment(repo: Workspace, run):
    run("promote", "triage", "--to", "dev")
    bump(repo, "triage", "2.0.0", ("You triage tickets.", "Triage."))
    commit(repo, "v2")
    run("promote", "triage", "--to", "dev")
    assert (
        run(
            "promote",
            "triage",
            "--to",
            "staging",
            "--version",
            "1.0.0",
            "--force",
            "--reason",
            "old",
        ).code
        == 0
    )
    from_dev = run("promote", "triage", "--to", "staging", "--from", "dev", "--json")
    assert from_dev.code == 0, from_dev.err
    assert json.loads(from_dev.out)["version"] == "2.0.0"
    missing = run("promote", "triage", "--to", "dev", "--version", "9.9.9")
    assert missing.code == 2 and "Released: 1.0.0, 2.0.0" in missing.err
    unknown = run("promote", "triage", "--to", "qa")
    assert unknown.code == 2 and "environments: dev, staging, prod" in unknown.err


def test_rollback_to_a_named_version_or_seq(repo: Workspace, run):
    run("promote", "triage", "--to", "dev")
    bump(repo, "triage", "1.1.0", ("You triage tickets.", "You triage."))
    commit(repo, "1.1")
    run("promote", "triage", "--to", "dev")
    bump(repo, "triage", "1.2.0", ("You triage.", "Triage!"))
    commit(repo, "1.2")
    run("promote", "triage", "--to", "dev")
    by_seq = run("rollback", "triage", "--env", "dev", "--to", "2", "--json")
    assert json.loads(by_seq.out)["version"] == "1.1.0"
    by_version = run("rollback", "triage", "--env", "dev", "--to", "v1.0.0", "--json")
    assert json.loads(by_version.out)["version"] == "1.0.0"
    same = run("rollback", "triage", "--env", "dev", "--to", "1.0.0")
    assert same.code == 1 and "already runs triage 1.0.0" in same.err
    never = run("rollback", "triage", "--env", "prod")
    assert never.code == 1 and "never been deployed to prod" in never.err


RACER = """
import sys
from promptreg.cli import main
for version in sys.argv[1:]:
    code = main(["promote", "triage", "--to", "dev", "--version", version, "--reason", version])
    if code:
        sys.exit(code)
"""


def test_two_processes_promoting_at_once_both_land(repo: Workspace, run):
    """Two processes race six promotions each of the same prompt to the same environment:
    all twelve land, with distinct seqs, each naming the one before it. Nothing is lost."""
    versions = [f"1.0.{n}" for n in range(1, 13)]
    for n, version in enumerate(versions):
        text = VALID_PROMPT.replace("version: 1.0.0", f"version: {version}")
        repo.prompt("triage", text.replace("You triage tickets.", f"You triage tickets ({n})."))
        commit(repo, version)
        assert run("release", "triage").code == 0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, *half],
            cwd=repo.root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in (versions[:6], versions[6:])
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert not any(errors), errors
    deployed = [t for t in tags(repo) if "@dev/" in t]
    assert sorted(int(t.rsplit("/", 1)[1]) for t in deployed) == list(range(1, 13))
    history = {d.seq: d for d in _history(repo)}
    assert sorted(d.version for d in history.values()) == sorted(versions)
    for seq in range(2, 13):
        assert history[seq].previous == f"prompts/triage@dev/{seq - 1:06d}"


def _history(ws: Workspace):
    from promptreg.registry import Registry

    with Registry(ws.root) as reg:
        return reg.deployments("triage", "dev")


@pytest.fixture
def remote(repo: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo.root, "remote", "add", "origin", str(bare))
    git(repo.root, "push", "-q", "origin", "main")
    return bare


def test_push_lands_the_deployment_and_its_version_tag(repo: Workspace, remote: Path, run):
    result = run("promote", "triage", "--to", "dev", "--push")
    assert result.code == 0, result.err
    assert "pushed to origin" in result.out
    remote_tags = git(remote, "tag", "--list").split()
    assert remote_tags == ["prompts/triage@dev/000001", "prompts/triage@v1.0.0"]
    assert git(remote, "cat-file", "-t", "prompts/triage@dev/000001").strip() == "tag"


def test_a_rejected_push_is_retried_with_the_next_seq(repo: Workspace, remote: Path, run):
    """The remote's pre-receive hook plays a second promoter: on the first push it creates
    prompts/triage@dev/000001 itself, so ours is rejected; we must fetch, take seq 2, land."""
    from promptreg.project.project import Project
    from promptreg.registry.tags import deployment_message

    hook = remote / "hooks" / "pre-receive"
    head = git(repo.root, "rev-parse", "HEAD").strip()
    message = deployment_message(
        action="promote",
        name="triage",
        env="dev",
        version="1.0.0",
        content_hash=Project.open(repo.root).load("triage").content_hash,
        commit=head,
        path="prompts/triage.prompt",
        previous=None,
        reason=None,
        forced=False,
        scores={},
    )
    (remote / "bob.tag").write_text(
        f"object {head}\ntype commit\ntag prompts/triage@dev/000001\n"
        f"tagger Bob <bob@example.com> 1700000000 +0000\n\n{message}",
        encoding="utf-8",
    )
    hook.write_text(
        "#!/bin/sh\n"
        "cat > /dev/null\n"
        'if [ ! -f "$GIT_DIR/raced" ]; then\n'
        '  touch "$GIT_DIR/raced"\n'
        # git forbids ref updates from inside the push's object quarantine: step out of it.
        "  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        '  obj=$(git mktag < "$GIT_DIR/bob.tag")\n'
        "  git update-ref refs/tags/prompts/triage@dev/000001 $obj\n"
        "fi\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    result = run("promote", "triage", "--to", "dev", "--push", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["tag"] == "prompts/triage@dev/000002"
    assert data["attempts"] == 2
    assert data["previous"] == "prompts/triage@dev/000001"
    assert git(remote, "tag", "--list").split() == [
        "prompts/triage@dev/000001",
        "prompts/triage@dev/000002",
        "prompts/triage@v1.0.0",
    ]
    # Bob's deployment came back with the fetch; ours is on top of it, locally too.
    assert "prompts/triage@dev/000001" in tags(repo)


def test_git_errors_are_one_line_messages(ws: Workspace, isolated_git, run):
    ws.prompt("triage")
    result = run("history", "triage")
    assert result.code == 2
    assert "is not inside a git repository" in result.err
    assert "Traceback" not in result.err


def test_release_in_an_empty_repository(ws: Workspace, isolated_git, run):
    git(ws.root, "init", "-q")
    ws.prompt("triage")
    result = run("release")
    assert result.code == 1
    assert "no commits yet" in result.err


DATASET = '{"id": "a", "inputs": {"ticket": "x"}, "expected": "y"}\n'
EVALS_PROMPT = VALID_PROMPT.replace(
    "sample:",
    "evals:\n  dataset: evals/triage.jsonl\n"
    "  metrics:\n    - {name: accuracy, kind: exact, threshold: 0.5}\n"
    "  scores: {accuracy: SCORE}\n  content_hash: HASH\n"
    f"  dataset_hash: sha256:{hashlib.sha256(DATASET.encode()).hexdigest()}\nsample:",
)


def write_scored(ws: Workspace, version: str, body: str, score: float) -> None:
    """A prompt whose recorded scores are fresh (bound to its current content hash)."""
    from promptreg.project.project import Project

    ws.write("evals/triage.jsonl", DATASET)  # the scores are bound to it (dataset_hash)
    text = EVALS_PROMPT.replace("version: 1.0.0", f"version: {version}").replace(
        "You triage tickets.", body
    )
    ws.prompt("triage", text.replace("SCORE", str(score)).replace("HASH", "sha256:" + "0" * 64))
    content_hash = Project.open(ws.root).load("triage").content_hash  # evals are not hashed
    ws.prompt("triage", text.replace("SCORE", str(score)).replace("HASH", content_hash))


def test_promote_is_gated_on_evals_and_the_override_is_recorded(repo: Workspace, run):
    write_scored(repo, "1.1.0", "You triage tickets.", 0.9)
    commit(repo, "scored 0.9")
    assert run("promote", "triage", "--to", "dev").code == 0
    write_scored(repo, "1.2.0", "You triage tickets quickly.", 0.7)
    commit(repo, "scored 0.7")
    refused = run("promote", "triage", "--to", "dev")
    assert refused.code == 1
    assert "regressed: `accuracy` 0.7 is 0.2 below the deployed version's 0.9" in refused.err
    write_scored(repo, "1.3.0", "You triage tickets fast.", 0.3)
    commit(repo, "below threshold")
    below = run("promote", "triage", "--to", "dev")
    assert "below threshold: `accuracy` 0.3 is below its threshold 0.5" in below.err
    forced = run("promote", "triage", "--to", "dev", "--force", "--reason", "known trade-off")
    assert forced.code == 0, forced.err
    newest = json.loads(run("history", "triage", "--env", "dev", "--json").out)["deployments"][0]
    assert newest["version"] == "1.3.0" and newest["forced"] is True
    assert newest["scores"] == {"accuracy": 0.3}
    message = git(repo.root, "tag", "-l", "--format=%(contents)", newest["tag"])
    assert "overrides:" in message and "below threshold" in message


def test_stale_scores_block_promotion(repo: Workspace, run):
    write_scored(repo, "1.1.0", "You triage tickets.", 0.9)
    text = (repo.prompts / "triage.prompt").read_text(encoding="utf-8")
    repo.prompt("triage", text.replace("You triage tickets.", "You triage tickets, edited."))
    commit(repo, "edited after eval")
    result = run("promote", "triage", "--to", "dev")
    assert result.code == 1
    assert "stale: scores were measured on other content" in result.err
