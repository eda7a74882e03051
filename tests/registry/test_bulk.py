"""Bulk work on a real collection (issue 13): release and promote many prompts at once, all or
nothing, through the real CLI on real git repositories."""

from __future__ import annotations

import json

import pytest

from promptreg.errors import GitError, TagExistsError
from promptreg.registry.gitstore import GitStore
from tests.conftest import VALID_PROMPT, Workspace, bump, commit, git
from tests.registry.test_deploy_signing import signed  # noqa: F401  (a fixture)


def tags(ws: Workspace) -> list[str]:
    return git(ws.root, "tag", "--list").split()


BROKEN_TEMPLATE = VALID_PROMPT.replace("({{ tier }})", "({{ tier }")
BAD_FRONT_MATTER = VALID_PROMPT.replace("version: 1.0.0", "version: one")


@pytest.fixture
def collection(repo: Workspace) -> Workspace:
    """Twelve valid prompts and two broken ones (a template error, a front-matter error)."""
    for i in range(12):
        repo.prompt(f"team/p{i:02d}")
    repo.prompt("team/p05", BROKEN_TEMPLATE)
    repo.prompt("team/p09", BAD_FRONT_MATTER)
    commit(repo, "a collection")
    return repo


def test_release_checks_everything_first_and_tags_nothing_on_any_refusal(collection, run):
    result = run("release")
    assert result.code == 1
    assert tags(collection) == []  # never half-way: not one tag
    assert "nothing released: 2 of 13 prompt(s) cannot be released" in result.err
    # every refusal is listed, each with its findings
    assert "team/p05: 1 finding(s):" in result.err
    assert "team/p09:" in result.err and "version" in result.err
    assert result.err.index("team/p05") < result.err.index("team/p09")  # in the given order


def test_release_after_the_fix_tags_every_prompt_in_one_go(collection, run):
    collection.prompt("team/p05")
    collection.prompt("team/p09")
    commit(collection, "fixed")
    result = run("release", "--json")
    assert result.code == 0, result.err
    released = json.loads(result.out)["released"]
    assert len(released) == 13 and all(r["created"] for r in released)
    assert len(tags(collection)) == 13
    again = json.loads(run("release", "--json").out)["released"]
    assert not any(r["created"] for r in again)  # idempotent
    # the tags are the annotated tags promptreg always made (and they count)
    assert run("verify").code == 0
    obj = git(collection.root, "cat-file", "-p", "prompts/team/p00@v1.0.0")
    assert "type commit\ntag prompts/team/p00@v1.0.0\ntagger Ada Promoter" in obj


def test_a_reused_version_and_an_invalid_prompt_are_both_listed(repo: Workspace, run):
    repo.prompt("other")
    commit(repo, "two prompts")
    assert run("release", "triage").code == 0
    bump(repo, "triage", "1.0.0", ("You triage tickets.", "You sort tickets."))
    repo.prompt("other", BROKEN_TEMPLATE)
    repo.prompt("third")
    commit(repo, "changes")
    result = run("release")
    assert result.code == 1
    assert "triage 1.0.0 was already released with different content" in result.err
    assert "other: 1 finding(s)" in result.err
    assert tags(repo) == ["prompts/triage@v1.0.0"]  # `third` is valid, yet not tagged


def test_a_misspelt_name_is_a_usage_error_and_nothing_is_tagged(repo: Workspace, run):
    result = run("release", "triage", "nope")
    assert result.code == 2
    assert "nope: prompts/nope.prompt does not exist at commit" in result.err
    assert tags(repo) == []


def test_publish_tags_is_one_transaction(repo: Workspace):
    store = GitStore(repo.root)
    head = git(repo.root, "rev-parse", "HEAD").strip()
    git(repo.root, "tag", "b-taken", head)
    objs = store.make_tag_objects(
        [(name, head, f"{name}\n", False) for name in ("a-new", "b-taken", "c-new")]
    )
    with pytest.raises(TagExistsError) as err:
        store.publish_tags(list(zip(("a-new", "b-taken", "c-new"), objs, strict=True)))
    assert err.value.tag == "b-taken"
    assert tags(repo) == ["b-taken"]  # neither a-new nor c-new: all or nothing
    assert git(repo.root, "rev-parse", "b-taken").strip() == head  # never moved
    store.publish_tags([("a-new", objs[0])])
    assert git(repo.root, "cat-file", "-t", "a-new").strip() == "tag"
    git(repo.root, "fsck", "--strict", "--no-dangling")  # well-formed objects, as mktag's


def test_tag_objects_are_checked_as_mktag_checks_them(repo: Workspace):
    """The batch writer refuses what `git mktag` refuses: a tag of a commit that is not
    there (and writes nothing a ref could point at)."""
    store = GitStore(repo.root)
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(GitError, match="unpack-objects"):
        store.make_tag_objects([("x", missing, "x\n", False)])
    head = git(repo.root, "rev-parse", "HEAD").strip()
    (obj,) = store.make_tag_objects([("y", head, "y\n", False)])
    # the same object `git mktag` makes from the same text
    text = git(repo.root, "cat-file", "tag", obj)
    import subprocess

    again = subprocess.run(
        ["git", "mktag"], cwd=repo.root, input=text, capture_output=True, text=True, check=True
    )
    assert again.stdout.strip() == obj


