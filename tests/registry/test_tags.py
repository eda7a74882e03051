"""Deployment tag messages: written as YAML 1.2, read back exactly, fast or slow."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.frontmatter._yaml import read_yaml
from promptreg.registry.tags import deployment_message, read_message

TRICKY = [
    "",
    "hotfix",
    "Q4: shorter",
    "a\nb",
    "it's",
    "'q'",
    "a #b",
    "yes",
    "1.5",
    "1e3",
    "0x1F",
    "010",
    "null",
    "~",
    "true",
    "TRUE",
    " pad ",
    "é",
    "x: y",
    "- d",
    "[l]",
    "{m}",
    "@a",
    ".inf",
]


def _message(reason: str | None, scores: dict[str, float]) -> str:
    return deployment_message(
        action="promote",
        name="team/a",
        env="prod",
        version="1.0.0-rc.1+build.5",
        content_hash="sha256:" + "a" * 64,
        commit="c" * 40,
        path="prompts/team/a.prompt",
        previous="prompts/team/a@prod/000001",
        reason=reason,
        forced=reason is not None,
        scores=scores,
    )


@pytest.mark.parametrize("reason", [None, *TRICKY])
def test_every_reason_round_trips(reason):
    message = _message(reason, {"accuracy": 0.93})
    data = read_message(message)
    assert data == read_yaml(message).data
    assert data["reason"] == reason
    assert data["scores"] == {"accuracy": 0.93}
    assert data["version"] == "1.0.0-rc.1+build.5"


@given(
    st.text(max_size=60),
    # Scores are keyed by metric names (words), as `promptreg eval` writes them.
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True), st.floats(0, 1), max_size=3
    ),
)
@settings(max_examples=300)
def test_fast_reader_agrees_with_yaml(reason, scores):
    message = _message(reason, scores)
    assert read_message(message) == read_yaml(message).data


def _yaml_or_none(message: str):
    """The YAML reader's answer, refusals as None (what `read_message` returns for them)."""
    from promptreg.frontmatter.yamldoc import YamlError

    try:
        return read_yaml(message).data
    except (YamlError, RecursionError, ValueError, OverflowError):
        return None


_KEYS = st.sampled_from(
    ["promptreg", "version", "a", "null", "true", "false", "True", "_x", "é", "a b", "1", "-"]
)
_VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "-0",
            "0.5",
            "1e3",
            "1.0e5",
            "1.5e999",
            "null",
            "~",
            "true",
            "True",
            "yes",
            "'it''s'",
            "'a",
            "x #c",
            "x: y",
            "{}",
            "[]",
            "-",
            "@a",
            "9" * 120,
            "0x1F",
            "010",
            "a\x85b",
            "a\u2028b",
            "\t",
            "",
            " pad",
            "é",
        ]
    ),
    st.text(max_size=12),
)
_LINES = st.one_of(
    st.tuples(_KEYS, st.sampled_from([": ", ":", " : ", ":\t"]), _VALUES).map("".join),
    st.sampled_from(["", "# c", "---", "...", "  a: 1", "- x", "a:", "\r", "a: 1\r"]),
)


@given(st.lists(_LINES, max_size=6).map("\n".join))
@settings(max_examples=400, deadline=None)
def test_both_readers_give_one_answer_on_yaml_ish_messages(message):
    assert _same(read_message(message), _yaml_or_none(message))


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_both_readers_give_one_answer_on_any_text(message):
    assert _same(read_message(message), _yaml_or_none(message))


