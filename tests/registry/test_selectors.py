"""`parse_selector`: every kind of selector, and the near misses that must not be taken for a
version (a planted bug that dropped the version pattern's anchor read `triage@1.0.0/hotfix` as
version 1.0.0, and went uncaught)."""

from __future__ import annotations

import pytest

from promptreg.errors import UsageError
from promptreg.registry.selectors import Selector, parse_selector

ENVS = ("dev", "staging", "prod")


@pytest.mark.parametrize(
    ("text", "kind", "ref"),
    [
        ("triage", "tree", None),
        ("support/triage", "tree", None),
        ("triage@prod", "env", "prod"),
        ("triage@dev", "env", "dev"),
        ("triage@1.4.0", "version", "1.4.0"),
        ("triage@v1.4.0", "version", "1.4.0"),
        ("triage@10.20.30", "version", "10.20.30"),
        ("triage@1.0.0-rc.1", "version", "1.0.0-rc.1"),
        ("triage@1.0.0+build.5", "version", "1.0.0+build.5"),
        # near misses: revisions, not versions
        ("triage@1.0.0/hotfix", "rev", "1.0.0/hotfix"),
        ("triage@1.0.0 ", "rev", "1.0.0 "),
        ("triage@1.0.0\n", "rev", "1.0.0\n"),
        ("triage@1.0", "rev", "1.0"),
        ("triage@x1.0.0", "rev", "x1.0.0"),
        ("triage@release-1.0.0", "rev", "release-1.0.0"),
        ("triage@1.0.0~1", "rev", "1.0.0~1"),
        ("triage@1.0.0^", "rev", "1.0.0^"),
        ("triage@V1.0.0", "rev", "V1.0.0"),
        ("triage@1.0.x", "rev", "1.0.x"),
        ("triage@1.0.0-rc/1", "rev", "1.0.0-rc/1"),
        ("triage@HEAD~2", "rev", "HEAD~2"),
        ("triage@main", "rev", "main"),
        ("triage@abc1234", "rev", "abc1234"),
        ("triage@Prod", "rev", "Prod"),
        ("triage@prod2", "rev", "prod2"),
    ],
)
def test_selector_kinds(text: str, kind: str, ref: str | None):
    selector = parse_selector(text, ENVS)
    assert selector == Selector(text.partition("@")[0], kind, ref)
    assert str(selector) == (text if ref is None else f"{selector.name}@{ref}")


def test_an_environment_wins_over_a_version_of_the_same_spelling():
    assert parse_selector("t@1.0.0", ("1.0.0",)) == Selector("t", "env", "1.0.0")
    assert parse_selector("t@v1.0.0", ("1.0.0",)) == Selector("t", "version", "1.0.0")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Triage@prod", "'Triage@prod': invalid name segment 'Triage'"),
        ("@prod", "'@prod': a prompt name cannot be empty"),
        ("triage@", "'triage@': nothing after `@`; try triage@prod"),
        ("a//b@prod", "invalid name segment ''"),
    ],
)
def test_malformed_selectors_are_usage_errors(text: str, message: str):
    with pytest.raises(UsageError) as caught:
        parse_selector(text, ENVS)
    assert message in str(caught.value)


def test_the_hint_names_the_last_environment():
    with pytest.raises(UsageError, match=r"try t@live\Z"):
        parse_selector("t@", ("test", "live"))


def test_str_of_a_tree_selector_is_the_name():
    assert str(Selector("a/b", "tree")) == "a/b"
    assert str(Selector("a/b", "version", "1.0.0")) == "a/b@1.0.0"
