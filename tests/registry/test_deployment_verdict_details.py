"""What `history --json` says about each deployment tag: who made it and when (read from the tag
object, for valid and rejected tags alike, signature refusals included), and the order of the
rejected ones (newest seq first; a tag whose name is not canonical last); the exact reason each
rule gives for a hand-made tag; and release tags judged many at once as one by one."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from promptreg.registry import Registry
from promptreg.registry.deployments import DeploymentReader
from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import Deployment, deployment_message, parse_release, release_message
from promptreg.registry.verdicts import legacy_hint
from tests.conftest import Workspace, bump, commit, git
from tests.registry.test_deploy_signing import hand_made, signed
from tests.registry.test_legacy_hashes import head, scheme1_tag, set_config

__all__ = ["signed"]  # the signing fixture (prod requires ada's signature), ssh keys only

ADA = "Ada Promoter <ada@example.com>"


def _tagged(ws: Workspace, tag: str) -> tuple[str, str]:
    """(tagger, date) of a tag as git reads them."""
    out = git(
        ws.root,
        "for-each-ref",
        "--format=%(taggername) %(taggeremail)%00%(taggerdate:iso-strict)",
        f"refs/tags/{tag}",
    )
    who, _, when = out.strip().partition("\0")
    return who, when


@pytest.mark.parametrize("signed", ["ssh"], indirect=True)
def test_history_names_who_made_each_tag_and_when(signed: Workspace, run):
    by_ada = hand_made(signed, 2, sign_with=signed.ada)  # type: ignore[attr-defined]
    by_eve = hand_made(signed, 3, sign_with=signed.eve)  # type: ignore[attr-defined]
    history = json.loads(run("history", "triage", "--env", "prod", "--json").out)
    # two tags to verify in one go (000001 and 000002), then one refused by its signature
    assert [d["tag"] for d in history["deployments"]] == [by_ada, "prompts/triage@prod/000001"]
    for d in history["deployments"]:
        assert (d["tagger"], d["date"]) == _tagged(signed, d["tag"])
        assert d["tagger"] == ADA and d["date"]
    [rejected] = history["rejected"]
    assert rejected["tag"] == by_eve
    assert (rejected["tagger"], rejected["date"]) == _tagged(signed, by_eve)
    assert rejected["tagger"] == ADA and rejected["date"]


def test_rejected_tags_are_listed_newest_seq_first_and_odd_names_last(repo: Workspace):
    head = git(repo.root, "rev-parse", "HEAD").strip()
    for name in ("000001", "01", "000002"):  # lightweight tags: none counts
        git(repo.root, "update-ref", f"refs/tags/prompts/triage@prod/{name}", head)
    with Registry(repo.root) as reg:
        log = reg.deployment_log("triage", "prod")
    assert log.valid == []
    assert [(r.tag, r.seq) for r in log.rejected] == [
        ("prompts/triage@prod/000002", 2),
        ("prompts/triage@prod/000001", 1),
        ("prompts/triage@prod/01", None),
    ]


# -- what each verdict says, for tags made by hand (mutation/RESULTS.md: deployments.py) --------

EVE = "Eve <eve@example.com>"


def _deployment(ws: Workspace, target: str, **fields: Any) -> str:
    """promptreg's message for a deployment of triage 1.0.0 at `target` to prod."""
    with Registry(ws.root) as reg:
        prompt = reg.load_at(git(ws.root, "rev-parse", "HEAD").strip(), "triage")
    return deployment_message(
        action="promote",
        name="triage",
        env="prod",
        version=prompt.version,
        content_hash=prompt.content_hash,
        commit=target,
        path="prompts/triage.prompt",
        previous=None,
        reason=None,
        forced=False,
        scores=fields.pop("scores", {}),
        extra=fields,
    )


def _publish(ws: Workspace, tag: str, target: str, message: str) -> None:
    """An annotated tag as `promote` writes it (git checks it as `git mktag` does)."""
    with GitStore(ws.root) as store:
        store.publish_tag(tag, store.make_tag_object(tag, target, message))


def _raw(ws: Workspace, tag: str, body: str) -> str:
    """A tag object of any bytes (`hash-object --literally`: no check), and its ref."""
    proc = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"],
        cwd=ws.root, input=body, capture_output=True, text=True, check=True,
    )  # fmt: skip
    git(ws.root, "update-ref", f"refs/tags/{tag}", proc.stdout.strip())
    return proc.stdout.strip()


