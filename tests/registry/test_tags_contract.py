"""The tag scheme's contract, example by example: the names promote writes and only those parse
back, a message promote writes reads back as the deployment it records, and every way a
message can disagree with its tag is a named reason, never a deployment.

(Found by `make mutation`: the property tests in test_tags.py never produce a valid message,
so a reader that accepted any message, or dropped a recorded field, went unnoticed.)
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime

import pytest

from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.yamldoc import YamlError
from promptreg.registry.tags import (
    Deployment,
    deployment_from_message,
    deployment_message,
    deployment_tag,
    deployments_prefix,
    parse_deployment_name,
    parse_release,
    read_message,
    recorded_hash,
    release_message,
    release_problem,
    release_tag,
    split_deployment_ref,
)

HASH = "sha256:" + "a" * 64
COMMIT = "c" * 40
PATH = "prompts/team/a.prompt"
TAG = "prompts/team/a@prod/000007"


def _message(**changes: object) -> str:
    fields: dict = {
        "action": "promote",
        "name": "team/a",
        "env": "prod",
        "version": "1.2.0",
        "content_hash": HASH,
        "commit": COMMIT,
        "path": PATH,
        "previous": "prompts/team/a@prod/000006",
        "reason": "hotfix",
        "forced": True,
        "scores": {"accuracy": 0.9},
        "extra": {"gate": {"verdict": "pass"}, "overrides": ["x"]},
    }
    fields.update(changes)
    return deployment_message(**fields)


def _read(message: str, tag: str = TAG) -> Deployment | str:
    return deployment_from_message(
        tag=tag, commit=COMMIT, tagger="A <a@b>", date="2026-01-01T00:00:00+00:00",
        message=message, own_path=PATH,
    )  # fmt: skip


# -- names ----------------------------------------------------------------------------------


def test_names_round_trip_and_patterns():
    assert release_tag("team/a", "1.0.0") == "prompts/team/a@v1.0.0"
    assert deployment_tag("team/a", "prod", 7) == TAG
    assert parse_deployment_name(TAG) == ("team/a", "prod", 7)
    assert parse_deployment_name("prompts/a@prod/1234567") == ("a", "prod", 1234567)
    assert parse_deployment_name("prompts/a@prod/1000000") == ("a", "prod", 1000000)
    assert deployments_prefix("team/a", "prod") == "prompts/team/a@prod/"
    assert deployments_prefix("team/a") == "prompts/team/a@*/*"
    assert parse_release("prompts/team/a@v1.0.0-rc.1") == ("team/a", "1.0.0-rc.1")


@pytest.mark.parametrize(
    "tag",
    [
        "prompts/a@prod/00001",  # too short
        "prompts/a@prod/0000001",  # past six digits only as promote writes them: no leading 0
        "prompts/a@prod/00000x",
        "prompts/a@Prod/000001",  # not an environment-shaped word
        "prompts/A@prod/000001",  # not a prompt name
        "prompts/a@prod",
        "prompts/a@v1.0.0",
        "refs/a@prod/000001",
        "prompts/@prod/000001",
    ],
)
def test_only_the_names_promote_writes_parse(tag):
    assert parse_deployment_name(tag) is None


@pytest.mark.parametrize(
    ("ref", "parts"),
    [
        ("prompts/a@prod/000001", ("a", "prod", "000001")),
        ("prompts/a@prod/", ("a", "prod", "")),
        ("prompts/a@prod/1/2", ("a", "prod", "1/2")),
        ("prompts/a@prod/x@y", ("a", "prod", "x@y")),
        ("prompts/@prod/1", None),
        ("prompts/a@/1", None),
        ("prompts/aprod/1", None),
        ("prompts/a@prod", None),
        ("other/a@prod/1", None),
    ],
)
def test_split_deployment_ref_finds_the_name_and_environment(ref, parts):
    assert split_deployment_ref(ref) == parts


@pytest.mark.parametrize(
    "tag", ["prompts/A B@v1.0.0", "prompts/a@vx", "prompts/a@1.0.0", "prompts/a@v1/0"]
)
def test_other_names_are_not_releases(tag):
    assert parse_release(tag) is None


# -- deployment messages ---------------------------------------------------------------------


def test_a_deployment_reads_back_as_what_promote_recorded():
    message = _message()
    assert message.startswith("# promote team/a 1.2.0 to prod\npromptreg: 1\n")
    found = _read(message)
    assert isinstance(found, Deployment)
    assert found.to_json() == {
        "name": "team/a",
        "env": "prod",
        "seq": 7,
        "tag": TAG,
        "date": "2026-01-01T00:00:00+00:00",
        "tagger": "A <a@b>",
        "action": "promote",
        "version": "1.2.0",
        "content_hash": HASH,
        "commit": COMMIT,
        "path": PATH,
        "previous": "prompts/team/a@prod/000006",
        "reason": "hotfix",
        "forced": True,
        "scores": {"accuracy": 0.9},
        "gate": {"verdict": "pass"},
    }
    assert found.extra == {"gate": {"verdict": "pass"}, "overrides": ["x"]}
    assert found.order == (found.at, 7) and found.at


def test_a_rollback_without_extras_reads_back():
    found = _read(_message(action="rollback", previous=None, reason=None, forced=False, extra=None))
    assert isinstance(found, Deployment)
    assert (found.action, found.previous, found.reason, found.forced) == (
        "rollback", None, None, False,
    )  # fmt: skip
    assert "gate" not in found.to_json() and found.extra == {}


def test_the_deployment_time_is_utc_whatever_the_machine_s_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        message = _message()
    finally:
        monkeypatch.undo()
        time.tzset()
    found = _read(message)
    assert isinstance(found, Deployment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", found.at)
    at = datetime.strptime(found.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60


def test_without_a_precise_time_the_tag_date_orders():
    message = _message().replace("\nat: ", "\nwhen: ")
    found = _read(message)
    assert isinstance(found, Deployment)
    assert found.at == "" and found.order == ("2026-01-01T00:00:00+00:00", 7)


def _set(message: str, key: str, value: str | None) -> str:
    """`message` with `key`'s line replaced (None: removed)."""
    lines = message.splitlines()
    out = [ln for ln in lines if not ln.startswith(f"{key}:")]
    if value is not None:
        out.append(f"{key}: {value}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("promptreg", None, "not promptreg's deployment message (a YAML mapping with `promptreg: 1`)"),
        ("promptreg", "2", "not promptreg's deployment message (a YAML mapping with `promptreg: 1`)"),
        ("action", "release", "message action 'release' is neither promote nor rollback"),
        ("action", None, "message action None is neither promote nor rollback"),
        ("prompt", "team/b", "message records prompt 'team/b', but the tag's is 'team/a'"),
        ("environment", "dev", "message records environment 'dev', but the tag's is 'prod'"),
        ("commit", "d" * 40, f"message records commit '{'d' * 40}', but the tag's is '{COMMIT}'"),
        ("path", "prompts/b.prompt", (
            f"message records path 'prompts/b.prompt', not the prompt's own '{PATH}'"
        )),
        ("version", None, "message records no version or content_hash"),
        ("version", "[1]", "message records no version or content_hash"),
        ("content_hash", None, "message records no version or content_hash"),
    ],
)  # fmt: skip
def test_a_message_that_disagrees_with_its_tag_is_a_reason(key, value, reason):
    assert _read(_set(_message(), key, value)) == reason


