"""The `json` filter writes what JavaScript's `JSON.stringify(value, null, indent)` writes
(Dotprompt's `{{json}}` helper), within the render's limits.

The oracle is JavaScript itself: when `node` is on the machine, one node process answers
every example (hypothesis over nested values, strings with control characters, surrogates
and non-ASCII, floats of every magnitude, integer-like keys, indents as numbers and strings).
The bounded tests run the filter under small limits: a result or a LimitError/ValueError,
never more text than the limit, never past the step budget.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.limits import Budget, LimitExceeded, Limits, active
from promptreg.template.json_text import js_number, json_text

NODE = shutil.which("node")
_ORACLE = r"""
const rl = require('readline').createInterface({input: process.stdin});
rl.on('line', (line) => {
  const [value, indent] = JSON.parse(line);
  process.stdout.write(JSON.stringify(JSON.stringify(value, null, indent)) + '\n');
});
"""


@pytest.fixture(scope="module")
def node() -> Iterator[subprocess.Popen[str]]:
    if NODE is None:
        pytest.skip("node is not on this machine")
    proc = subprocess.Popen(
        [NODE, "-e", _ORACLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)


def stringify(node: subprocess.Popen[str], value: Any, indent: Any) -> str:
    assert node.stdin is not None and node.stdout is not None
    node.stdin.write(json.dumps([value, indent]) + "\n")  # ASCII: lone surrogates as \ud800
    node.stdin.flush()
    return str(json.loads(node.stdout.readline()))


_FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, -0.0, 1e-7, 1e-6, 123e-9, 1e21, 1e20, 1.5e300, 5e-324, 2.0**53]),
)
_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1f", "\x7f", "\u2028", '"', "\\", "\ud800", "\udfff"]),
    ),
    max_size=12,
)
_KEYS = st.one_of(_TEXT, st.sampled_from(["0", "1", "7", "10", "01", "-1", "4294967295", "1.5"]))
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), _FLOATS, _TEXT
)  # JavaScript holds integers exactly up to 2**53
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)
INDENTS = st.one_of(
    st.none(),
    st.integers(-2, 14),
    st.sampled_from(["", "\t", "--", "abcdefghijklmno"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES, indent=INDENTS)
def test_same_text_as_javascript(node: subprocess.Popen[str], value: Any, indent: Any) -> None:
    assert json_text(value, indent) == stringify(node, value, indent)


@pytest.mark.parametrize(
    ("value", "indent", "text"),
    [
        ({"test": True}, None, '{"test":true}'),
        ({"test": True}, 2, '{\n  "test": true\n}'),
        ({"b": 1, "a": [1, 2.0]}, None, '{"b":1,"a":[1,2]}'),  # order kept, 2.0 is 2
        ({"b": 1, "10": 2, "2": 3}, None, '{"2":3,"10":2,"b":1}'),  # JavaScript's key order
        ({}, 4, "{}"),
        ([], 4, "[]"),
        ("<a href='x'>&</a>", None, "\"<a href='x'>&</a>\""),  # no HTML escapes
        ("é\n\x1f\ud800", None, '"é\\n\\u001f\\ud800"'),
        (float("nan"), None, "null"),
        (
            [1e21, 1e-7, 0.1, -0.0, 123456789012345680000.0],
            None,
            "[1e+21,1e-7,0.1,0,123456789012345680000]",
        ),
        (2**64, None, "18446744073709551616"),  # in full (JavaScript would round it)
        (
            {1: "a", False: "b", None: "c", 1.5: "d"},
            None,
            '{"1":"a","false":"b","null":"c","1.5":"d"}',
        ),
        ([1], "\t", "[\n\t1\n]"),
        ([1], 99, "[\n          1\n]"),  # at most 10
        ([1], 0, "[1]"),
        ((1, 2), None, "[1,2]"),
    ],
)
def test_examples(value: Any, indent: Any, text: str) -> None:
    assert json_text(value, indent) == text


def test_js_number_forms() -> None:
    assert [js_number(x) for x in (1.0, 1.5, 1e-6, 1e-7, 1e20, 1e21, 2.5e-8)] == [
        "1",
        "1.5",
        "0.000001",
        "1e-7",
        "100000000000000000000",
        "1e+21",
        "2.5e-8",
    ]


@pytest.mark.parametrize("value", [{1, 2}, object(), {(1, 2): "x"}, b"bytes"])
def test_what_json_has_no_form_for_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        json_text(value)


def _limited(**limits: Any) -> Budget:
    return Budget(Limits(**limits))


@settings(max_examples=60, deadline=None)
@given(value=VALUES, indent=INDENTS, limit=st.integers(1, 200), steps=st.integers(1, 60))
def test_bounded(value: Any, indent: Any, limit: int, steps: int) -> None:
    """Under any limits: a text within the size limit, written in at most the steps it has
    (one a value), or LimitExceeded naming the limit it hit."""
    budget = _limited(max_string_chars=limit, max_steps=steps)
    token = active.set(budget)
    try:
        text = json_text(value, indent)
    except LimitExceeded as err:
        assert err.key in ("max_string_chars", "max_steps", "max_int_bits")
    else:
        assert len(text) <= limit
        assert budget.steps >= -1
    finally:
        active.reset(token)


def test_nesting_and_cycles_are_refused() -> None:
    deep: list[Any] = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100"):
        json_text(deep)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 100"):
        json_text(loop)


def test_big_integers_are_held_to_the_bit_limit() -> None:
    token = active.set(_limited(max_int_bits=64))
    try:
        assert json_text([2**63]) == "[9223372036854775808]"
        with pytest.raises(LimitExceeded, match="max_int_bits"):
            json_text([2**70])
        with pytest.raises(LimitExceeded, match="max_int_bits"):
            json_text({2**70: 1})
    finally:
        active.reset(token)
    with pytest.raises(LimitExceeded):  # outside a render: the default limits
        json_text(10**5000)
