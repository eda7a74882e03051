"""The read model's verdicts, as `verify`, `history --json` and the pre-push hook report them: a
tag that does not count is reported with who made it, when, and the one-line reason; what
counts is the newest valid deployment of each prompt and environment. Real repositories."""

from __future__ import annotations

import json
import subprocess

import pytest

from promptreg.registry import Registry
from promptreg.registry.tags import Deployment
from promptreg.registry.verdicts import Rejected
from tests.conftest import VALID_PROMPT, Workspace, commit, git

ADA = "Ada Promoter <ada@example.com>"
V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")


@pytest.fixture
def deployed(repo: Workspace, run) -> Workspace:
    """triage 1.0.0 deployed to dev, staging and prod; 1.1.0 committed and deployed to dev."""
    for env in ("dev", "staging", "prod"):
        assert run("promote", "triage", "--to", env).code == 0
    repo.prompt("triage", V110)
    commit(repo, "1.1.0")
    assert run("promote", "triage", "--to", "dev").code == 0
    return repo


def rev(ws: Workspace, name: str) -> str:
    return git(ws.root, "rev-parse", name).strip()


def tag_object(ws: Workspace, tag: str, target: str, message: str) -> str:
    """A tag object made by git (`mktag`), named `tag`, pointing at `target` (any type)."""
    import subprocess

    kind = git(ws.root, "cat-file", "-t", target).strip()
    ident = git(ws.root, "var", "GIT_COMMITTER_IDENT").strip()
    body = f"object {target}\ntype {kind}\ntag {tag}\ntagger {ident}\n\n{message}"
    return subprocess.run(
        ["git", "mktag"], cwd=ws.root, input=body, capture_output=True, text=True, check=True
    ).stdout.strip()