@pytest.mark.parametrize(
    "where", ["x.prompt.yml", "prompts/x.prompt.yml", "prompts/team/notes.md", "README"]
)
def test_validate_of_a_file_promptreg_does_not_read_is_a_usage_error(repo: Workspace, run, where):
    """`validate x.prompty` said "0 prompts checked, no findings" and exited 0 (issue 13);
    `.prompty` files are prompts since issue 12, GitHub Models files are not."""
    repo.write(where, VALID_PROMPT)
    result = run("validate", where)
    assert result.code == 2, result.err
    assert "is not a prompt file" in result.err
    assert "promptreg reads prompt files (*.prompt, *.prompty)" in result.err
    assert "checked" not in result.err


def test_validate_still_takes_what_it_reads(repo: Workspace, run):
    assert run("validate", "prompts/partials/tone.j2").code == 0  # a partial: its prompts
    assert "1 prompt checked" in run("validate", "prompts/partials/tone.j2").err
    assert run("validate", "prompts/triage.prompt", "triage", "prompts").code == 0
    assert run("validate", "promptreg.yaml").code == 0
    assert run("validate", "x.prompt").code == 2  # no such file: a usage error, as before


def _long_name() -> str:
    # 248 characters, every segment within the 100 a segment may have: only the tag is long
    return "/".join(["a" * 99, "b" * 99, "c" * 48])


def test_a_version_too_long_for_a_git_ref_is_reported_up_front(repo: Workspace, run):
    """A tag that cannot be a ref failed `release` with "its tag keeps changing" (issue 13):
    validate reports it (PR007), and release refuses it naming the cause, tagging nothing."""
    long_version = "1.0.0-" + "r" * 200
    name = "x" * 60
    repo.prompt(name, VALID_PROMPT.replace("version: 1.0.0", f"version: {long_version}"))
    commit(repo, "long version")
    found = run("validate", name)
    assert found.code == 1 and "PR007" in found.out and "over 250" in found.out
    result = run("release")
    assert result.code == 1
    assert f"{name}: PR007 cannot create a tag for this prompt" in result.err
    assert tags(repo) == []


def test_ref_limits_cover_the_whole_tag():
    from promptreg.names import MAX_REF, name_problem, ref_problem
    from promptreg.registry.tags import deployment_tag, release_tag

    assert name_problem(_long_name()) is None
    assert ref_problem(release_tag(_long_name(), "1.0.0")) is None
    assert ref_problem(deployment_tag(_long_name(), "production", 1)) is None
    deep = "/".join(["d" * 99] * 9)  # every segment valid, the ref over MAX_REF bytes
    assert name_problem(deep) is None
    problem = ref_problem(release_tag(deep, "1.0.0"))
    assert problem is not None and f"over {MAX_REF}" in problem


@pytest.fixture
def fleet(repo: Workspace) -> Workspace:
    for i in range(6):
        repo.prompt(f"team/p{i}")
    commit(repo, "a fleet")
    return repo


def test_promote_several_names_globs_and_all_in_one_go(fleet: Workspace, run):
    result = run("promote", "team/p1", "team/p2", "--to", "dev", "--json")
    assert result.code == 0, result.err
    promoted = json.loads(result.out)["promoted"]
    assert [p["tag"] for p in promoted] == [
        "prompts/team/p1@dev/000001",
        "prompts/team/p2@dev/000001",
    ]
    glob = run("promote", "team/*", "--to", "dev")
    assert glob.code == 0, glob.err
    assert "promoted  team/p0 1.0.0 to dev  (prompts/team/p0@dev/000001)" in glob.out
    assert "dev already runs team/p1 1.0.0" in glob.err  # nothing to do for those
    every = run("promote", "--all", "--to", "dev")
    assert every.code == 0 and "promoted  triage 1.0.0 to dev" in every.out
    assert run("verify").code == 0  # every tag counts for the read model
    history = json.loads(run("history", "team/p3", "--json").out)["deployments"]
    assert [(d["env"], d["seq"], d["version"]) for d in history] == [("dev", 1, "1.0.0")]


def test_promote_several_is_all_or_nothing_with_the_same_checks(fleet: Workspace, run):
    assert run("promote", "team/p0", "team/p1", "--to", "dev").code == 0
    before = tags(fleet)
    # p2 never reached dev: the promotion order refuses it, so p0 and p1 do not move either
    refused = run("promote", "team/p0", "team/p1", "team/p2", "--to", "staging")
    assert refused.code == 1
    assert "team/p2: team/p2 1.0.0 is not what dev runs (dev runs nothing yet)" in refused.err
    assert "nothing promoted: 1 of 3 prompt(s)" in refused.err
    assert tags(fleet) == before
    forced = run(
        "promote", "team/p0", "team/p2", "--to", "staging", "--force", "--reason", "hotfix"
    )
    assert forced.code == 0, forced.err
    tag = git(fleet.root, "cat-file", "-p", "prompts/team/p2@staging/000001")
    assert "forced: true" in tag and "hotfix" in tag and "overrides:" in tag


