"""Red-team attacks on `output:` and `tools:` schemas: checking them is bounded, and the hash
covers every part that is sent."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from promptreg.project.project import Project
from tests.conftest import Result, Workspace

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06, params: {temperature: 0}}
inputs:
  ticket: {type: string, required: true}
sample: {ticket: "My invoice is wrong"}
"""
BODY = "---\nsystem:\nClassify.\n\nuser:\n{{ ticket }}\n"
DRAFT4 = "http://json-schema.org/draft-04/schema#"


def _enum_schema(items: list[object]) -> str:
    return json.dumps({"$schema": DRAFT4, "type": "object", "enum": items})


@pytest.mark.parametrize("place", ["output", "tools"])
def test_a_long_enum_of_objects_is_checked_in_linear_time(
    ws: Workspace, run: Callable[..., Result], place: str
) -> None:
    """draft-04's meta-schema asks for unique `enum` items, and jsonschema compared every pair
    of items that do not sort: 4,000 objects took 30 s, a 1 MB file hours."""
    schema = _enum_schema([{"a": i} for i in range(6000)])
    extra = (
        f"output: {{schema: {schema}}}\n"
        if place == "output"
        else f"tools: [{{type: function, function: {{name: f, parameters: {schema}}}}}]\n"
    )
    ws.prompt("t", HEAD + extra + BODY)
    started = time.monotonic()
    result = run("validate")
    assert time.monotonic() - started < 4
    assert result.code in (0, 1)
    assert "Traceback" not in result.out + result.err


@pytest.mark.parametrize(
    "items",
    [
        [{"a": 1}, {"a": 1.0}],
        [{"a": [1]}, {"a": [1.0]}],
        [{"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}],
    ],
)
def test_duplicate_enum_items_are_still_found(
    ws: Workspace, run: Callable[..., Result], items: list[object]
) -> None:
    ws.prompt("t", HEAD + f"output: {{schema: {_enum_schema(items)}}}\n" + BODY)
    result = run("validate")
    assert result.code == 1 and "PR081" in result.out and "non-unique" in result.out


@pytest.mark.parametrize(
    "items", [[{"a": 1}, {"a": True}], [{"a": 0}, {"a": False}, {"a": None}, {"a": "0"}]]
)
def test_values_json_schema_calls_different_are_not_duplicates(
    ws: Workspace, run: Callable[..., Result], items: list[object]
) -> None:
    ws.prompt("t", HEAD + f"output: {{schema: {_enum_schema(items)}}}\n" + BODY)
    assert "non-unique" not in run("validate").out


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("description: Look up", "description: Look it up"),
        ("order_id: {type: string}", "order_id: {type: string, pattern: '^[0-9]+$'}"),
        ("enum: [a, b]", "enum: [a, c]"),
    ],
)
def test_the_hash_covers_every_part_of_a_tool_that_is_sent(
    ws: Workspace, before: str, after: str
) -> None:
    tools = (
        "tools:\n  - type: function\n    function:\n      name: lookup\n"
        "      description: Look up\n      parameters:\n        type: object\n"
        "        properties:\n          order_id: {type: string}\n"
        "          kind: {type: string, enum: [a, b]}\n"
    )
    ws.prompt("t", HEAD + tools + BODY)
    first = Project.open().load("t").content_hash
    ws.prompt("t", HEAD + tools.replace(before, after) + BODY)
    assert Project.open().load("t").content_hash != first