def _same(a: object, b: object) -> bool:
    """Equal values of the same types, NaN included (`.nan` reads as a float NaN in both
    readers, and NaN != NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize(
    "message",
    [
        "promptreg: 1\nversion: 1.0.0\nversion: 2.0.0\n",  # a key written twice
        "null: 1\n",
        "true: 1\n",
        "a: x\x85b: y\n",
        "a: 1\u2028b: 2\n",
        "a: " + "9" * 5000 + "\n",
        "a: " + "[" * 990 + "]" * 990 + "\n",
    ],
)
def test_the_readers_agree_on_the_known_disagreements(message):
    assert _same(read_message(message), _yaml_or_none(message))
    if "version: 2.0.0" in message:
        assert read_message(message) is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "promptreg",
                    "action",
                    "prompt",
                    "environment",
                    "version",
                    "content_hash",
                    "commit",
                    "path",
                    "previous",
                    "reason",
                    "forced",
                    "scores",
                    "at",
                    "x",
                ]
            ),
            st.one_of(
                st.sampled_from(
                    [
                        "1",
                        "promote",
                        "rollback",
                        "t",
                        "prod",
                        "{}",
                        "{a: 1e999}",
                        "{a: " + "9" * 400 + "}",
                        "true",
                        "[1]",
                        "'../../x'",
                    ]
                ),
                st.text(max_size=10),
            ),
        ),
        max_size=12,
    ),
    st.text(alphabet="0123456789９١²/x", max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_parsing_any_message_or_name_is_a_deployment_or_a_reason(fields, seq):
    from promptreg.registry.tags import Deployment, deployment_from_message

    message = "\n".join(f"{k}: {v}" for k, v in fields)
    found = deployment_from_message(
        tag=f"prompts/t@prod/{seq}",
        commit="c" * 40,
        tagger="A <a@b>",
        date="",
        message=message,
        own_path="prompts/t.prompt",
    )
    assert isinstance(found, Deployment | str)
    if isinstance(found, Deployment):
        assert found.name == "t" and found.env == "prod" and found.commit == "c" * 40
        assert found.path == "prompts/t.prompt" and len(seq) == 6 and seq.isascii()


_HEADER_LINES = st.sampled_from(
    [
        "object " + "a" * 40,
        "object xyz",
        "type commit",
        "type tag",
        "tag prompts/t@prod/000001",
        "tagger A <a@b> 1700000000 +0000",
        "tagger A <a@b> 99999999999999999999 +0000",
        "tagger A <a@b> 1700000000 +9999",
        "tagger A <a@b> 1700000000 x",
        "tagger ",
        "",
        "-----BEGIN SSH SIGNATURE-----",
        "promptreg: 1",
    ]
)


@given(st.lists(_HEADER_LINES, max_size=8).map("\n".join) | st.binary(max_size=60).map(repr))
@settings(max_examples=300, deadline=None)
def test_reading_any_tag_object_gives_its_fields_or_none(text):
    from promptreg.registry.tagobject import parse_tag_object

    tag = parse_tag_object("b" * 40, text.encode("utf-8", "surrogatepass"))
    if tag is not None:
        assert len(tag.target) in (40, 64) and tag.tag and tag.target_type
        assert tag.message + tag.signature in text


def test_a_seq_is_canonical_up_to_its_widest():
    """Six to twelve ASCII digits, no leading zero past six: the widest seq promptreg reads is
    twelve digits, and a thirteenth is a name nobody made."""
    from promptreg.registry.tags import MAX_SEQ_DIGITS, canonical_seq

    assert canonical_seq("triage", "prod", "000001") == 1
    assert canonical_seq("triage", "prod", "9" * MAX_SEQ_DIGITS) == int("9" * MAX_SEQ_DIGITS)
    assert canonical_seq("triage", "prod", "1" + "0" * MAX_SEQ_DIGITS) is None
    assert canonical_seq("triage", "prod", "00001") is None
    assert canonical_seq("triage", "prod", "0000001") is None


def test_a_legacy_deployment_says_so_in_its_json_and_only_then():
    """`history --json`/`status --json` show a deployment counted through a scheme-1 hash."""
    from promptreg.registry.tags import Deployment

    fields = dict(
        name="triage", env="prod", seq=1, tag="prompts/triage@prod/000001", commit="c" * 40,
        action="promote", version="1.0.0", content_hash="sha256:" + "a" * 64,
        path="prompts/triage.prompt", previous=None, reason=None, forced=False,
    )  # fmt: skip
    assert Deployment(**fields, legacy=True).to_json()["legacy_hash"] is True
    assert "legacy_hash" not in Deployment(**fields).to_json()