def test_promote_several_with_push_is_one_atomic_push(fleet: Workspace, tmp_path, run):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(fleet.root, "remote", "add", "origin", str(remote))
    git(fleet.root, "push", "-q", "origin", "HEAD")
    result = run("promote", "team/p3", "team/p4", "--to", "dev", "--push")
    assert result.code == 0, result.err
    remote_tags = git(remote, "tag", "--list").split()
    assert "prompts/team/p3@dev/000001" in remote_tags
    assert "prompts/team/p4@v1.0.0" in remote_tags  # the version tags go with them
    # someone took seq 1 of p5 on the remote meanwhile: promote fetches the remote's tags of
    # those environments first, so the batch takes the next free seqs at once
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    git(other, "tag", "-a", "-m", "elsewhere", "prompts/team/p5@dev/000001", "HEAD")
    git(other, "push", "-q", "origin", "prompts/team/p5@dev/000001")
    again = run("promote", "team/p5", "team/p0", "--to", "dev", "--push", "--json")
    assert again.code == 0, again.err
    done = {p["name"]: p for p in json.loads(again.out)["promoted"]}
    assert done["team/p5"]["tag"] == "prompts/team/p5@dev/000002"
    assert done["team/p5"]["attempts"] == done["team/p0"]["attempts"] == 1
    remote_tags = git(remote, "tag", "--list").split()
    assert {"prompts/team/p5@dev/000002", "prompts/team/p0@dev/000001"} <= set(remote_tags)
    assert "prompts/team/p0@dev/000002" not in remote_tags


LAYERED = """\
---
version: 1.0.0
description: x
model: {provider: openai, name: gpt-4o-mini}
inputs:
  ticket: {type: string, required: true, default: oops}
sample: {ticket: "x"}
---
system:
Hello {{ ticket }}
{% if ticket %} unclosed
"""


def test_a_template_error_hides_no_front_matter_finding(repo: Workspace, run):
    """Fixing one prompt took 57 validate runs: each run showed one layer (issue 13)."""
    repo.write("promptreg.yaml", "prompts_dir: prompts\nlint:\n  require_budget: true\n")
    repo.prompt("layered", LAYERED)
    result = run("validate", "layered", "--json")
    codes = sorted(f["code"] for f in json.loads(result.out)["findings"])
    assert codes == ["PR025", "PR031", "PR032", "PR040"]


def test_a_schema_error_hides_no_input_finding(repo: Workspace, run):
    text = VALID_PROMPT.replace("version: 1.0.0", "version: one").replace(
        "{{ ticket }}", "{{ ticket }} {{ customer }}"
    )
    repo.prompt("schema", text)
    result = run("validate", "schema", "--json")
    found = {(f["code"], f["message"].split(",")[0]) for f in json.loads(result.out)["findings"]}
    assert ("PR041", "template uses `customer`") in found
    assert "PR024" in {code for code, _ in found}


@pytest.mark.parametrize(
    ("before", "line_text"),
    [
        ("", "odd {% if x # %}{% endif %}"),
        ("user:\nsome text\n" * 40, "x {{ a }} and then {% foo # %}"),
        ("a" * 5000 + "\n", "{{ '#' }} # {% # %}"),
    ],
)
def test_an_unexpected_character_has_its_line_and_column(repo: Workspace, run, before, line_text):
    """`unexpected char '#' at 37387`, column always 1, became a line and a column."""
    head = VALID_PROMPT.split("---\nsystem:")[0] + "---\nsystem:\n"
    body = before + line_text + "\n"
    repo.prompt("odd", head + body)
    (finding,) = [
        f
        for f in json.loads(run("validate", "odd", "--json").out)["findings"]
        if f["code"] == "PR040"
    ]
    lines = (head + body).split("\n")
    assert lines[finding["line"] - 1] == line_text
    col = finding["col"]
    assert line_text[col - 1] == "#" and line_text.rfind("# %}") == col - 1
    # (then the `{% raw %}` advice for literal braces on that line: issue 12 §3)
    assert finding["message"].split(";")[0] == "unexpected char '#'"


def test_promote_several_signs_where_signing_requires_it(signed, run):  # noqa: F811
    """The batch writer signs each tag as a single promote does; prod serves them."""
    from promptreg.registry import Registry

    signed.prompt("other", VALID_PROMPT.replace("tickets.", "tickets!"))
    bump(signed, "triage", "1.1.0", ("You triage tickets.", "You triage tickets well."))
    commit(signed, "two prompts to ship")
    for env in ("dev", "staging", "prod"):
        result = run("promote", "triage", "other", "--to", env)
        assert result.code == 0, result.err
    for name in ("triage", "other"):
        text = git(
            signed.root, "cat-file", "tag", f"prompts/{name}@prod/00000{1 + (name == 'triage')}"
        )
        assert "-----BEGIN" in text and "SIGNATURE-----" in text
    assert run("verify").code == 0
    with Registry(signed.root) as reg:
        assert reg.get("other@prod").version == "1.0.0"
        assert reg.get("triage@prod").version == "1.1.0"
