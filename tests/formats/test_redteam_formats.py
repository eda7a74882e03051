"""Red-team attacks on `promptreg import`: hostile foreign files stay bounded and inside."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, Workspace

HEAD = "---\nmodel: openai/gpt-4o-2024-08-06\n---\n"


def test_partials_that_fan_out_are_refused_quickly(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    """Each partial includes the next four times, 15 deep: 4**15 copies, and depth 16 was the
    only bound (the import never ended)."""
    for i in range(15):
        ws.write(f"src/_p{i}.prompt", f"{{{{> p{i + 1}}}}}" * 4)
    ws.write("src/_p15.prompt", "leaf " * 200)
    ws.write("src/d.prompt", HEAD + "Hi {{> p0}}\n")
    started = time.monotonic()
    result = run("import", "src/d.prompt", "--dry-run")
    assert time.monotonic() - started < 5
    assert result.code == 1 and "partials inline to more than" in result.out + result.err


def test_a_big_partial_inlined_many_times_is_refused(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    ws.write("src/_big.prompt", "x" * 200_000)
    ws.write("src/d.prompt", HEAD + "{{> big}}" * 6 + "\n")
    result = run("import", "src/d.prompt", "--dry-run")
    assert result.code == 1 and "partials inline to more than" in result.out + result.err


def test_a_partial_used_a_few_times_still_imports(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    ws.write("src/_p.prompt", "Be brief.")
    ws.write("src/d.prompt", HEAD + "{{> p}} {{> p}} {{> p}}\n")
    result = run("import", "src/d.prompt")
    assert result.code == 0, result.out + result.err
    assert (ws.prompts / "d.prompt").read_text().count("Be brief.") == 3


PROMPTY = """\
---
name: A
model:
  api: chat
  configuration:
    type: openai
    name: gpt-4o-2024-08-06
sample: ${{file:{ref}}}
---
system:
hi {{{{secret}}}}
"""


@pytest.mark.parametrize("ref", ["{outside}/s.json", "lnk/s.json", "sub/../lnk/s.json"])
def test_an_imported_file_reference_never_copies_a_file_from_elsewhere(
    ws: Workspace, tmp_path: Path, run: Callable[..., Result], ref: str
) -> None:
    """`sample: ${file:/home/me/creds.json}` (or through a linked folder) was read at import
    and written into the new prompt, to be committed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "s.json").write_text('{"secret": "TOPSECRET"}', encoding="utf-8")
    (ws.root / "src" / "sub").mkdir(parents=True)
    (ws.root / "src" / "lnk").symlink_to(outside)
    ws.write("src/a.prompty", PROMPTY.format(ref=ref.format(outside=outside)))
    result = run("import", "src/a.prompty")
    assert "TOPSECRET" not in result.out + result.err
    assert all("TOPSECRET" not in p.read_text() for p in ws.prompts.rglob("*.prompt"))


def test_a_partial_is_never_read_through_a_linked_partials_folder(
    ws: Workspace, tmp_path: Path, run: Callable[..., Result]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "_p.prompt").write_text("TOPSECRET", encoding="utf-8")
    (ws.root / "src").mkdir()
    (ws.root / "src" / "partials").symlink_to(outside)
    ws.write("src/d.prompt", HEAD + "Hi {{> p}}\n")
    result = run("import", "src/d.prompt")
    assert result.code == 1 and "partial `p` not found" in result.out + result.err
    assert not (ws.prompts / "d.prompt").exists()


def test_a_file_reference_beside_the_file_is_still_carried(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    ws.write("src/data/s.json", '{"secret": "plain"}')
    ws.write("src/partials/_p.prompt", "Be brief.")
    ws.write("src/a.prompty", PROMPTY.format(ref="data/s.json"))
    ws.write("src/d.prompt", HEAD + "Hi {{> p}}\n")
    assert run("import", "src/a.prompty", "src/d.prompt").code == 0
    assert "secret: plain" in (ws.prompts / "a.prompt").read_text()
    assert "Be brief." in (ws.prompts / "d.prompt").read_text()