def test_each_action_promote_writes_is_accepted():
    for action in ("promote", "rollback"):
        found = _read(_set(_message(), "action", action))
        assert isinstance(found, Deployment) and found.action == action


@pytest.mark.parametrize("tag", ["prompts/team/a@prod/7", "prompts/team/a@v1.2.0"])
def test_a_message_under_another_name_is_not_a_deployment(tag):
    assert _read(_message(), tag) == "not a canonical deployment tag name"


def test_a_message_that_is_not_yaml_is_a_reason():
    assert _read("promptreg: [\n") == (
        "not promptreg's deployment message (a YAML mapping with `promptreg: 1`)"
    )


def test_recorded_values_of_the_wrong_type_are_dropped_not_trusted():
    message = _message(previous=None, reason=None, forced=False, scores={})
    message = _set(message, "previous", "[1]")
    message = _set(message, "reason", "{a: 1}")
    message = _set(message, "forced", "'yes'")
    message = _set(message, "at", "5")
    big = "9" * 400
    message = _set(message, "scores", f"{{big: {big}, t: true, s: x, n: 1, f: 0.5}}")
    found = _read(message)
    assert isinstance(found, Deployment)
    assert (found.previous, found.reason, found.forced, found.at) == (None, None, False, "")
    assert found.scores == {"n": 1.0, "f": 0.5}
    assert isinstance(found.scores["n"], float)
    assert _read(_set(message, "scores", "[0.5]")).scores == {}  # type: ignore[union-attr]


