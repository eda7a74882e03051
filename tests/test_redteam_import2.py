"""Red-team attacks on what issue 12 added to `promptreg import`: Dotprompt's conversation
history and `toolDefs`. Each test failed before its fix; the promise it holds to is the
README's: a file is imported into a prompt that renders, or refused with the reason, and one
bad file never stops the others (no traceback, no "internal error")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Result, Workspace

HEAD = "---\nmodel: openai/gpt-4o-2024-08-06\n"


@pytest.mark.parametrize(
    "names",
    ["[[1]]", "[{x: 1}]", "[a, [b], {c: d}]", "[a, null, 3]"],
)
def test_tool_names_of_any_yaml_shape_never_crash_the_import(
    ws: Workspace, run: Callable[..., Result], names: str
) -> None:
    """`tools:` beside `toolDefs:` holds names; a list or mapping in it was hashed
    (`TypeError: unhashable type`): exit 3 "internal error", and no other file imported."""
    ws.write("src/a.prompt", HEAD + f"toolDefs:\n  - name: a\ntools: {names}\n---\nQ\n")
    ws.write("src/b.prompt", HEAD + "---\nHello\n")
    result = run("import", "src", "--dry-run")
    text = result.out + result.err
    assert result.code in (0, 1), text
    assert "internal error" not in text and "Traceback" not in text
    assert "would write prompts/b.prompt" in text
