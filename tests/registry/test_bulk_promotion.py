"""Promoting several prompts at once (`promote A B --to ENV`, deploy.py's `promote_many`), as
its user sees it: what each result says, `--from`, `--push` (with a teammate pushing at the
same moment), a tag of one of those names created here meanwhile, and the refusals; and the
single `promote --push` of what already runs here but not on the remote."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import promptreg.registry.deploy as deploy
from promptreg.errors import PromotionRefused, PromptregError, UsageError
from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from promptreg.registry.state_ref import read_state
from tests.conftest import VALID_PROMPT, Workspace, commit, git

V110 = VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace("tickets.", "tickets!")
NAMES = ("triage", "other")


@pytest.fixture
def two(repo: Workspace) -> Workspace:
    repo.prompt("other")
    commit(repo, "a second prompt")
    return repo


def head(ws: Workspace) -> str:
    return git(ws.root, "rev-parse", "HEAD").strip()


def promoted(run, *args: str) -> dict[str, dict]:
    result = run("promote", *NAMES, *args, "--json")
    assert result.code == 0, result.err
    return {d["name"]: d for d in json.loads(result.out)["promoted"]}


def message(ws: Workspace, tag: str) -> str:
    return git(ws.root, "for-each-ref", "--format=%(contents)", f"refs/tags/{tag}")


def with_remote(ws: Workspace, tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(ws.root, "remote", "add", "origin", str(bare))
    git(ws.root, "push", "-q", "origin", "main")
    return bare


def test_each_result_says_what_was_deployed_and_what_ran_before(two: Workspace, run):
    first = promoted(run, "--to", "dev")
    at = head(two)
    for name in NAMES:
        assert first[name] == {
            "name": name,
            "env": "dev",
            "tag": f"prompts/{name}@dev/000001",
            "version": "1.0.0",
            "commit": at,
            "action": "promote",
            "previous": None,
            "pushed_to": None,
            "attempts": 1,
            "released": {
                "name": name,
                "version": "1.0.0",
                "tag": f"prompts/{name}@v1.0.0",
                "commit": at,
                "created": True,
                "note": None,
            },
            "notes": [],
        }
    for name in NAMES:
        two.prompt(name, V110)
    later = commit(two, "1.1.0")
    second = promoted(run, "--to", "dev")
    for name in NAMES:
        tag = f"prompts/{name}@dev/000002"
        assert (second[name]["tag"], second[name]["commit"]) == (tag, later)
        assert second[name]["previous"] == f"prompts/{name}@dev/000001"
        assert f"previous: prompts/{name}@dev/000001\n" in message(two, tag)
        assert "action: promote\n" in message(two, tag)
    again = promoted(run, "--to", "dev")
    for name in NAMES:
        assert again[name] == {
            "name": name,
            "env": "dev",
            "tag": None,
            "version": "1.1.0",
            "commit": later,
            "action": "promote",
            "previous": f"prompts/{name}@dev/000002",
            "pushed_to": None,
            "attempts": 1,
            "released": {
                "name": name,
                "version": "1.1.0",
                "tag": f"prompts/{name}@v1.1.0",
                "commit": later,
                "created": False,
                "note": None,
            },
            "notes": [f"dev already runs {name} 1.1.0 (prompts/{name}@dev/000002): nothing to do"],
        }


def test_from_deploys_what_the_other_environment_runs(two: Workspace, run):
    at = head(two)
    promoted(run, "--to", "dev")
    for name in NAMES:
        two.prompt(name, V110)
    commit(two, "1.1.0, not deployed")
    staged = promoted(run, "--to", "staging", "--from", "dev")
    for name in NAMES:
        assert (staged[name]["version"], staged[name]["commit"]) == ("1.0.0", at)
        assert staged[name]["released"] is None and staged[name]["previous"] is None


def test_from_refuses_every_prompt_the_other_environment_never_ran(two: Workspace, run):
    result = run("promote", *NAMES, "--to", "staging", "--from", "dev")
    assert result.code == 1
    for name in NAMES:
        assert f"{name} has never been deployed to dev" in result.err
    bad = run("promote", *NAMES, "--to", "staging", "--from", "qa")
    assert bad.code == 2 and "'qa' is not declared in promptreg.yaml" in bad.err


def test_every_prompt_out_of_promotion_order_is_refused(two: Workspace, run):
    promoted(run, "--to", "dev")
    two.prompt("triage", V110)
    commit(two, "triage 1.1.0")
    result = run("promote", *NAMES, "--to", "prod")
    assert result.code == 1
    for name, version in (("triage", "1.1.0"), ("other", "1.0.0")):
        assert f"{name} {version} is not what staging runs (staging runs nothing yet)" in (
            result.err
        )
    result = run("promote", *NAMES, "--to", "staging")
    assert result.code == 1
    assert "triage 1.1.0 is not what dev runs (dev runs 1.0.0): promote it to dev" in result.err
    assert git(two.root, "tag", "--list", "prompts/*@staging/*") == ""


def test_force_needs_a_reason_that_says_something(two: Workspace, run):
    for args in ((), ("--reason", "  ")):
        result = run("promote", *NAMES, "--to", "prod", "--force", *args)
        assert result.code == 2
        assert "--force needs --reason: the reason is written into the deployment tag" in (
            result.err
        )
    single = run("promote", "triage", "--to", "prod", "--force")
    assert "--force needs --reason: the reason is written into the deployment tag" in single.err
    both = run("promote", "triage", "--to", "staging", "--version", "1.0.0", "--from", "dev")
    assert both.code == 2 and "give --version or --from, not both" in both.err


def test_no_prompt_to_promote_is_a_usage_error(two: Workspace):
    with Registry(two.root) as reg, pytest.raises(UsageError, match=r"^no prompt to promote$"):
        deploy.promote_many(reg, [], to="dev", gate=lambda prompt, current: [])


# -- with a remote ----------------------------------------------------------------------------


def test_a_bulk_push_publishes_tags_releases_and_state(two: Workspace, run, tmp_path: Path):
    bare = with_remote(two, tmp_path)
    promoted(run, "--to", "dev", "--no-push")  # here only: the releases are not on the remote
    pushed = promoted(run, "--to", "staging", "--push")
    for name in NAMES:
        assert pushed[name]["pushed_to"] == "origin"
    on_remote = git(bare, "tag", "--list").split()
    for name in NAMES:
        assert f"prompts/{name}@staging/000001" in on_remote
        assert f"prompts/{name}@v1.0.0" in on_remote  # released before, pushed with them
    with GitStore(bare) as remote:
        found = read_state(remote)
        tags = {ref: obj for ref, obj, _ in remote.ref_objects("prompts/")}
    assert found is not None
    assert {("other", "staging"), ("triage", "staging")} <= set(found[1])
    for name in NAMES:
        entry = found[1][(name, "staging")]
        assert tags[entry.tag] == entry.object
    fromed = promoted(run, "--to", "prod", "--from", "staging", "--push")
    assert all(d["tag"].endswith("@prod/000001") for d in fromed.values())
    with GitStore(bare) as remote:
        found = read_state(remote)
    assert found is not None and {("other", "prod"), ("triage", "prod")} <= set(found[1])


def _racing(monkeypatch: pytest.MonkeyPatch, where: str, racer: Callable[[], None]) -> list[int]:
    """Call `racer` once, just before deploy.py's first call of `where` (a function it
    calls): another promoter acting at that moment."""
    real = getattr(deploy if "." not in where else deploy.readmany, where.split(".")[-1])
    calls: list[int] = []

    def racing(*args, **kwargs):
        if not calls:
            racer()
        calls.append(1)
        return real(*args, **kwargs)

    target = deploy if "." not in where else deploy.readmany
    monkeypatch.setattr(target, where.split(".")[-1], racing)
    return calls


def test_a_bulk_push_beaten_by_a_teammate_takes_the_next_seqs(
    two: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bare = with_remote(two, tmp_path)
    promoted(run, "--to", "dev", "--push")
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(bare), str(teammate))
    git(teammate, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    Workspace(teammate).prompt("triage", V110.replace("1.1.0", "1.2.0"))
    commit(Workspace(teammate), "their 1.2.0")

    def racer() -> None:
        subprocess.run(
            [sys.executable, "-m", "promptreg", "promote", "triage", "--to", "dev", "--push"],
            cwd=teammate,
            check=True,
            capture_output=True,
        )

    for name in NAMES:
        two.prompt(name, V110.replace("tickets!", "tickets?"))
    commit(two, "our 1.1.0")
    pushes = _racing(monkeypatch, "push_refs", racer)
    result = run("promote", *NAMES, "--to", "dev", "--push", "--json")
    assert result.code == 0, result.err
    done = {d["name"]: d for d in json.loads(result.out)["promoted"]}
    assert len(pushes) == 2
    assert (done["triage"]["tag"], done["triage"]["attempts"]) == ("prompts/triage@dev/000003", 2)
    assert done["triage"]["previous"] == "prompts/triage@dev/000002"  # the teammate's
    assert done["other"]["tag"] == "prompts/other@dev/000002"
    assert "prompts/triage@dev/000003" in git(bare, "tag", "--list").split()


def _local_tag_meanwhile(ws: Workspace, tag: str) -> Callable[[], None]:
    def racer() -> None:
        git(ws.root, "tag", tag, head(ws))

    return racer


def test_a_tag_made_here_meanwhile_is_stepped_over(
    two: Workspace, run, monkeypatch: pytest.MonkeyPatch
):
    judged = _racing(
        monkeypatch, "readmany.judge_refs", _local_tag_meanwhile(two, "prompts/other@dev/000001")
    )
    done = promoted(run, "--to", "dev")
    assert len(judged) == 2
    assert (done["other"]["tag"], done["other"]["attempts"]) == ("prompts/other@dev/000002", 2)
    assert done["triage"]["tag"] == "prompts/triage@dev/000001"


def test_a_tag_made_here_after_our_push_is_reported(
    two: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    bare = with_remote(two, tmp_path)
    _racing(
        monkeypatch, "readmany.judge_refs", _local_tag_meanwhile(two, "prompts/other@dev/000001")
    )
    result = run("promote", *NAMES, "--to", "dev", "--push")
    assert result.code == 1
    assert result.err.strip() == (
        "promptreg: error: pushed the tags to origin, but a local tag of one of those names "
        "appeared meanwhile; run `git fetch --tags` and check `promptreg history`"
    )
    assert "prompts/other@dev/000001" in git(bare, "tag", "--list").split()


# -- one prompt, already running here ---------------------------------------------------------


def test_promote_push_of_what_runs_here_pushes_it(two: Workspace, run, tmp_path: Path):
    bare = with_remote(two, tmp_path)
    promoted(run, "--to", "dev", "--no-push")  # both, here only
    result = run("promote", "triage", "--to", "dev", "--push", "--json")
    assert result.code == 0, result.err
    done = json.loads(result.out)
    assert (done["tag"], done["previous"], done["pushed_to"]) == (
        None,
        "prompts/triage@dev/000001",
        "origin",
    )
    assert (done["name"], done["env"], done["version"], done["action"]) == (
        "triage",
        "dev",
        "1.0.0",
        "promote",
    )
    assert done["commit"] == head(two)
    assert done["notes"] and done["notes"][0].startswith(
        "dev already runs triage 1.0.0 (prompts/triage@dev/000001)"
    )
    on_remote = git(bare, "tag", "--list").split()
    assert "prompts/triage@dev/000001" in on_remote
    assert "prompts/other@dev/000001" not in on_remote  # only the prompt named


def test_sign_signs_the_tags(two: Workspace, run, tmp_path: Path):
    key = tmp_path / "ada"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", str(key)], check=True
    )
    git(two.root, "config", "gpg.format", "ssh")
    git(two.root, "config", "user.signingkey", str(key))
    promoted(run, "--to", "dev", "--sign")
    assert run("promote", "triage", "--to", "staging", "--sign").code == 0
    for tag in (
        "prompts/triage@dev/000001",
        "prompts/other@dev/000001",
        "prompts/triage@staging/000001",
    ):
        assert "-----BEGIN SSH SIGNATURE-----" in git(two.root, "cat-file", "tag", tag)


def test_the_api_neither_forces_nor_signs_unless_asked(two: Workspace, run):
    """No signing key is configured here: a signed tag could not be made."""
    with Registry(two.root) as reg:
        with pytest.raises(PromotionRefused, match="is not what dev runs"):
            deploy.promote_many(reg, list(NAMES), to="staging", gate=lambda p, c: [])
        done = deploy.promote_many(reg, list(NAMES), to="dev", gate=lambda p, c: [])
    assert [d.tag for d in done] == ["prompts/triage@dev/000001", "prompts/other@dev/000001"]
    assert "SIGNATURE" not in git(two.root, "cat-file", "tag", "prompts/triage@dev/000001")


def test_usage_errors_say_exactly_what_to_do(two: Workspace, run):
    result = run("promote", *NAMES, "--to", "prod", "--force")
    assert result.err.strip().endswith(
        "error: --force needs --reason: the reason is written into the deployment tag"
    ), result.err
    single = run("promote", "triage", "--to", "prod", "--force")
    assert single.err.strip().endswith(
        "error: --force needs --reason: the reason is written into the deployment tag"
    ), single.err
    both = run("promote", "triage", "--to", "staging", "--version", "1.0.0", "--from", "dev")
    assert both.err.strip().endswith("error: give --version or --from, not both"), both.err


def test_the_messages_record_scores_and_overrides_only_where_there_are_some(two: Workspace, run):
    two.prompt(
        "other", VALID_PROMPT.replace("sample:", "evals:\n  scores: {accuracy: 0.9}\nsample:")
    )
    commit(two, "other records a score")
    done = promoted(run, "--to", "dev")
    assert 'scores: {"accuracy": 0.9}' in message(two, done["other"]["tag"])
    assert "overrides" not in message(two, done["triage"]["tag"])
    forced = promoted(run, "--to", "prod", "--force", "--reason", "hotfix")
    for name in NAMES:
        note = f"overridden: {name} 1.0.0 is not what staging runs (staging runs nothing yet)"
        assert forced[name]["notes"] == [note + ": promote it to staging first"]
        text = message(two, forced[name]["tag"])
        assert "overrides:" in text and "reason: hotfix" in text


def test_a_bulk_promotion_re_records_legacy_deployments(two: Workspace, run):
    """A scheme-1 record of the same version is re-recorded, with the reason saying so."""
    from tests.registry.test_legacy_hashes import scheme1_tag

    scheme1_tag(two, "dev", head(two))
    done = promoted(run, "--to", "dev")
    assert done["triage"]["tag"] == "prompts/triage@dev/000002"
    text = message(two, "prompts/triage@dev/000002")
    assert f"reason: {deploy.RERECORD_REASON}\n" in text
    assert "reason: null" in message(two, done["other"]["tag"])


def test_a_bulk_promotion_signed_by_a_key_not_allowed_creates_nothing(
    two: Workspace, run, tmp_path: Path
):
    keys = {}
    for who in ("ada", "eve"):
        keys[who] = tmp_path / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(keys[who])],
            check=True,
        )
    public = keys["ada"].with_suffix(".pub").read_text(encoding="utf-8").strip()
    two.write(".promptreg/allowed_signers", f'ada@example.com namespaces="git" {public}\n')
    two.write(
        "promptreg.yaml",
        "prompts_dir: prompts\nsigning:\n  environments: [dev]\n"
        "  allowed_signers: .promptreg/allowed_signers\n",
    )
    commit(two, "dev deployments must be signed by ada")
    git(two.root, "config", "gpg.format", "ssh")
    git(two.root, "config", "user.signingkey", str(keys["eve"]))
    result = run("promote", *NAMES, "--to", "dev")
    assert result.code == 1
    assert "error: prompts/triage@dev/000001 would not count as a deployment (" in result.err
    assert git(two.root, "tag", "--list", "prompts/*@dev/*") == ""


def test_from_an_environment_further_back_is_fetched_first(two: Workspace, run, tmp_path: Path):
    """`--from dev --to prod`: dev is not the environment before prod, and what it runs is
    known only to the remote (a teammate deployed it): it is fetched all the same."""
    bare = with_remote(two, tmp_path)
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(bare), str(teammate))
    subprocess.run(
        [sys.executable, "-m", "promptreg", "promote", *NAMES, "--to", "dev", "--push"],
        cwd=teammate,
        check=True,
        capture_output=True,
    )
    single = run(
        "promote", "triage", "--to", "prod", "--from", "dev", "--push", "--force", "--reason", "r"
    )
    assert single.code == 0, single.err
    done = promoted(run, "--to", "prod", "--from", "dev", "--push", "--force", "--reason", "r")
    assert done["other"]["tag"] == "prompts/other@prod/000001"
    assert done["triage"]["tag"] is None  # the single promote deployed it already


def test_a_remote_that_wins_every_race_is_given_up_on(two: Workspace, run, tmp_path: Path):
    """Each push is beaten by a tag of the same name made on the remote (the pushed tag's
    own message, tagged by someone else): promote fetches, takes the next seqs, and stops
    after MAX_ATTEMPTS pushes."""
    from promptreg.registry.tagging import MAX_ATTEMPTS

    bare = with_remote(two, tmp_path)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(
        '#!/bin/sh\necho push >> "$GIT_DIR/pushes"\n'
        "while read old new ref; do\n"
        '  case "$ref" in refs/tags/prompts/*@dev/*) ;; *) continue ;; esac\n'
        '  msg=$(git cat-file tag "$new" | sed "1,/^$/d")\n'
        '  commit=$(git cat-file tag "$new" | sed -n "s/^object //p")\n'
        "  (\n"
        "  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        '  obj=$(printf "object %s\\ntype commit\\ntag %s\\ntagger Bob <bob@example.com> '
        '1700000000 +0000\\n\\n%s\\n" "$commit" "${ref#refs/tags/}" "$msg" | git mktag)\n'
        '  git update-ref "$ref" "$obj"\n'
        "  )\n"
        "done\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    result = run("promote", *NAMES, "--to", "dev", "--push")
    assert result.code == 1
    assert result.err.strip() == (
        f"promptreg: error: gave up after {MAX_ATTEMPTS} attempts: dev keeps changing under us"
    )
    pushes = (bare / "pushes").read_text(encoding="utf-8").splitlines()
    assert len(pushes) == MAX_ATTEMPTS


def test_a_release_made_meanwhile_is_left_as_it_is(
    two: Workspace, run, monkeypatch: pytest.MonkeyPatch
):
    """`release other` from the same HEAD runs while we promote: its release tag (the same
    content) is taken as it is, not created a second time."""
    from promptreg.registry.release import release

    def racer() -> None:
        with Registry(two.root) as reg:
            release(reg, ["other"])

    _racing(monkeypatch, "readmany.logs", racer)
    done = promoted(run, "--to", "dev")
    assert done["other"]["attempts"] == 1 and done["triage"]["attempts"] == 1
    assert "prompts/other@v1.0.0" in git(two.root, "tag", "--list").split()


def test_every_refusal_of_a_prompt_is_said_and_the_gate_sees_what_runs_there(two: Workspace):
    """A prompt refused for its promotion order and by the gate is refused for both, joined
    in one message; the gate is handed what the environment runs now (its baseline)."""
    seen: dict[str, str | None] = {}

    def gate(prompt, current) -> list[str]:
        seen[prompt.name] = current.tag if current is not None else None
        return [] if prompt.version == "1.0.0" else [f"{prompt.name}: the evals say no"]

    with Registry(two.root) as reg:
        for env in ("dev", "staging"):
            deploy.promote_many(reg, list(NAMES), to=env, gate=gate)
    two.prompt("triage", V110)
    commit(two, "triage 1.1.0")
    with Registry(two.root) as reg:
        with pytest.raises(PromotionRefused) as refused:
            deploy.promote_many(reg, ["triage"], to="staging", gate=gate)
        assert seen["triage"] == "prompts/triage@staging/000001"
        ((name, err),) = refused.value.refusals
        assert name == "triage" and str(err) == (
            "triage 1.1.0 is not what dev runs (dev runs 1.0.0): promote it to dev first; "
            "triage: the evals say no"
        )
        with pytest.raises(PromptregError) as single:
            deploy.promote(reg, "triage", to="staging", gate=gate)
        assert str(single.value).startswith(
            "triage 1.1.0 is not what dev runs (dev runs 1.0.0): promote it to dev first; "
            "triage: the evals say no. To override, add --force --reason '<why>' "
        )
