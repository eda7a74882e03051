"""Picoschema → JSON Schema, against Dotprompt's own spec cases (tests/data/picoschema)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from promptreg.frontmatter.picoschema import PicoschemaError, is_json_schema, to_json_schema

SPEC = Path(__file__).parent.parent / "data" / "picoschema" / "picoschema.yaml"
CASES = yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def _front_matter(template: str) -> dict[str, Any]:
    text = template.replace("\r\n", "\n")
    _, front, _ = text.split("---\n", 2)
    data = yaml.safe_load(front)
    assert isinstance(data, dict)
    return data


def _normalised(schema: Any) -> Any:
    """`required` compared as a set: Dotprompt's order is its key order, so is ours."""
    if isinstance(schema, dict):
        out = {k: _normalised(v) for k, v in schema.items()}
        if isinstance(out.get("required"), list):
            out["required"] = sorted(out["required"])
        return out
    if isinstance(schema, list):
        return [_normalised(v) for v in schema]
    return schema


CONFORMANCE = [pytest.param(case, id=case["name"]) for case in CASES if "schemas" not in case]
NAMED = [pytest.param(case, id=case["name"]) for case in CASES if "schemas" in case]


def test_the_spec_file_has_the_cases_we_count():
    assert len(CONFORMANCE) == 17 and len(NAMED) == 2


@pytest.mark.parametrize("case", CONFORMANCE)
def test_dotprompt_spec_case(case: dict[str, Any]) -> None:
    front = _front_matter(case["template"])
    expect = case["tests"][0]["expect"]
    for key in ("input", "output"):
        if key in expect:
            got = to_json_schema(front[key]["schema"])
            assert _normalised(got) == _normalised(expect[key]["schema"])


@pytest.mark.parametrize("case", NAMED)
def test_named_schemas_are_refused_with_the_name(case: dict[str, Any]) -> None:
    """A named schema needs Genkit's registry; a prompt file on its own cannot resolve it."""
    front = _front_matter(case["template"])
    with pytest.raises(PicoschemaError, match="`Foo` is not a type"):
        to_json_schema(front["output"]["schema"])


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ({"a(tuple)": "string"}, "`array`, `object` or `enum`, not `tuple`"),
        ({"a(array": "string"}, "ends with `)`"),
        ({"a(enum)": "x"}, "non-empty list"),
        ({"a(enum)": []}, "non-empty list"),
        ({"a(object)": "string"}, "mapping of its fields"),
        ({"?": "string"}, "has no name"),
        ({"a": 3}, "only mappings and type names"),
        ({"a": {"b": "strin"}}, "`strin` is not a type"),
        (7, "a mapping or a type name"),
    ],
)
def test_bad_picoschema_is_an_error_saying_why(schema: Any, says: str) -> None:
    with pytest.raises(PicoschemaError) as info:
        to_json_schema(schema)
    assert says in info.value.message


def test_json_schema_is_kept_as_written():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert is_json_schema(schema) and to_json_schema(schema) == schema
    assert to_json_schema({"properties": {}}) == {"properties": {}, "type": "object"}
    assert to_json_schema(True) is True
