"""One walk of the prompts directory: a prompt under a hidden directory (`prompts/.drafts/`) is
not one of the project's for any command (no prompt name has a segment starting with `.`),
and finding the prompts that include a partial is done one way, for `validate` and hooks."""

from __future__ import annotations

import json
from pathlib import Path

from promptreg.project.project import Project, in_hidden_directory, prompt_files_under, walk_files
from promptreg.registry import Registry
from tests.conftest import VALID_PROMPT, Workspace, commit, git

DRAFT = "prompts/.drafts/b.prompt"


def _with_a_draft(repo: Workspace) -> None:
    repo.write(DRAFT, VALID_PROMPT)
    repo.write("prompts/.drafts/partials/tone.j2", "Be curt.\n")
    repo.write("prompts/.hidden.j2", "{% include 'partials/tone.j2' %}\n")


def test_validate_and_validate_prompts_check_the_same_prompts(repo: Workspace, run):
    _with_a_draft(repo)
    everything = run("validate", "--json")
    directory = run("validate", "prompts", "--json")
    assert everything.code == directory.code == 0, everything.out + directory.out
    assert json.loads(everything.out)["files"] == json.loads(directory.out)["files"] == 1


def test_a_draft_named_on_the_command_line_is_told_why_it_is_no_prompt(repo: Workspace, run):
    _with_a_draft(repo)
    result = run("validate", DRAFT)
    assert result.code == 1
    assert "PR005 invalid name segment '.drafts'" in result.out


def test_list_and_the_registry_do_not_see_a_draft(repo: Workspace, run):
    _with_a_draft(repo)
    commit(repo, "a draft")
    listed = run("list", "--json")
    assert [p["name"] for p in json.loads(listed.out)["prompts"]] == ["triage"]
    with Registry(repo.root) as reg:
        assert reg.project.names() == ["triage"]


def test_the_hooks_skip_a_staged_draft_as_validate_does(repo: Workspace, run):
    _with_a_draft(repo)
    git(repo.root, "add", "-A")
    result = run("hook", "validate", DRAFT, "prompts/.drafts/partials/tone.j2")
    assert result.code == 0, result.out + result.err
    assert "PR005" not in result.out
    bumped = run("hook", "version-bump", DRAFT)
    assert bumped.code == 0, bumped.out + bumped.err


def test_the_walk_skips_hidden_directories_and_does_not_follow_symlinked_ones(
    ws: Workspace, tmp_path: Path
):
    ws.prompt("a/x")
    ws.write("prompts/.drafts/y.prompt", VALID_PROMPT)
    ws.write("prompts/.b.prompt", VALID_PROMPT)  # a hidden *file* is listed (and refused)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "z.prompt").write_text(VALID_PROMPT, encoding="utf-8")
    (ws.prompts / "linked").symlink_to(outside, target_is_directory=True)
    names = [p.relative_to(ws.prompts).as_posix() for p in prompt_files_under(ws.prompts)]
    assert names == [".b.prompt", "a/x.prompt"]
    assert all(p.is_absolute() for p in walk_files(ws.prompts))
    assert "partials/tone.j2" in {
        p.relative_to(ws.prompts).as_posix() for p in walk_files(ws.prompts)
    }
    assert in_hidden_directory(ws.prompts / ".drafts" / "y.prompt", ws.prompts)
    assert not in_hidden_directory(ws.prompts / ".b.prompt", ws.prompts)
    assert not in_hidden_directory(ws.prompts / "a" / "x.prompt", ws.prompts)
    assert not in_hidden_directory(ws.root / ".x" / "y.prompt", ws.prompts)  # not under it


def test_prompts_including_follows_partials_through_partials(ws: Workspace):
    ws.write("prompts/partials/outer.j2", "{% include 'partials/tone.j2' %}\n")
    ws.prompt("direct")  # VALID_PROMPT includes partials/tone.j2
    ws.prompt("indirect", VALID_PROMPT.replace("partials/tone.j2", "partials/outer.j2"))
    ws.prompt("none", VALID_PROMPT.replace('{% include "partials/tone.j2" %}', ""))
    ws.prompt("mentions", VALID_PROMPT.replace("{% include", "partials/tone.j2 {% include"))
    ws.write("prompts/.drafts/c.prompt", VALID_PROMPT)
    project = Project.open()
    found = project.prompts_including(["partials/tone.j2"])
    assert [project.name_for(p) for p in found] == ["direct", "indirect", "mentions"]
    assert project.prompts_including(["partials/outer.j2"]) == [ws.prompts / "indirect.prompt"]
    skipped = project.prompts_including(["partials/tone.j2"], skip={ws.prompts / "direct.prompt"})
    assert ws.prompts / "direct.prompt" not in skipped
