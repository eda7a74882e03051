"""Tag messages are written and read without a YAML library, and mean what YAML says they do.

`write_message` must produce text that (1) the fast reader reads back as exactly the data,
(2) the YAML reader reads as the same data (any other tool reading the tag sees what
promptreg sees), whatever a reason or an override holds; and `read_message` must give the
YAML reader's answer on any text, including quoted strings and flow collections it reads
itself."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.yamldoc import YamlError
from promptreg.registry.tagmessage import read_fast, read_message, write_message
from promptreg.registry.tags import deployment_message


def _yaml_or_none(message: str):
    try:
        return read_yaml(message).data
    except (YamlError, RecursionError, ValueError, OverflowError):
        return None


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


_TEXT = st.text(max_size=40) | st.sampled_from(
    ["", "a\nb", "x: y", "'q'", '"q"', "\\", "\\n", "é\u2028\x85\ufeff", "\U000f0000", "null"]
)
_FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(
    reason=st.none() | _TEXT,
    scores=st.dictionaries(_TEXT, _FINITE | st.integers(-(10**20), 10**20), max_size=3),
    overrides=st.lists(_TEXT, max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_what_promote_writes_reads_back_without_yaml(reason, scores, overrides):
    message = deployment_message(
        action="promote",
        name="team/a",
        env="prod",
        version="1.0.0",
        content_hash="sha256:" + "a" * 64,
        commit="c" * 40,
        path="prompts/team/a.prompt",
        previous=None,
        reason=reason,
        forced=True,
        scores=scores,
        extra={"overrides": overrides} if overrides else {},
    )
    fast = read_fast(message)
    assert fast is not None, message  # no YAML library needed to read it
    assert fast["reason"] == reason and _same(fast["scores"], scores)
    assert fast.get("overrides", []) == overrides
    assert _same(fast, _yaml_or_none(message))  # and YAML reads the same thing


@pytest.mark.parametrize(
    "value",
    [{"nested": {"a": 1}}, float("inf"), float("nan"), {1: "a"}, ("a",), 10**200],
)
def test_values_without_a_flat_form_fall_back_to_yaml_and_still_agree(value):
    message = write_message("summary", {"promptreg": 1, "x": value})
    assert message.startswith("# summary\n")
    assert read_fast(message) is None
    assert _same(read_message(message), _yaml_or_none(message))


_QUOTED_PARTS = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            "é",
            "#",
            "'",
            ": ",
            '\\"',
            "\\\\",
            "\\n",
            "\\t",
            "\\0",
            "\\/",
            "\\x41",
            "\\x4",
            "\\u00e9",
            "\\ud800",
            "\\udc00",
            "\\U0001f600",
            "\\U00110000",
            "\\e",
            "\\ ",
            "\\N",
            '"',
            "\\",
        ]
    ),
    max_size=6,
).map(lambda parts: '"' + "".join(parts) + '"')
_ITEMS = st.one_of(
    _QUOTED_PARTS,
    st.sampled_from(["1", "-0", "0.5", "1.0e999", "1e3", "true", "null", "x", "'a'", "-", "1.5.5"]),
)
_FLOWS = st.one_of(
    st.lists(_ITEMS, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(st.tuples(_QUOTED_PARTS | st.sampled_from(["a", "1"]), _ITEMS), max_size=3).map(
        lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
    ),
    st.sampled_from(["{", "[", "[[1]]", '{"a": {"b": 1}}', '["a",1]', '{"a":1}', "[ ]", '["a"] x']),
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["reason", "scores", "overrides", "a"]), _QUOTED_PARTS | _FLOWS
        ).map(": ".join),
        min_size=1,
        max_size=4,
    ).map("\n".join)
)
@settings(max_examples=500, deadline=None)
def test_both_readers_give_one_answer_on_quoted_and_flow_values(message):
    assert _same(read_message(message), _yaml_or_none(message))


@pytest.mark.parametrize(
    "message",
    [
        'a: "\\ud83d\\ude00"\n',  # a surrogate pair: YAML keeps two halves
        'a: "\\U00110000"\n',
        'a: {"k": 1, "k": 2}\n',  # a key written twice
        'a: {"k": 1.0e999}\n',
        'a: ["x", [1]]\n',
        'a: "x" # comment\n',
    ],
)
def test_the_readers_agree_where_json_and_yaml_part(message):
    assert _same(read_message(message), _yaml_or_none(message))


def test_values_read_are_never_shared_between_messages():
    """The fast reader caches scalar values: a mapping or list it returns must still be
    the caller's own."""
    message = "promptreg: 1\nscores: {}\noverrides: []\n"
    first, second = read_message(message), read_message(message)
    first["scores"]["x"] = 1.0
    first["overrides"].append("y")
    assert second == {"promptreg": 1, "scores": {}, "overrides": []}