def message_of(ws: Workspace, tag: str) -> str:
    return git(ws.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{tag}")


def test_a_rejected_tag_is_reported_with_its_maker_and_reason(deployed):
    head = rev(deployed, "HEAD")
    obj = tag_object(deployed, "prompts/triage@prod/000002", head, "promptreg: 1\n")
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@prod/000002", obj)
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@prod/000003", head)
    with Registry(deployed.root) as reg:
        log = reg.deployment_log("triage", "prod")
    assert [d.seq for d in log.valid] == [1]
    assert [r.to_json() for r in log.rejected] == [
        {
            "tag": "prompts/triage@prod/000003",
            "object": head,
            "name": "triage",
            "env": "prod",
            "seq": 3,
            "date": "",
            "tagger": "",
            "reason": "a lightweight tag (it points at a commit), not a deployment",
        },
        {
            "tag": "prompts/triage@prod/000002",
            "object": obj,
            "name": "triage",
            "env": "prod",
            "seq": 2,
            "date": log.rejected[1].date,
            "tagger": ADA,
            "reason": "message action None is neither promote nor rollback",
        },
    ]
    assert log.rejected[1].date.startswith("20") and not log.rejected[1].signature_problem


def test_the_log_is_newest_first_by_seq_in_an_environment_and_by_time_across(deployed):
    with Registry(deployed.root) as reg:
        dev = reg.deployment_log("triage", "dev").valid
        everywhere = reg.deployment_log("triage").valid
        assert reg.deployments("triage") == everywhere
    assert [(d.env, d.seq, d.version) for d in dev] == [("dev", 2, "1.1.0"), ("dev", 1, "1.0.0")]
    assert [(d.env, d.seq) for d in everywhere] == [
        ("dev", 2), ("prod", 1), ("staging", 1), ("dev", 1),
    ]  # fmt: skip


def test_rejected_tags_are_listed_by_environment_then_seq_newest_first(deployed):
    head = rev(deployed, "HEAD")
    for tag in ("prompts/triage@dev/000007", "prompts/triage@prod/000002",
                "prompts/triage@prod/000009", "prompts/triage@prod/1x",
                "prompts/triage@prod/000000", "prompts/triage@prod/0"):  # fmt: skip
        git(deployed.root, "update-ref", f"refs/tags/{tag}", head)
    with Registry(deployed.root) as reg:
        rejected = reg.deployment_log("triage").rejected
    assert [r.tag for r in rejected] == [
        "prompts/triage@prod/000009",
        "prompts/triage@prod/000002",
        "prompts/triage@prod/1x",  # a name that is not canonical has no seq: it sorts as 0
        "prompts/triage@prod/000000",
        "prompts/triage@prod/0",
        "prompts/triage@dev/000007",
    ]
    assert (
        rejected[2].reason
        == rejected[4].reason
        == "not a canonical deployment tag name (seq: six ASCII digits)"
    )


def test_the_newest_valid_deployment_of_each_prompt_is_found_together(deployed, run):
    deployed.prompt("other", VALID_PROMPT.replace("You triage tickets.", "Other."))
    commit(deployed, "other")
    assert run("promote", "other", "--to", "dev").code == 0
    head = rev(deployed, "HEAD")
    for tag in ("prompts/triage@dev/000003", "prompts/triage@dev/000004"):
        git(deployed.root, "update-ref", f"refs/tags/{tag}", head)
    with Registry(deployed.root) as reg:
        reader = reg.reader
        groups = {
            ("triage", "dev"): reader.candidates("triage", ["dev"]),
            ("other", "dev"): reader.candidates("other", ["dev"]),
            ("other", "prod"): reader.candidates("other", ["prod"]),
        }
        newest = reader.newest(groups)
        assert sorted(c.ref for c in reader.candidates("triage")) == [
            "prompts/triage@dev/000001", "prompts/triage@dev/000002",
            "prompts/triage@dev/000003", "prompts/triage@dev/000004",
            "prompts/triage@prod/000001", "prompts/triage@staging/000001",
        ]  # fmt: skip
    found = {key: (d.tag if d else None) for key, d in newest.items()}
    assert found == {
        ("triage", "dev"): "prompts/triage@dev/000002",
        ("other", "dev"): "prompts/other@dev/000001",
        ("other", "prod"): None,
    }


def test_what_a_push_would_create_is_judged_before_it_lands(deployed):
    """The pre-push hook's question: what would this ref, pointing at this object, be?"""
    real = rev(deployed, "prompts/triage@prod/000001")
    with Registry(deployed.root) as reg:
        judge = reg.reader.judge_ref
        found = judge("prompts/triage@prod/000001", real)
        assert isinstance(found, Deployment) and found.version == "1.0.0"
        assert found.tagger == ADA and found.date.startswith("20")
        assert judge("prompts/triage@v1.0.0", real) is None
        assert judge("other/triage@prod/000001", real) is None
        undeclared = judge("prompts/triage@qa/000001", real)
        assert undeclared == Rejected(
            "prompts/triage@qa/000001", real, "triage", "qa", None,
            "environment 'qa' is not declared in promptreg.yaml",
        )  # fmt: skip
        replay = judge("prompts/triage@prod/000002", real)
        assert isinstance(replay, Rejected) and replay.seq == 2
        assert replay.reason == (
            "the tag object was made for 'prompts/triage@prod/000001', not for this name (a copy)"
        )
        for obj in ("HEAD", "0" * 40):  # a name is never resolved; a missing object is none
            missing = judge("prompts/triage@prod/000002", obj)
            assert isinstance(missing, Rejected)
            assert missing.reason == "a lightweight tag (it points at a missing), not a deployment"


def test_a_tag_on_a_tree_is_not_a_deployment(deployed):
    real = message_of(deployed, "prompts/triage@prod/000001")
    tree = rev(deployed, "HEAD^{tree}")
    obj = tag_object(deployed, "prompts/triage@prod/000002", tree, real)
    with Registry(deployed.root) as reg:
        verdict = reg.reader.judge_ref("prompts/triage@prod/000002", obj)
    assert isinstance(verdict, Rejected)
    assert verdict.reason == "the tag points at a tree, not at a commit"


def _deployment_at(ws: Workspace, target: str) -> str:
    """prod's first deployment message, moved to `target` (commit fixed, content not)."""
    real = message_of(ws, "prompts/triage@prod/000001")
    old = rev(ws, "prompts/triage@prod/000001^{commit}")
    return tag_object(ws, "prompts/triage@prod/000002", target, real.replace(old, target))


def test_content_that_is_not_what_the_message_records_is_named(deployed):
    head = rev(deployed, "HEAD")  # holds 1.1.0, the message records 1.0.0
    obj = _deployment_at(deployed, head)
    with Registry(deployed.root) as reg:
        verdict = reg.reader.judge_ref("prompts/triage@prod/000002", obj)
    assert isinstance(verdict, Rejected)
    assert verdict.reason == (
        f"the message records version '1.0.0', but prompts/triage.prompt at {head[:12]} is 1.1.0"
    )
    assert verdict.tagger == ADA and verdict.date.startswith("20")

    deployed.prompt("triage", VALID_PROMPT.replace("tickets.", "tickets?"))  # 1.0.0, other text
    same_version = commit(deployed, "same version, other text")
    obj = _deployment_at(deployed, same_version)
    with Registry(deployed.root) as reg:
        verdict = reg.reader.judge_ref("prompts/triage@prod/000002", obj)
        recorded = reg.deployment_log("triage", "prod").valid[0].content_hash or ""
        actual = reg.load_at(same_version, "triage").content_hash
    assert isinstance(verdict, Rejected)
    assert verdict.reason == (
        f"the content of prompts/triage.prompt at {same_version[:12]} is not what the message "
        f"records (content hash {actual[:19]}…, recorded {recorded[:19]}…)"
    )


def test_a_prompt_that_does_not_load_is_one_line_of_reason(deployed):
    deployed.prompt("triage", "---\nversion: [\n---\nbody\n")
    broken = commit(deployed, "broken")
    obj = _deployment_at(deployed, broken)
    with Registry(deployed.root) as reg:
        verdict = reg.reader.judge_ref("prompts/triage@prod/000002", obj)
    assert isinstance(verdict, Rejected)
    prefix = f"prompts/triage.prompt does not load at commit {broken[:12]}: "
    assert verdict.reason.startswith(prefix) and "\n" not in verdict.reason
    assert len(verdict.reason) > len(prefix) + 10 and "Error" not in verdict.reason[len(prefix) :]


# -- releases --------------------------------------------------------------------------------


def _release(reg: Registry, ws: Workspace, version: str, ref: str | None = None):
    ref = ref or f"prompts/triage@v{version}"
    obj = rev(ws, f"refs/tags/{ref}")
    kind = git(ws.root, "cat-file", "-t", obj).strip()
    return reg.reader.release("triage", version, ref, obj, kind)


def test_a_release_is_judged_like_a_deployment(deployed):
    head = rev(deployed, "HEAD")
    with Registry(deployed.root) as reg:
        good = _release(reg, deployed, "1.1.0")
        assert (good.tag, good.commit, good.problem) == ("prompts/triage@v1.1.0", head, None)
        assert _release(reg, deployed, "1.1.0") is good  # cached: a tag object never changes

    git(deployed.root, "tag", "prompts/triage@v2.0.0", head)
    real = rev(deployed, "prompts/triage@v1.1.0")
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@v3.0.0", real)
    tree = tag_object(deployed, "prompts/triage@v4.0.0", rev(deployed, "HEAD^{tree}"), "x\n")
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@v4.0.0", tree)
    message = message_of(deployed, "prompts/triage@v1.1.0")
    other = tag_object(deployed, "prompts/triage@v1.0.0", head, message.replace("1.1.0", "1.0.0"))
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@v1.0.5", other)
    wrong_version = tag_object(deployed, "prompts/triage@v1.0.9", head, message.replace(
        "version: 1.1.0", "version: 1.0.9").replace("triage@v1.1.0", "triage@v1.0.9"))  # fmt: skip
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@v1.0.9", wrong_version)
    with Registry(deployed.root) as reg:
        releases = {v: _release(reg, deployed, v) for v in ("2.0.0", "3.0.0", "4.0.0", "1.0.9")}
        copy = _release(reg, deployed, "1.0.5")
    assert [r.tag for r in releases.values()] == [f"prompts/triage@v{v}" for v in releases]
    problems = {v: r.problem for v, r in releases.items()}
    assert problems == {
        "2.0.0": "a lightweight tag (it points at a commit), not a release",
        "3.0.0": "the tag object was made for 'prompts/triage@v1.1.0' (a copy)",
        "4.0.0": "the tag points at a tree, not at a commit",
        "1.0.9": (
            "the message records version '1.0.9', but prompts/triage.prompt at "
            f"{head[:12]} is 1.1.0"
        ),
    }
    assert (copy.commit, copy.problem) == (None, "the tag object was made for "
                                           "'prompts/triage@v1.0.0' (a copy)")  # fmt: skip


def test_a_branch_with_a_deployment_s_name_is_not_a_tag(deployed):
    """Only refs under refs/tags/ are deployments: a branch named like one is not even listed
    (as a rejected tag) by `verify`, `history` or the lookups."""
    git(deployed.root, "branch", "prompts/triage@prod/000002")
    with Registry(deployed.root) as reg:
        log = reg.deployment_log("triage", "prod")
        listed = [c.ref for c in reg.reader.list_refs(["refs/tags/prompts/"])]
    assert [d.seq for d in log.valid] == [1] and log.rejected == []
    assert "prompts/triage@prod/000002" not in listed


def test_seq_zero_is_older_than_seq_one(deployed):
    """`000000` is canonical (six digits) though promote starts at 1: were it made by hand
    with a valid message, it still does not outrank the deployment promote made."""
    real = message_of(deployed, "prompts/triage@prod/000001")
    target = rev(deployed, "prompts/triage@prod/000001^{commit}")
    obj = tag_object(deployed, "prompts/triage@prod/000000", target, real)
    git(deployed.root, "update-ref", "refs/tags/prompts/triage@prod/000000", obj)
    with Registry(deployed.root) as reg:
        assert [d.seq for d in reg.deployment_log("triage", "prod").valid] == [1, 0]
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
        reader = reg.reader
        newest = reader.newest({("triage", "prod"): reader.candidates("triage", ["prod"])})
    assert newest[("triage", "prod")].tag == "prompts/triage@prod/000001"  # type: ignore[union-attr]


def test_a_tag_refused_for_its_signature_still_says_who_made_it(deployed, run, tmp_path):
    """prod starts requiring signatures: its unsigned deployment no longer counts, and the
    report names its tagger and date like any other rejected tag's."""
    deployed.prompt("other", VALID_PROMPT.replace("You triage tickets.", "Other."))
    commit(deployed, "other")
    for env in ("dev", "staging", "prod"):
        assert run("promote", "other", "--to", env).code == 0
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", str(tmp_path / "k")],
        check=True,
    )
    public = (tmp_path / "k.pub").read_text(encoding="utf-8").strip()
    deployed.write(".promptreg/allowed_signers", f'ada@example.com namespaces="git" {public}\n')
    deployed.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nsigning:\n  environments: [prod]\n"
        "  allowed_signers: .promptreg/allowed_signers\n",
    )
    commit(deployed, "prod deployments must be signed")
    with Registry(deployed.root) as reg:
        log = reg.deployment_log("triage", "prod")
        staging = reg.deployment_log("triage", "staging")
        assert reg.running("prod") == {}
    assert log.valid == [] and [d.seq for d in staging.valid] == [1]
    verified = json.loads(run("verify", "--json").out)  # both prod tags judged at once
    assert {r["tag"]: (r["tagger"], r["reason"][:8]) for r in verified["rejected"]} == {
        "prompts/other@prod/000001": (ADA, "unsigned"),
        "prompts/triage@prod/000001": (ADA, "unsigned"),
    }
    [rejected] = log.rejected
    assert rejected.reason == "unsigned, but `signing:` requires a signature for this environment"
    assert rejected.signature_problem
    assert rejected.tagger == ADA and rejected.date.startswith("20")