def test_each_rejected_tag_says_why_and_who_made_it(repo: Workspace):
    """The reason `history`/`verify` show is the rule that refused the tag, and the tagger and
    date are the tag object's own whichever rule it was (a follower's health lists them too);
    one environment's deployments are in seq order, whatever time a message records."""
    head = git(repo.root, "rev-parse", "HEAD").strip()
    tree = git(repo.root, "rev-parse", "HEAD^{tree}").strip()
    prod = "prompts/triage@prod/"
    _publish(repo, f"{prod}000001", head, _deployment(repo, head))
    lying = f"{prod}000002"  # `type commit` on a tree: the rest of it is a valid deployment
    message = _deployment(repo, tree)
    _raw(repo, lying, f"object {tree}\ntype commit\ntag {lying}\ntagger {EVE} 1795992190 +0000"
         f"\n\n{message}")  # fmt: skip
    undated = f"{prod}000003"  # a tagger, but a date past what Python can hold
    message = _deployment(repo, head)
    _raw(repo, undated, f"object {head}\ntype commit\ntag {undated}\ntagger {EVE} "
         f"99999999999999999999 +0000\n\n{message}")  # fmt: skip
    scored = f"{prod}000004"  # scores the file does not record
    _publish(repo, scored, head, _deployment(repo, head, scores={"accuracy": 0.99}))
    old = f"{prod}000005"  # valid, its message's time older than 000001's
    _publish(repo, old, head, _deployment(repo, head, at="2001-01-01T00:00:00.000000Z"))
    with Registry(repo.root) as reg:
        log = reg.deployment_log("triage", "prod")
        seen = {r.tag for r in reg.reader.rejected_seen()}
    assert [d.tag for d in log.valid] == [old, f"{prod}000001"]
    got = {r.tag: (r.reason, r.tagger, r.date) for r in log.rejected}
    assert got == {
        scored: (
            "the message records scores {'accuracy': 0.99}, but prompts/triage.prompt at "
            f"{head[:12]} records {{}}",
            ADA,
            got[scored][2],
        ),
        undated: ("the tag object has no tagger, or a tagger date that is not one", EVE, ""),
        lying: (
            "the tag object says it points at a commit, but that object is a tree",
            EVE,
            "2026-11-29T22:43:10+00:00",
        ),
    }
    assert got[scored][2].startswith("20")
    assert seen == set(got)


def test_a_legacy_record_is_served_by_default_and_refused_by_name_where_configured(repo: Workspace):
    """A reader given no policy on scheme-1 records serves them (marked legacy); refused, the
    reason says how to re-record it, and who made the tag and when stays on record."""
    tag = scheme1_tag(repo, "prod", head(repo))
    with Registry(repo.root) as reg:
        reader = DeploymentReader(
            reg.store,
            environments=reg.environments,
            prompt_path=reg.prompt_path,
            load=lambda commit, name, path: reg.load_at(commit, name, path=path),
        )
        [served] = reader.judge(reader.candidates("triage", ["prod"]))
    assert isinstance(served, Deployment) and served.legacy and served.tag == tag
    set_config(repo, "{legacy_hashes: refuse}")
    with Registry(repo.root) as reg:
        [rejected] = reg.deployment_log("triage", "prod").rejected
    hint = legacy_hint("triage", "prod", "1.0.0")
    assert rejected.reason == f"{hint} (legacy hashes are refused here)"
    assert (rejected.tagger, rejected.date) == _tagged(repo, tag)


def _release(ws: Workspace, version: str, target: str, path: str = "prompts/triage.prompt") -> str:
    """A release tag of triage `version` at `target`, its message recording `path`."""
    with Registry(ws.root) as reg:
        content_hash = reg.load_at(target, "triage").content_hash
    tag = f"prompts/triage@v{version}"
    message = release_message(name="triage", version=version, content_hash=content_hash, path=path)
    _publish(ws, tag, target, message)
    return tag


def test_release_tags_judged_together_get_each_its_own_verdict(repo: Workspace):
    """`releases` (what `release` and the site read, many tags at once) answers each tag as
    `release` does one by one: a tag object that is none, a message naming another file and
    a lightweight tag are refused for what they are, none hides or borrows another's verdict."""
    first = head(repo)
    good = _release(repo, "1.0.0", first)
    bump(repo, "triage", "1.1.0")
    second = commit(repo, "1.1.0")
    also_good = _release(repo, "1.1.0", second)
    bump(repo, "triage", "1.2.0")
    third = commit(repo, "1.2.0")
    elsewhere = _release(repo, "1.2.0", third, path="prompts/elsewhere.prompt")
    unreadable = "prompts/triage@v1.3.0"  # git reads it as a tag object, promptreg does not
    _raw(repo, unreadable, f"object {first}\ntype commit\ntag {unreadable}\nodd\n\nx\n")
    light = "prompts/triage@v0.9.0"
    git(repo.root, "tag", light, first)
    with Registry(repo.root) as reg:
        items = [
            (*(parse_release(ref) or ("", "")), ref, obj, kind)
            for ref, obj, kind in reg.store.ref_objects("prompts/triage@v*")
        ]
        judged = {r.tag: (r.commit, r.problem) for r in reg.reader.releases(items)}
        assert {r.tag: (r.commit, r.problem) for r in reg.reader.releases(items)} == judged
    with Registry(repo.root) as reg:
        one_by_one = {r.tag: (r.commit, r.problem) for r in (reg.reader.release(*i) for i in items)}
    path_problem = "message records path 'prompts/elsewhere.prompt', but the tag's is "
    expected = {
        good: (first, None),
        also_good: (second, None),
        elsewhere: (third, path_problem + "'prompts/triage.prompt'"),
        unreadable: (None, "the tag object cannot be read"),
        light: (None, "a lightweight tag (it points at a commit), not a release"),
    }
    assert judged == expected
    assert one_by_one == expected