# Every kind of value promptreg writes, each at the edge of its form.
_EVERY_FORM = {
    "promptreg": 1,
    "action": "promote",
    "forced": False,
    "signed": True,
    "previous": None,
    "n": -12,
    "big": 10**99,  # 100 digits: the longest number written plain
    "f": 0.93,
    "e": 1e16,  # repr `1e+16`: written with its `.0`
    "reason": 'a "b"\nc\\d \x01 \x85 \uffff \ue000 \U0010ffff \U000e0001 é ÿ Ā',
    "plain": "prod",
    "word": "true",
    "scores": {"acc": 0.5, 'q"': -3},
    "extra": {"k": "prod"},
    "overrides": ["gate: stale", 12, None, False],
}
_EVERY_FORM_TEXT = """\
# promote x
promptreg: 1
action: promote
forced: false
signed: true
previous: null
n: -12
big: 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
f: 0.93
e: 1.0e+16
reason: "a \\"b\\"\\nc\\\\d \\x01 \\x85 \\uffff \\ue000 \\U0010ffff \\U000e0001 é ÿ Ā"
plain: prod
word: "true"
scores: {"acc": 0.5, "q\\"": -3}
extra: {"k": "prod"}
overrides: ["gate: stale", 12, null, false]
"""


def test_each_kind_of_value_is_written_in_its_one_form():
    """The text is what reviewers and other tools read in `git show`: a value plain where it
    reads back as itself, else double-quoted with the shortest escape; flat flow
    collections whose strings are always quoted."""
    assert write_message("promote x", _EVERY_FORM) == _EVERY_FORM_TEXT


def test_the_messages_promptreg_writes_never_reach_the_yaml_reader(monkeypatch):
    """An application's `get` reads them without importing a YAML library."""
    from promptreg.registry import tagmessage

    def no_yaml(message: str) -> None:
        raise AssertionError(f"read with the YAML reader: {message!r}")

    monkeypatch.setattr(tagmessage, "_read_yaml_message", no_yaml)
    assert read_message(write_message("promote x", _EVERY_FORM)) == _EVERY_FORM


@pytest.mark.parametrize(
    "data",
    [
        {"Bad-Key": "a\nb"},  # a key the fast reader does not read
        {"promptreg": 1, "x": {"nested": {"a": 1}}},
        {"promptreg": 1, "x": float("inf")},
        {"reason": "a\nb", "x": 10**100},  # 101 digits: one past the longest written plain
    ],
)
def test_what_has_no_flat_form_is_the_yaml_writers_text_and_reads_back(data):
    from promptreg.frontmatter._yaml import dump_yaml

    message = write_message("s", data)
    assert message == "# s\n" + dump_yaml(data)
    assert read_message(message) == data


@pytest.mark.parametrize(
    "message", ['a: "\\udfff"\n', 'a: "\\ud7ff"\n', 'a: "\\ue000"\n', 'a: "\\U0010ffff"\n']
)
def test_the_readers_agree_at_the_edges_of_the_surrogates_and_of_unicode(message):
    assert _same(read_message(message), _yaml_or_none(message))
