"""A malformed bundle field is refused with the field's dotted path and what was wrong, word for
word: the message is how a reader of the refusal finds the line to look at. Each case edits
one field of a real export and recomputes the integrity hash (as anyone can), so the schema
check is what answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import BundleError
from promptreg.registry import Registry
from tests.registry.test_bundle_integrity import Exported, _set, exported, made, rehash, write

__all__ = ["exported", "made"]  # the module-scoped export, shared with test_bundle_integrity

D = "prompts.triage.deployment"
LONG_TAG = "prompts/" + "t" * 200 + "@dev/000002"
LONG_METRIC = "m" * 100
LONG_PARTIAL = "partials/" + "q" * 100 + ".j2"
LONG_PATH = "prompts/" + "p" * 100 + "/triage.prompt.x"

# (dotted field -> value; the refusal after the bundle's path)
CASES: list[tuple[dict[str, Any], str]] = [
    *(
        ({f"{D}.{key}": 5}, f"{D}.{key}: expected a string, found an integer")
        for key in ("name", "env", "tag", "action", "commit", "version", "tagger", "date", "at")
    ),
    *(
        ({f"{D}.{key}": 1.5}, f"{D}.{key}: expected a string, found a number")
        for key in ("path", "previous", "reason")
    ),
    ({"prompts.triage.path": {}}, "prompts.triage.path: expected a string, found an object"),
    (
        {"prompts.triage.path": "prompts/./triage.prompt"},
        "prompts.triage.path: 'prompts/./triage.prompt' is not the path of prompt triage",
    ),
    (
        {"prompts.triage.path": LONG_PATH},
        f"prompts.triage.path: {LONG_PATH[:80]!r} is not the path of prompt triage",
    ),
    (
        {"prompts.triage.partials.partials/tone.j2": 5},
        "prompts.triage.partials.partials/tone.j2: expected a string, found an integer",
    ),
    (
        {"prompts.triage.partials": {"../x.j2": "x"}},
        "prompts.triage.partials.../x.j2: not a partial name inside the prompts directory",
    ),
    *(
        (
            {"prompts.triage.partials": {partial: "x"}},
            f"prompts.triage.partials.{partial}: not a partial name inside the prompts directory",
        )
        for partial in ("partials//x.j2", "partials/./x.j2", "./x.j2")
    ),
    (
        {"prompts.triage.partials": {LONG_PARTIAL: 5}},
        f"prompts.triage.partials.{LONG_PARTIAL[:80]}: expected a string, found an integer",
    ),
    ({"prompts.triage.version": 5}, "prompts.triage.version: expected a string, found an integer"),
    (
        {"prompts.triage.content_hash": "sha256:xyz"},
        "prompts.triage.content_hash: malformed value 'sha256:xyz'",
    ),
    (
        {"prompts.triage.tag": "prompts/triage@dev/000001"},
        "prompts.triage.tag: 'prompts/triage@dev/000001' disagrees with deployment.tag "
        "'prompts/triage@dev/000002'",
    ),
    ({f"{D}.scores": []}, f"{D}.scores: expected an object, found a list"),
    (
        {f"{D}.scores": {LONG_METRIC: "high"}},
        f"{D}.scores.{LONG_METRIC[:80]}: expected a number, found a string",
    ),
    ({f"{D}.action": "delete"}, f"{D}.action: expected one of promote, rollback"),
    ({f"{D}.commit": "z" * 40}, f"{D}.commit: malformed value '{'z' * 40}'"),
    (
        {f"{D}.tag": LONG_TAG, "prompts.triage.tag": LONG_TAG},
        f"{D}.tag: {LONG_TAG[:120]!r} is not the deployment tag of triage@dev #2",
    ),
    (
        {
            f"{D}.name": "Bad Name",
            f"{D}.tag": "prompts/Bad Name@dev/000002",
            "prompts.triage.tag": "prompts/Bad Name@dev/000002",
        },
        f"{D}.tag: 'prompts/Bad Name@dev/000002' is not the deployment tag of Bad Name@dev #2",
    ),
]


@pytest.mark.parametrize(("changes", "refusal"), CASES, ids=[c for _, c in CASES])
def test_a_malformed_field_is_refused_by_its_path(
    exported: Exported, changes: dict[str, Any], refusal: str
):
    data = exported.data()
    for dotted, value in changes.items():
        _set(data, dotted, value)
    write(exported.bundle, rehash(data))
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(exported.bundle)
    assert str(err.value) == f"{exported.bundle}: {refusal}"


def test_an_out_of_range_number_is_named_by_its_first_40_characters(exported: Exported):
    number = "1." + "0" * 60 + "e999"
    text = exported.bundle.read_text(encoding="utf-8")
    exported.bundle.write_text(text.replace('"seq": 2', f'"seq": {number}', 1), encoding="utf-8")
    assert f'"seq": {number}' in exported.bundle.read_text(encoding="utf-8")
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(exported.bundle)
    assert str(err.value) == (
        f"{exported.bundle}: not a promptreg bundle (number {number[:40]} is out of range)"
    )


def test_scores_are_served_as_floats_whatever_the_json_wrote(exported: Exported):
    data = exported.data()
    _set(data, f"{D}.scores", {"accuracy": 1})
    path: Path = write(exported.bundle, rehash(data))
    deployment = Registry.from_bundle(path).get("triage@dev").deployment
    assert deployment is not None
    assert deployment.scores == {"accuracy": 1.0}
    assert type(deployment.scores["accuracy"]) is float


def test_fields_that_say_the_same_thing_twice_must_agree(exported: Exported):
    """Each disagreement names the field and what it disagrees with."""
    original = exported.bundle.read_text(encoding="utf-8")
    entry = json.loads(original)["prompts"]["triage"]
    other = "prompts/support/reply@dev/000002"
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {f"{D}.name": "support/reply", f"{D}.tag": other, "prompts.triage.tag": other},
            f"{D}.name: 'support/reply' disagrees with the prompt's name 'triage'",
        ),
        (
            {"environment": "prod"},
            "prompts.support/reply.deployment.env: 'dev' disagrees with the bundle's "
            "environment 'prod'",
        ),
        (
            {f"{D}.commit": "f" * 40},
            f"{D}.commit: '{'f' * 40}' disagrees with commit {entry['commit']!r}",
        ),
    ]
    for changes, refusal in cases:
        edited = json.loads(original)
        for dotted, value in changes.items():
            _set(edited, dotted, value)
        write(exported.bundle, rehash(edited))
        with pytest.raises(BundleError) as err:
            Registry.from_bundle(exported.bundle)
        assert str(err.value) == f"{exported.bundle}: {refusal}"
