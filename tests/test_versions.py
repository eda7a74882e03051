"""Version ordering, pre-releases included, as semver 2.0 §11 defines precedence: the spec's own
example chain, build metadata ignored, and a property test against a comparator written from
the spec's words."""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.versions import Version, version_key

# semver.org §11.4: "Example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta <
# 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0."
SPEC_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1-0",
    "1.0.1",
    "1.1.0-rc.1",
    "2.0.0",
]


def test_the_spec_chain_is_in_order():
    versions = [Version(v) for v in SPEC_CHAIN]
    for earlier, later in itertools.pairwise(versions):
        assert earlier < later and later > earlier and earlier != later, (earlier, later)
    assert sorted(reversed(versions)) == versions
    assert sorted(reversed(SPEC_CHAIN), key=version_key) == SPEC_CHAIN


def test_build_metadata_is_ignored_in_precedence():
    assert Version("1.0.0+build.1") == Version("1.0.0+build.2") == Version("1.0.0")
    assert hash(Version("1.0.0-rc.1+a")) == hash(Version("1.0.0-rc.1"))
    assert Version("1.0.0-rc.1+zzz") < Version("1.0.0+aaa")


def test_version_key_puts_what_is_not_a_version_last():
    assert sorted(["b", "1.0.0", "1.0.0-rc.1", "a", "0.9.0"], key=version_key) == [
        "0.9.0",
        "1.0.0-rc.1",
        "1.0.0",
        "a",
        "b",
    ]


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0-a..b", "v1.0.0"])
def test_what_semver_refuses_is_refused(text: str):
    with pytest.raises(ValueError):
        Version(text)


def _spec_compare(a: str, b: str) -> int:
    """semver §11, word for word: major, minor, patch numerically; a pre-release version has
    lower precedence than the normal one; identifiers compared left to right, numeric ones
    numerically, alphanumeric ones lexically in ASCII order, numeric lower than alphanumeric;
    a larger set of fields wins when all the preceding ones are equal."""
    core_a, _, pre_a = a.partition("+")[0].partition("-")
    core_b, _, pre_b = b.partition("+")[0].partition("-")
    nums_a = [int(x) for x in core_a.split(".")]
    nums_b = [int(x) for x in core_b.split(".")]
    if nums_a != nums_b:
        return -1 if nums_a < nums_b else 1
    if not pre_a or not pre_b:
        return (not pre_a) - (not pre_b)  # the one without a pre-release is greater
    ids_a, ids_b = pre_a.split("."), pre_b.split(".")
    for x, y in zip(ids_a, ids_b, strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    return (len(ids_a) > len(ids_b)) - (len(ids_a) < len(ids_b))


_NUMERIC = st.integers(0, 120).map(str)
_ALPHA = st.text("abcxyzABZ-019", min_size=1, max_size=4).filter(lambda s: not s.isdigit())
_PRE = st.lists(st.one_of(_NUMERIC, _ALPHA), min_size=0, max_size=4).map(".".join)
_VERSION = st.builds(
    lambda core, pre, build: f"{core}{'-' + pre if pre else ''}{'+' + build if build else ''}",
    st.sampled_from(["1.0.0", "1.0.1", "1.2.0", "2.0.0"]),
    _PRE,
    st.sampled_from(["", "b.1", "exp-sha.5114f85"]),
)


@settings(max_examples=300, deadline=None)
@given(_VERSION, _VERSION)
def test_ordering_agrees_with_the_spec(a: str, b: str):
    expected = _spec_compare(a, b)
    va, vb = Version(a), Version(b)
    assert (va < vb, va == vb, va > vb) == (expected < 0, expected == 0, expected > 0), (a, b)


@settings(max_examples=100, deadline=None)
@given(st.lists(_VERSION, min_size=2, max_size=8))
def test_sorting_agrees_with_the_spec(texts: list[str]):
    ours = [str(v) for v in sorted(Version(t) for t in texts)]
    spec = sorted(texts, key=functools.cmp_to_key(_spec_compare))
    assert [Version(t) for t in ours] == [Version(t) for t in spec]
