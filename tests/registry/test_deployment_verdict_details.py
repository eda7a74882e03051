"""What `history --json` says about each deployment tag: who made it and when (read from the tag
object, for valid and rejected tags alike, signature refusals included), and the order of the
rejected ones (newest seq first; a tag whose name is not canonical last)."""

from __future__ import annotations

import json

import pytest

from promptreg.registry import Registry
from tests.conftest import Workspace, git
from tests.registry.test_deploy_signing import hand_made, signed

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
