"""Dotprompt's implicit history, written down by the import.

Dotprompt adds the conversation (`messages`) to a template that never says `{{history}}`
(js/src/parse.ts, `insertHistory`): before the last message when that is a user message,
else after the last one, and alone when the template renders no message. The imported prompt
has an input `history` and renders it at that place; the roles of its turns come from marker
lines of the template (guarantee 1), and an export writes `{{history}}` back where it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import promptreg
from promptreg.errors import RenderError
from promptreg.formats.dotprompt import draft_dotprompt
from promptreg.formats.export import export
from promptreg.formats.importer import convert_file
from promptreg.formats.promptfile import Draft
from promptreg.formats.source_prompt import prompt_data
from tests.formats_support import load_draft, render

MODEL = "googleai/gemini-2.0-flash"
HISTORY = [
    {"role": "user", "content": [{"text": "earlier question"}]},
    {"role": "model", "content": "earlier answer"},
]
SEEN = [
    {"role": "user", "content": "earlier question"},
    {"role": "assistant", "content": "earlier answer"},
]


def _draft(body: str, schema: str = "") -> Draft:
    front = f"---\nmodel: {MODEL}\n" + (f"input:\n  schema:\n{schema}" if schema else "")
    return draft_dotprompt(
        front + "---\n" + body, name="t", partials=lambda _: None, default_model=None, notes=[]
    )


def _render(body: str, tmp: Path, **inputs: Any) -> list[dict[str, str]]:
    return render(load_draft(_draft(body), tmp), inputs)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # the last message is a user message: the history comes before it
        (
            '{{role "system"}}Be brief.\n{{role "user"}}Now this.',
            [
                {"role": "system", "content": "Be brief.\n"},
                *SEEN,
                {"role": "user", "content": "Now this."},
            ],
        ),
        # no role at all: the template is one user message, after the history
        ("Just {{q}}", [*SEEN, {"role": "user", "content": "Just x"}]),
        # the last message is not a user message: the history comes after it
        (
            '{{role "user"}}Hi\n{{role "model"}}Hello.',
            [
                {"role": "user", "content": "Hi\n"},
                {"role": "assistant", "content": "Hello."},
                *SEEN,
            ],
        ),
        ('{{role "system"}}Only this', [{"role": "system", "content": "Only this"}, *SEEN]),
        # a role marker with nothing after it is no message (Dotprompt drops it)
        (
            '{{role "system"}}S\n{{role "user"}}U\n{{role "model"}}\n',
            [{"role": "system", "content": "S\n"}, *SEEN, {"role": "user", "content": "U\n"}],
        ),
    ],
)
def test_where_the_history_goes(body: str, expected: list[dict[str, str]], tmp_path: Path) -> None:
    draft = _draft(body)
    assert draft.inputs["history"] == {"type": "array", "default": []}
    assert any("where Dotprompt puts it" in note for note in draft.notes)
    inputs = {"q": "x"} if "{{q}}" in body else {}
    assert render(load_draft(draft, tmp_path), {**inputs, "history": HISTORY}) == expected
    without = render(load_draft(draft, tmp_path), inputs)
    assert without == [m for m in expected if m not in SEEN]


def test_a_last_message_decided_at_render_time(tmp_path: Path) -> None:
    draft = _draft('{{role "system"}}S\n{{#if q}}{{role "user"}}{{q}}{{/if}}', "    q?: string\n")
    assert any("decided at render time" in note for note in draft.notes)
    got = render(load_draft(draft, tmp_path), {"q": "", "history": HISTORY})
    assert got == [{"role": "system", "content": "S\n"}, *SEEN]


def test_explicit_history_and_an_own_history_input_are_left_alone(tmp_path: Path) -> None:
    explicit = _draft('{{role "system"}}S\n{{history}}{{role "user"}}U')
    assert explicit.body.count("{% for turn in history|chat_history %}") == 1
    own = _draft("Topics: {{#each history}}{{this}} {{/each}}", "    history(array): string\n")
    assert "{% for turn in history|chat_history %}" not in own.body
    assert any("not added" in note for note in own.notes)


_ROLE = st.sampled_from(["user", "model", "system", "assistant", "tool", "system:", "x\nuser:"])
_TEXT = st.lists(
    st.sampled_from(["a", " ", "\n", ":", "system", "user:", "{{", "%}"]), max_size=8
).map("".join)


@settings(max_examples=40, deadline=None)
@given(turns=st.lists(st.tuples(_ROLE, _TEXT), max_size=4))
def test_a_turn_never_makes_structure(turns: list[tuple[str, str]]) -> None:
    """Each turn is one message whose role is the template's pick for its role value
    (`system`, `user`, `assistant` or `model`); its text, whatever it holds, stays inside it,
    byte for byte (a value keeps its edge whitespace). A turn of any other role (`tool`,
    `system:`) is refused, naming the first such turn: it once fell into the block's last
    branch and was sent as the assistant's."""
    import tempfile

    history = [{"role": role, "content": text} for role, text in turns]
    allowed = ("system", "user", "assistant", "model")
    bad = next((i for i, (role, _) in enumerate(turns) if role not in allowed), None)
    with tempfile.TemporaryDirectory() as tmp:
        if bad is not None:
            with pytest.raises(RenderError, match=f"history turn {bad} has role "):
                _render('{{role "system"}}S\n{{role "user"}}U', Path(tmp), history=history)
            return
        got = _render('{{role "system"}}S\n{{role "user"}}U', Path(tmp), history=history)
    roles = {"system": "system", "user": "user"}
    expected = [{"role": roles.get(role, "assistant"), "content": text} for role, text in turns]
    assert got == [
        {"role": "system", "content": "S\n"},
        *expected,
        {"role": "user", "content": "U"},
    ]


def test_export_writes_history_back(ws: Any, run: Any, tmp_path: Path) -> None:
    ws.write(
        "in/h.prompt", f'---\nmodel: {MODEL}\n---\n{{{{role "system"}}}}S\n{{{{role "user"}}}}U\n'
    )
    assert run("import", "in/h.prompt", "--to", "s").code == 0
    first = promptreg.load("prompts/s/h.prompt")
    text = export(prompt_data(first, ws.root), "dotprompt", embed=False).text
    assert '{{~role "system"~}}\nS\n{{history}}\n{{~role "user"~}}\nU\n' in text
    assert "history" not in text.split("---")[1]  # Dotprompt's `messages`, not an input
    again = tmp_path / "h.prompt"
    again.write_text(text, encoding="utf-8")
    conversion, _ = convert_file(again, prefix="", default_model=MODEL, shown="h")
    path = tmp_path / "back.prompt"
    path.write_text(next(v for k, v in conversion.files.items() if k.endswith(".prompt")))
    back = promptreg.load(path)
    assert back.content_hash == first.content_hash
    assert back.render(history=HISTORY) == first.render(history=HISTORY)
    github = run("export", "s/h", "--format", "prompt.yml")
    assert github.code == 0 and "no place in a message list" in github.err
