"""Red-team attacks on `promptreg import`: hostile foreign files stay bounded and inside."""

from __future__ import annotations

import time
from collections.abc import Callable

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
