"""Which bump a change needs (README "Which bump"): the version-bump hook suggests it, and
`--fix` applies it; `bump` takes one part. Through the real CLI on real git repositories."""

from __future__ import annotations

import pytest

from tests.conftest import VALID_PROMPT, Workspace, commit, git

OPTIONAL = "  tier: {type: string, enum: [free, pro], default: free}\n"
CASES = [
    # (what changed, edit of VALID_PROMPT, suggested version, reason in the message)
    ("text", ("You triage tickets.", "You sort tickets."), "1.0.1", None),
    ("params", ("temperature: 0.2", "temperature: 0.3"), "1.0.1", None),
    ("model", ("gpt-4o-2024-08-06", "gpt-4.1-2025-04-14"), "1.1.0", "model changed"),
    (
        "optional input",
        (OPTIONAL, OPTIONAL + "  lang: {type: string, default: en}\n"),
        "1.1.0",
        "optional input `lang` added",
    ),
    ("enum widened", ("[free, pro]", "[free, pro, team]"), "1.1.0", "allowed values widened"),
    (
        "required input",
        (OPTIONAL, OPTIONAL + "  lang: {type: string, required: true}\n"),
        "2.0.0",
        "required input `lang` added",
    ),
    ("enum narrowed", ("[free, pro]", "[pro]"), "2.0.0", "allowed values narrowed"),
    ("max_chars lowered", ("max_chars: 200", "max_chars: 100"), "2.0.0", "max_chars changed"),
    ("input removed", (OPTIONAL, ""), "2.0.0", "input `tier` removed"),
    (
        "model and required input",
        ("max_chars: 200}", "max_chars: 200}\n  lang: {type: string, required: true}"),
        "2.0.0",
        "required input `lang` added",
    ),
]


def _edit(repo: Workspace, old: str, new: str) -> None:
    text = VALID_PROMPT.replace(old, new)
    if "lang" in new:
        text = text.replace("{{ ticket }}", "{{ ticket }} {{ lang }}")
    if new == "":
        text = text.replace("({{ tier }}) ", "")
    assert text != VALID_PROMPT
    repo.prompt("triage", text)


@pytest.mark.parametrize(("what", "edit", "suggested", "why"), CASES, ids=[c[0] for c in CASES])
def test_the_hook_suggests_the_bump_the_change_needs(
    repo: Workspace, run, what, edit, suggested, why
):
    _edit(repo, *edit)
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump")
    assert result.code == 1
    assert f"bump it to {suggested}" in result.out
    if why is None:
        assert "`promptreg bump triage`" in result.out
    else:
        assert why in result.out
        part = "minor" if suggested == "1.1.0" else "major"
        assert (
            f"a {part} change" in result.out and f"`promptreg bump triage --{part}`" in result.out
        )
    fixed = run("hook", "version-bump", "--fix", "prompts/triage.prompt")
    assert fixed.code == 1 and f"version 1.0.0 → {suggested}" in fixed.out
    assert f"version: {suggested}" in (repo.prompts / "triage.prompt").read_text()


def test_a_lower_version_is_told_the_bump_the_change_needs(repo: Workspace, run):
    _edit(repo, OPTIONAL, OPTIONAL + "  lang: {type: string, required: true}\n")
    repo.prompt("triage", (repo.prompts / "triage.prompt").read_text().replace("1.0.0", "0.9.0"))
    git(repo.root, "add", "-A")
    result = run("hook", "version-bump")
    assert "PR071" in result.out and "use 2.0.0 or higher" in result.out


@pytest.mark.parametrize(
    "flags", [("--major", "--minor"), ("--minor", "--patch"), ("--major", "--minor", "--patch")]
)
def test_bump_takes_one_part(repo: Workspace, run, flags):
    result = run("bump", "triage", *flags)
    assert result.code == 2
    assert "mutually exclusive" in result.err
    assert "version: 1.0.0" in (repo.prompts / "triage.prompt").read_text()  # nothing written


def test_bump_defaults_to_patch(repo: Workspace, run):
    assert "1.0.0 → 1.0.1" in run("bump", "triage").out
    assert "1.0.1 → 1.0.2" in run("bump", "triage", "--patch").out
    commit(repo, "bumped")
