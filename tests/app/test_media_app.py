"""Media parts through everything that reads a message's content (issue 12): `render` (text
and `--json`, its `request`), `show`, `validate`, `diff --rendered`, the site, the evals
runners (python, command, OpenAI on a real loopback server), and Dotprompt import/export."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import promptreg
from promptreg.formats.export import export
from promptreg.formats.importer import convert_file
from promptreg.formats.source_prompt import prompt_data
from promptreg.site.html import render as html
from promptreg.site.prompt_view import _sample
from promptreg.template.media import MEDIA_PART_TOKENS
from tests.conftest import Result, Workspace, commit, git
from tests.evals_support import fake_openai, jsonl, python_runner

IMG = "https://example.com/cat.png"
VISION = f"""\
---
version: 1.0.0
model: {{provider: openai, name: gpt-4o-2024-08-06, params: {{temperature: 0}}}}
inputs:
  photo: {{type: string, required: true}}
  question: {{type: string, required: true}}
sample: {{photo: "{IMG}", question: "What animal?"}}
evals:
  dataset: evals/vision.jsonl
  metrics:
    - {{name: accuracy, kind: exact, threshold: 0.5}}
---
system:
You describe images.
user:
{{{{ question }}}}
{{% media photo, "image/png" %}}
"""
PARTS = [
    {"type": "text", "text": "What animal?"},
    {"type": "image_url", "image_url": {"url": IMG}},
]
CASES = [{"id": "a", "inputs": {"photo": IMG, "question": "What animal?"}, "expected": "cat"}]

Run = Callable[..., Result]


@pytest.fixture
def vision(ws: Workspace, isolated_git: None) -> Workspace:
    ws.prompt("vision", VISION)
    ws.write("evals/vision.jsonl", jsonl(CASES))
    return ws


def test_render_json_and_request_carry_the_parts(vision: Workspace, run: Run) -> None:
    result = run("render", "vision", "--sample", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["messages"][1] == {"role": "user", "content": PARTS}
    assert data["messages"][0]["content"] == "You describe images."
    assert data["request"]["messages"] == data["messages"]
    assert data["tokens"]["exact"] and data["tokens"]["tokens"] > MEDIA_PART_TOKENS
    shown = run("render", "vision", "--sample")
    assert shown.code == 0
    assert f"What animal?\n[image: {IMG}]" in shown.out


def test_validate_and_show(vision: Workspace, run: Run) -> None:
    result = run("validate", "--json")
    assert result.code == 0, result.out + result.err
    shown = run("show", "vision", "--json")
    assert shown.code == 0, shown.err


def test_diff_rendered_shows_the_part(vision: Workspace, run: Run) -> None:
    git(vision.root, "init", "-q")
    commit(vision, "vision")
    other = "https://example.com/dog.png"
    vision.prompt(
        "vision",
        VISION.replace("version: 1.0.0", "version: 1.1.0").replace(
            f'photo: "{IMG}"', f'photo: "{other}"'
        ),
    )
    result = run("diff", "vision@HEAD", "--rendered")
    assert result.code == 0, result.err
    assert f"-[image: {IMG}]\n+[image: {other}]" in result.out


def test_the_site_shows_a_part_as_text_never_fetched(vision: Workspace) -> None:
    prompt = promptreg.load(vision.prompts / "vision.prompt")
    page = "".join(html(part) for part in _sample(prompt))
    assert f"What animal?\n[image: {IMG}]" in page
    assert "<img" not in page


def test_a_python_runner_gets_the_parts(vision: Workspace, run: Run) -> None:
    runner = python_runner(
        vision,
        "def answer(messages, model):\n"
        "    parts = messages[-1]['content']\n"
        "    return 'cat' if parts[1]['image_url']['url'].endswith('cat.png') else 'no'\n",
    )
    result = run("eval", "vision", "--runner", runner, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["scores"] == {"accuracy": 1.0}


def test_a_command_runner_gets_the_parts_in_its_json(vision: Workspace, run: Run) -> None:
    vision.write(
        "label.py",
        "import json, sys\nparts = json.load(sys.stdin)[-1]['content']\n"
        "print('cat' if [p['type'] for p in parts] == ['text', 'image_url'] else 'no')\n",
    )
    result = run("eval", "vision", "--runner", f"command:{sys.executable} label.py", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["scores"] == {"accuracy": 1.0}


def test_the_openai_runner_sends_the_parts_as_they_are(
    vision: Workspace, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for var in ("OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)

    def reply(request: dict[str, Any], nth: int) -> tuple[int, Any, float]:
        return 200, "cat", 0.0

    with fake_openai(reply) as server:
        result = run("eval", "vision", "--runner", f"openai:{server.url}", "--json")
    assert result.code == 0, result.err
    assert server.requests[0]["messages"][1] == {"role": "user", "content": PARTS}


def test_dotprompt_media_round_trips(ws: Workspace, run: Run, tmp_path: Path) -> None:
    ws.write(
        "in/m.prompt",
        "---\nmodel: googleai/gemini-2.0-flash\ninput:\n  schema:\n    photo: string\n"
        '    kind: string\n---\n{{role "user"}}Look: {{media url=photo contentType=kind}}\n'
        '{{media url="https://x/a.mp3" contentType="audio/mpeg"}}\n',
    )
    assert run("import", "in/m.prompt", "--to", "s").code == 0
    first = promptreg.load("prompts/s/m.prompt")
    assert "{% media photo, kind %}" in first.path.read_text("utf-8")
    got = first.render(photo=IMG, kind="image/png")
    audio = {"type": "media", "media": {"url": "https://x/a.mp3", "contentType": "audio/mpeg"}}
    assert got == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look: "},  # Dotprompt's text, byte for byte
                {"type": "image_url", "image_url": {"url": IMG}},
                audio,
            ],
        }
    ]
    text = export(prompt_data(first, ws.root), "dotprompt", embed=False).text
    assert "{{media url=photo contentType=kind}}" in text
    assert '{{media url="https://x/a.mp3" contentType="audio/mpeg"}}' in text
    again = tmp_path / "m.prompt"
    again.write_text(text, encoding="utf-8")
    conversion, _ = convert_file(again, prefix="", default_model=None, shown="m")
    assert not conversion.refused
    path = tmp_path / "back.prompt"
    path.write_text(next(v for k, v in conversion.files.items() if k.endswith(".prompt")))
    back = promptreg.load(path)
    assert back.content_hash == first.content_hash
    for fmt in ("prompty", "prompt.yml"):
        refused = run("export", "s/m", "--format", fmt)
        assert refused.code == 2 and "cannot express a `{% media %}` part" in refused.err