# -- release messages ------------------------------------------------------------------------


def _release(**changes: str) -> str:
    fields = {"name": "team/a", "version": "1.2.0", "content_hash": HASH, "path": PATH}
    fields.update(changes)
    return release_message(**fields)


def test_a_release_message_is_promptreg_s_record_of_that_release():
    message = _release()
    assert message.startswith("# release team/a 1.2.0\n")
    assert read_message(message) == {
        "promptreg": 1,
        "action": "release",
        "prompt": "team/a",
        "version": "1.2.0",
        "content_hash": HASH,
        "path": PATH,
    }
    assert release_problem(tag="prompts/team/a@v1.2.0", commit=COMMIT, message=message,
                           own_path=PATH) is None  # fmt: skip
    assert recorded_hash(message) == HASH


@pytest.mark.parametrize(
    ("tag", "message", "problem"),
    [
        ("prompts/team/a@1.2.0", _release(), "not a release tag name"),
        ("prompts/team/a@v1.2.0", "x: 1\n", (
            "not promptreg's release message (a YAML mapping with `promptreg: 1`)"
        )),
        ("prompts/team/a@v1.2.0", "- 1\n", (
            "not promptreg's release message (a YAML mapping with `promptreg: 1`)"
        )),
        ("prompts/team/a@v1.2.0", _set(_release(), "action", "promote"), (
            "message records action 'promote', but the tag's is 'release'"
        )),
        ("prompts/team/b@v1.2.0", _release(), (
            "message records prompt 'team/a', but the tag's is 'team/b'"
        )),
        ("prompts/team/a@v1.3.0", _release(), (
            "message records version '1.2.0', but the tag's is '1.3.0'"
        )),
        ("prompts/team/a@v1.2.0", _release(path="prompts/x.prompt"), (
            f"message records path 'prompts/x.prompt', but the tag's is '{PATH}'"
        )),
        ("prompts/team/a@v1.2.0", _set(_release(), "content_hash", "5"), (
            "message records no content_hash"
        )),
    ],
)  # fmt: skip
def test_a_release_message_that_disagrees_is_a_problem(tag, message, problem):
    assert release_problem(tag=tag, commit=COMMIT, message=message, own_path=PATH) == problem


@pytest.mark.parametrize("message", ["- 1\n", "content_hash: 5\n", "a: [\n"])
def test_no_recorded_hash_without_one(message):
    assert recorded_hash(message) is None


# -- the fast reader -------------------------------------------------------------------------


def _yaml_or_none(message: str):
    try:
        return read_yaml(message).data
    except (YamlError, RecursionError, ValueError, OverflowError):
        return None


def test_both_readers_agree_on_every_short_value():
    """Every value of up to four characters from the characters that matter to YAML's plain
    and single-quoted scalars: the fast reader's answer is the YAML reader's."""
    alphabet = "'a :-#1."
    for size in range(1, 5):
        for chars in itertools.product(alphabet, repeat=size):
            message = "k: " + "".join(chars) + "\nz: 1\n"
            assert read_message(message) == _yaml_or_none(message), message


@pytest.mark.parametrize(
    ("message", "data"),
    [
        ("a: 1\n\nb: 2\n", {"a": 1, "b": 2}),
        ("# c\na: 'it''s'\n# d\nb: x\n", {"a": "it's", "b": "x"}),
        ("a: ''\nb: null\nc: ~\nd: true\ne: false\nf: {}\n", {
            "a": "", "b": None, "c": None, "d": True, "e": False, "f": {},
        }),
        ("a: -12\nb: 0.25\nc: 1.5e3\n", {"a": -12, "b": 0.25, "c": 1500.0}),
        ("a: " + "9" * 100 + "\n", {"a": int("9" * 100)}),
        ("a: 1." + "5" * 98 + "\n", {"a": float("1." + "5" * 98)}),
    ],
)  # fmt: skip
def test_the_fast_reader_reads_what_promote_writes(message, data):
    assert read_message(message) == data == _yaml_or_none(message)
