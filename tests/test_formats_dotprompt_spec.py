"""Conformance: Dotprompt's own spec suite (tests/data/dotprompt_spec, vendored).

Each case's template is imported with the Dotprompt converter and the result rendered by
promptreg with the case's data; the messages must equal what Dotprompt renders (role `model`
is promptreg's `assistant`; text parts joined). The suite's templates carry no input schema
and promptreg's inputs are typed, so the test gives each template the Picoschema a user adds
when importing: every input the cases pass, optional, typed as the cases' values are. The
data's `context` (`@state`, `@auth`) and `messages` (history) are passed as the inputs the
converter made of them. Cases that cannot pass are listed in FAILURES with their class (the
README explains each); a listed case that starts passing fails the test too, so the table and
the README's counts stay true.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import PromptregError
from promptreg.formats.dotprompt import draft_dotprompt
from promptreg.formats.picoschema import to_json_schema
from promptreg.formats.report import Refused
from promptreg.frontmatter._yaml_pyyaml import yaml
from tests.formats_support import HERE, load_draft, render

SPEC = HERE / "data" / "dotprompt_spec"
MODEL = "googleai/gemini-2.0-flash"

# case id -> failure class (see the README, "Coming from Dotprompt")
_SECTION = "section"
FAILURES: dict[str, str] = {
    "helpers/section.yaml:basic_section:0": _SECTION,
    "helpers/section.yaml:nested_sections:0": _SECTION,
}


def _cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted(SPEC.rglob("*.yaml")):
        for group in yaml.safe_load(path.read_text("utf-8")):
            for i, case in enumerate(group["tests"]):
                if case["expect"].get("messages") == []:
                    continue  # schema-only cases: test_picoschema_cases
                out.append(
                    (f"{path.relative_to(SPEC).as_posix()}:{group['name']}:{i}", group, case)
                )
    return out


CASES = _cases()


def _json_type(value: Any) -> str | None:
    for kind, test in (
        ("boolean", lambda v: isinstance(v, bool)),
        ("integer", lambda v: isinstance(v, int)),
        ("number", lambda v: isinstance(v, float)),
        ("string", lambda v: isinstance(v, str)),
        ("array", lambda v: isinstance(v, list)),
        ("object", lambda v: isinstance(v, dict)),
    ):
        if test(value):
            return kind
    return None


def _schema_for(group: dict[str, Any]) -> dict[str, str]:
    types: dict[str, set[str]] = {}
    for case in group["tests"]:
        data = case.get("data") or group.get("data") or {}
        for key, value in (data.get("input") or {}).items():
            kind = _json_type(value)
            types.setdefault(key, set()).update([kind] if kind else [])
        default = ((case.get("options") or {}).get("input") or {}).get("default") or {}
        for key, value in default.items():
            kind = _json_type(value)
            types.setdefault(key, set()).update([kind] if kind else [])
    schema: dict[str, Any] = {}
    for key, kinds in types.items():
        kind = kinds.pop() if len(kinds) == 1 else "any"
        if kind in ("array", "object"):
            schema[f"{key}?({kind})"] = "any" if kind == "array" else {}
        else:
            schema[f"{key}?"] = kind
    return schema


def _input_block(group: dict[str, Any], case: dict[str, Any]) -> dict[str, Any] | None:
    """The `input:` block a user adds to a template that has none: a schema, and the
    defaults the case passes as options."""
    if group["template"].startswith("---"):
        return None
    block: dict[str, Any] = {"schema": _schema_for(group)}  # none passed: an empty one
    default = ((case.get("options") or {}).get("input") or {}).get("default")
    if default:
        block["default"] = default
    return block


def _expected(messages: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Dotprompt's messages in promptreg's shape: a message of text parts is their text
    joined; one with media parts is a list of OpenAI-shaped parts (template/media.py):
    `{media: {url, contentType: image/*}}` (or no content type) is `{type: image_url,
    image_url: {url}}` (OpenAI's image part has no content type: it is dropped), any other
    `{type: media, media: {url, contentType}}`, and a text part `{type: text, text}`.
    None when a part is neither (Genkit's section markers: metadata parts)."""
    out = []
    for message in messages:
        if any("text" not in part and "media" not in part for part in message["content"]):
            return None
        role = {"model": "assistant"}.get(message["role"], message["role"])
        parts = message["content"]
        if all("text" in part for part in parts):
            out.append({"role": role, "content": "".join(p["text"] for p in parts)})
        else:
            out.append({"role": role, "content": [_part(p) for p in parts]})
    return out


def _part(part: dict[str, Any]) -> dict[str, Any]:
    if "text" in part:
        return {"type": "text", "text": part["text"]}
    media = part["media"]
    kind = media.get("contentType")
    if kind is None or kind.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": media["url"]}}
    return {"type": "media", "media": {"url": media["url"], "contentType": kind}}


def run_case(group: dict[str, Any], case: dict[str, Any], tmp: Path) -> str:
    """'pass', or the reason it does not."""
    partials = {**group.get("partials", {}), **group.get("resolverPartials", {})}
    try:
        draft = draft_dotprompt(
            group["template"],
            name="t",
            partials=partials.get,
            default_model=MODEL,
            notes=[],
            input_block=_input_block(group, case),
        )
    except Refused as err:
        return f"refused: {err}"
    expected = _expected(case["expect"]["messages"])
    if expected is None:
        return "metadata parts"
    data = case.get("data") or group.get("data") or {}
    inputs = {**(data.get("input") or {}), **(data.get("context") or {})}
    if data.get("messages"):
        inputs["history"] = data["messages"]
    inputs = {k: v for k, v in inputs.items() if k in draft.inputs}
    try:
        got = render(load_draft(draft, tmp), inputs)
    except PromptregError as err:
        return f"error: {err}"
    return "pass" if got == expected else f"differs: {got!r} != {expected!r}"


@pytest.mark.parametrize(("case_id", "group", "case"), CASES, ids=[c[0] for c in CASES])
def test_spec_case(
    case_id: str, group: dict[str, Any], case: dict[str, Any], tmp_path: Path
) -> None:
    outcome = run_case(group, case, tmp_path)
    want = FAILURES.get(case_id)
    if want is None:
        assert outcome == "pass"
    else:
        assert outcome != "pass", f"{case_id} passes now: drop it from FAILURES and the README"


def test_counts_match_the_readme() -> None:
    counts = Counter(FAILURES.values())
    readme = (HERE.parent / "README.md").read_text("utf-8")
    passed = len(CASES) - len(FAILURES)
    assert f"{passed} of the {len(CASES)} rendering cases" in readme
    for failure_class, n in counts.items():
        assert f"{failure_class} ({n})" in readme


def test_picoschema_cases() -> None:
    """The schema-only cases (`spec/picoschema.yaml`): Picoschema to JSON Schema, all 21."""
    checked = 0
    for group in yaml.safe_load((SPEC / "picoschema.yaml").read_text("utf-8")):
        front = yaml.safe_load(group["template"].replace("\r\n", "\n").split("---\n")[1])
        for case in group["tests"]:
            for key in ("input", "output"):
                if key in case["expect"]:
                    got = to_json_schema(front[key]["schema"], group.get("schemas"))
                    assert got == case["expect"][key]["schema"], group["name"]
                    checked += 1
    assert checked == 21
