"""Symlinks under the prompts directory: one behaviour in the working tree and in git (PR006),
where the tree would follow a link and git would store it (a deployed prompt rendering the
link's target path as text)."""

from __future__ import annotations

import re

import pytest

from promptreg.errors import PromptFileError, PromptregError
from promptreg.project.project import Project
from promptreg.registry import Registry
from promptreg.registry.treelinks import _special_names
from tests.conftest import Workspace, commit

PROMPT = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
---
user:
{% include "partials/b.j2" %} X
"""
PLAIN = PROMPT.replace('{% include "partials/b.j2" %}', "plain")


def codes(text: str) -> list[str]:
    return [line.split(" ")[1] for line in text.splitlines() if ": PR" in line]


@pytest.fixture
def linked_partial(ws: Workspace) -> Workspace:
    ws.write("prompts/partials/real.j2", "REAL PARTIAL TEXT")
    (ws.prompts / "partials" / "b.j2").symlink_to("real.j2")
    ws.prompt("a", PROMPT)
    return ws


def test_a_symlinked_partial_is_refused_in_the_tree(linked_partial: Workspace, run):
    result = run("validate")
    assert result.code == 1
    assert "PR006" in codes(result.out)
    assert "prompts/a.prompt:6:1: PR006 include 'partials/b.j2' is a symlink" in result.out
    rendered = run("render", "a")
    assert rendered.code == 1 and "PR006" in rendered.err and "REAL" not in rendered.out
    with pytest.raises(PromptFileError, match="PR006"):
        Project.open(linked_partial.root).load("a")


@pytest.mark.parametrize("where", ["file", "directory"])
def test_a_symlinked_prompt_is_refused_in_the_tree(ws: Workspace, run, where: str):
    if where == "file":
        ws.prompt("real", PLAIN)
        (ws.prompts / "l.prompt").symlink_to("real.prompt")
        arg, name = "prompts/l.prompt", "l"
    else:
        ws.prompt("sub/d", PLAIN)
        (ws.prompts / "linkdir").symlink_to("sub")
        arg, name = "prompts/linkdir/d.prompt", "linkdir/d"
    explicit = run("validate", arg)
    assert explicit.code == 1 and codes(explicit.out) == ["PR006"]
    assert run("render", name).code == 1
    with pytest.raises(PromptregError, match="PR006"):
        Project.open(ws.root).load(name)
    everything = run("validate")
    assert everything.code == (1 if where == "file" else 0)  # a linked directory is not walked
    listing = run("list")
    assert listing.code in (0, 1) and "Traceback" not in listing.err


def test_a_partial_symlink_loop_is_a_finding_not_a_crash(ws: Workspace, run):
    (ws.prompts / "partials" / "loop1.j2").symlink_to("loop2.j2")
    (ws.prompts / "partials" / "loop2.j2").symlink_to("loop1.j2")
    ws.prompt("a", PROMPT.replace("b.j2", "loop1.j2"))
    result = run("validate")
    assert result.code == 1 and codes(result.out) == ["PR006"]
    assert run("render", "a").code == 1


def test_git_refuses_what_the_tree_refuses(repo: Workspace, run):
    """Committed links are blobs of mode 120000: the registry reading a commit refuses them
    with the same code, instead of rendering the link's target path as text."""
    repo.write("prompts/partials/real.j2", "REAL PARTIAL TEXT")
    (repo.prompts / "partials" / "b.j2").symlink_to("real.j2")
    repo.prompt("a", PROMPT)
    repo.prompt("sub/d", PLAIN)
    (repo.prompts / "l.prompt").symlink_to("sub/d.prompt")
    (repo.prompts / "linkdir").symlink_to("sub")
    commit(repo, "links")
    with Registry(repo.root) as reg:
        with pytest.raises(
            PromptFileError, match=re.escape("PR006 include 'partials/b.j2' is a symlink")
        ):
            reg.get("a@HEAD")
        with pytest.raises(PromptFileError, match="PR006 this prompt file is a symlink"):
            reg.get("l@HEAD")
        with pytest.raises(PromptFileError, match="symlinked directory 'linkdir'"):
            reg.get("linkdir/d@HEAD")
        assert reg.get("sub/d@HEAD").render()[0]["content"] == "plain X"
    assert run("promote", "a", "--to", "dev").code == 1
    assert run("promote", "l", "--to", "dev").code == 1


def test_tree_entries_are_read_by_entry_not_by_substring():
    h = b"\x01" * 20

    def entry(mode: bytes, name: bytes) -> bytes:
        return mode + b" " + name + b"\0" + h

    decoy = entry(b"100644", b"x 120000 b.j2") + entry(b"100644", b"b.j2")
    assert _special_names(decoy, 20) == {}
    assert _special_names(entry(b"100644", b"a.j2") + entry(b"120000", b"b.j2"), 20) == {
        b"b.j2": "symlink"
    }
    assert _special_names(entry(b"160000", b"sub"), 20) == {b"sub": "submodule"}
    # a hash that holds "120000 " does not make the next entry a symlink
    tricky = b"100644 a.j2\0" + b"120000 xyz" + b"\0" * 10 + entry(b"100644", b"b.j2")
    assert _special_names(tricky, 20) == {}