def _malformed(ws: Workspace, ref: str) -> str:
    """A tag object git stores (`hash-object --literally`) but that is not a tag (no `type`),
    under a loose ref written by hand: what a broken tool or a hostile push could leave."""
    head = rev(ws, "HEAD")
    body = f"object {head}\ntag {ref}\n\npromptreg: 1\n"
    obj = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"],
        cwd=ws.root, input=body, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    loose = ws.root / ".git" / "refs" / "tags" / ref  # update-ref refuses such an object
    loose.parent.mkdir(parents=True, exist_ok=True)
    loose.write_text(obj + "\n", encoding="ascii")
    return obj


def test_a_malformed_tag_object_is_rejected_not_an_error(deployed):
    obj = _malformed(deployed, "prompts/triage@prod/000002")
    _malformed(deployed, "prompts/triage@v7.0.0")
    with Registry(deployed.root) as reg:
        [rejected] = reg.deployment_log("triage", "prod").rejected
        release = _release(reg, deployed, "7.0.0")
        assert reg.get("triage@prod").deployment.tag == "prompts/triage@prod/000001"
    assert (rejected.tag, rejected.object, rejected.reason) == (
        "prompts/triage@prod/000002", obj, "the tag object cannot be read",
    )  # fmt: skip
    assert (release.tag, release.commit, release.problem) == (
        "prompts/triage@v7.0.0", None, "the tag object cannot be read",
    )  # fmt: skip
