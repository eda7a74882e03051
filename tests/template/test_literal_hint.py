"""A Jinja syntax error that comes from literal text (JSON in double braces, a code block,
another tool's template syntax) names the fix, `{% raw %}` … `{% endraw %}`, at its line; an
ordinary Jinja mistake does not get the hint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Result, Workspace

HEAD = (
    "---\nversion: 1.0.0\nmodel: {provider: openai, name: gpt-4o-2024-08-06}\n"
    "inputs: {x: {type: string, required: true}}\nsample: {x: hi}\n---\nuser:\n{{ x }}\n"
)


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ('Answer as {{"label": "billing"}}', True),
        ("Answer as {{ 'label': 1 }}", True),
        ('In Go templates write {% define "x" %}', True),
        ("Mustache: {{#items}}-{{/items}}", True),
        ("{{ x }", False),  # a Jinja typo, not text
        ("{% if x %}no end", False),
    ],
)
def test_literal_text_hint(
    ws: Workspace, run: Callable[..., Result], line: str, hint: bool
) -> None:
    ws.write("prompts/p.prompt", HEAD + line + "\n")
    result = run("validate", "prompts/p.prompt")
    assert result.code == 1
    [finding] = [f for f in result.out.splitlines() if " PR040 " in f]
    assert finding.startswith("prompts/p.prompt:9:")
    assert ("wrap it in `{% raw %}` … `{% endraw %}`" in finding) is hint


def test_the_raw_fix_works(ws: Workspace, run: Callable[..., Result]) -> None:
    ws.write("prompts/p.prompt", HEAD + '{% raw %}Answer as {{"label": "billing"}}{% endraw %}\n')
    assert run("validate", "prompts/p.prompt").code == 0
    rendered = run("render", "p", "--set", "x=hi")
    assert 'Answer as {{"label": "billing"}}' in rendered.out
