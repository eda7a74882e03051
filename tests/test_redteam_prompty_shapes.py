"""Red-team attacks on the one Prompty reader: every key of a full v1 and a full v2 `.prompty`
replaced, one at a time, by a value of the wrong shape. Reading it in place (and rendering
what loads) and importing it give findings or a refusal, never another exception.

Before: a v2 output property with `kind: [x]` was hashed (`unhashable type`), so `validate`
and `list` of the whole project ended in exit 3; the import crashed on `model.parameters: [1]`
(`dict([1])`) and on `tools: 5` (`list(5)`), which stopped every other file."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from promptreg.errors import PromptregError
from promptreg.formats.importer import convert_file
from promptreg.project.project import Project
from tests.conftest import Result, Workspace

V1: dict[str, Any] = {
    "name": "t",
    "version": "0.1.0",
    "authors": ["a"],
    "model": {
        "api": "chat",
        "configuration": {"type": "openai", "name": "gpt-4o-2024-08-06"},
        "parameters": {
            "max_tokens": 5,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "n", "schema": {"type": "object"}},
            },
        },
    },
    "inputs": {"q": {"type": "string", "default": "x", "description": "d"}},
    "sample": {"q": "v"},
    "template": "jinja2",
}
V2: dict[str, Any] = {
    "kind": "prompt",
    "version": "0.1.0",
    "metadata": {"authors": ["a"]},
    "model": {"id": "gpt-4o-2024-08-06", "provider": "openai", "options": {"temperature": 0}},
    "inputs": [{"name": "q", "kind": "string", "default": "x"}],
    "outputs": [
        {
            "name": "a",
            "kind": "object",
            "properties": [{"name": "b", "kind": "array", "items": {"kind": "string"}}],
        }
    ],
    "tools": [{"name": "f", "kind": "function", "parameters": [{"name": "p", "kind": "string"}]}],
    "template": {"format": {"kind": "jinja2"}, "parser": {"kind": "prompty"}},
}
HOSTILE: list[Any] = [[1], {"y": 1}, 5, [[]]]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _with(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    here: Any = out
    for key in path[:-1]:
        here = here[key]
    here[path[-1]] = value
    return out


CASES = [
    (name, path, value)
    for name, doc in (("v1", V1), ("v2", V2))
    for path in _paths(doc)
    for value in HOSTILE
]


def test_every_key_of_the_wrong_shape_is_a_finding_or_a_refusal(ws: Workspace) -> None:
    project = Project.open(ws.root)
    path = ws.prompts / "f.prompty"
    crashed: list[str] = []
    for name, where, value in CASES:
        doc = _with(V1 if name == "v1" else V2, where, value)
        path.write_text(
            "---\n" + yaml.safe_dump(doc, sort_keys=False) + "---\nsystem:\nHi {{q}}\n",
            encoding="utf-8",
        )
        try:
            pf = project.read(path)
            if pf.prompt is not None:
                pf.prompt.render_inputs({"q": "v"}, check_budget=False)
        except PromptregError:
            pass
        except Exception as err:  # what the promise rules out
            crashed.append(f"in place {name} {where}={value!r}: {type(err).__name__}: {err}")
        try:
            convert_file(path, prefix="", default_model="openai/gpt-4o-2024-08-06", shown="f")
        except Exception as err:
            crashed.append(f"import {name} {where}={value!r}: {type(err).__name__}: {err}")
    assert len(CASES) > 150
    assert not crashed, "\n".join(crashed[:10])


@pytest.mark.parametrize("command", [("validate",), ("list",)])
def test_one_unhashable_kind_does_not_stop_the_project(
    ws: Workspace, run: Callable[..., Result], command: tuple[str, ...]
) -> None:
    doc = _with(V2, ("outputs", 0, "kind"), ["x"])
    ws.write("prompts/bad.prompty", "---\n" + yaml.safe_dump(doc) + "---\nsystem:\nHi\n")
    result = run(*command)
    text = result.out + result.err
    assert result.code in (0, 1) and "internal error" not in text, text
