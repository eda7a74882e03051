"""Red-team attacks on what issue 12 added to `promptreg import`: Dotprompt's conversation
history and `toolDefs`. Each test failed before its fix; the promise it holds to is the
README's: a file is imported into a prompt that renders, or refused with the reason, and one
bad file never stops the others (no traceback, no "internal error")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import promptreg
from promptreg.formats.dotprompt import draft_dotprompt
from promptreg.formats.report import Refused
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


def _draft(front: str, body: str) -> Any:
    source = HEAD + front + "---\n" + body
    return draft_dotprompt(source, name="t", partials=lambda _: None, default_model=None, notes=[])


def _loaded(front: str, body: str, ws: Workspace) -> promptreg.Prompt:
    from promptreg.formats.promptfile import finish

    path = ws.write("prompts/t.prompt", finish(_draft(front, body)))
    return promptreg.load(path)


DECLARED = [
    "input:\n  schema:\n    history: string\n",
    "input:\n  default:\n    history: hello\n",
    "input:\n  default:\n    history: []\n",
    "input:\n  schema:\n    history(array): string\n",
]


@pytest.mark.parametrize("front", DECLARED)
@pytest.mark.parametrize(
    "body",
    [
        '{{role "system"}}S {{history}}\n{{role "user"}}Q',
        "{{history}}",
        "{{history}} {{#each history}}x{{/each}}",
    ],
)
def test_an_input_named_history_and_the_conversation_are_refused_together(
    front: str, body: str
) -> None:
    """Dotprompt's `{{history}}` is the conversation (its `messages`), the data field
    `history` is something else. The import gave both one input: a declared string became
    the list of turns, and every render failed (`'str object' has no attribute 'role'`)."""
    with pytest.raises(Refused, match="cannot both be carried"):
        _draft(front, body)


@pytest.mark.parametrize(
    "body", ["{{history}}{{#each history}}x{{/each}}", "{{#each history}}x{{/each}}{{history}}"]
)
def test_history_as_data_and_as_the_conversation_are_refused_in_either_order(body: str) -> None:
    """`{{#each history}}` after `{{history}}` read the turns as data (the check looked only
    at what came before)."""
    with pytest.raises(Refused, match="cannot both be carried"):
        _draft("", body)


@pytest.mark.parametrize("front", DECLARED)
def test_a_declared_history_without_the_helper_renders_with_its_declared_values(
    front: str, ws: Workspace
) -> None:
    """No `{{history}}`: the input keeps its name and type and the implicit conversation is
    not added (the report says so); a default `history: hello` was made the list of turns,
    so the prompt could not render with no inputs at all."""
    prompt = _loaded(front, "Q", ws)
    assert [dict(m) for m in prompt.render()] == [{"role": "user", "content": "Q"}]
