"""promptreg-no-secrets: the allow-marker silences its own line and nothing else (a planted bug
that skipped the line after the marker went uncaught), the edges of what counts as a secret,
and the hook itself in a real repository."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.app.secrets import (
    ALLOW_MARKER,
    ENTROPY_THRESHOLD,
    _overlaps,
    looks_random,
    mask,
    scan_text,
    shannon_entropy,
)
from promptreg.hooks.no_secrets import run_no_secrets
from promptreg.hooks.report import HookReport
from promptreg.project.project import Project
from tests.conftest import Workspace, commit, git

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"
AWS = "AKIAIOSFODNN7EXAMPLE"
SECRET_LINES = [f"key: {OPENAI}", f"aws: {AWS}", "api_token=9f8e7d6c5b4a39281706f5e4d3c2b1a0"]
PLAIN_LINES = ["version: 1.0.0", "user:", "{{ ticket }}", "", "# a comment"]
MARKERS = [f"# {ALLOW_MARKER}", f"{{# {ALLOW_MARKER} #}}"]


@pytest.mark.parametrize("marker", MARKERS)
def test_the_line_after_a_marker_is_still_scanned(marker: str):
    hits = scan_text(f"---\n{marker}\nkey: {OPENAI}\n")
    assert [hit.line for hit in hits] == [3]


@pytest.mark.parametrize("marker", MARKERS)
def test_the_line_before_a_marker_is_still_scanned(marker: str):
    hits = scan_text(f"---\nkey: {OPENAI}\n{marker}\n")
    assert [hit.line for hit in hits] == [2]


def test_a_marker_silences_its_own_line_only():
    text = f"a: {AWS}\nb: {AWS}  # {ALLOW_MARKER}\nc: {AWS}\n"
    assert [hit.line for hit in scan_text(text)] == [1, 3]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(SECRET_LINES + PLAIN_LINES),
            st.sampled_from([None, *MARKERS]),
            st.booleans(),  # the marker on a line of its own before this one, or at its end
        ),
        max_size=12,
    )
)
def test_hits_are_exactly_the_secret_lines_without_a_marker(
    lines: list[tuple[str, str | None, bool]],
):
    text_lines: list[str] = []
    expected: list[int] = []
    for content, marker, own_line in lines:
        if marker is not None and own_line:
            text_lines.append(marker)
        if marker is not None and not own_line:
            text_lines.append(f"{content}  {marker}")
        else:
            text_lines.append(content)
            if content in SECRET_LINES:
                expected.append(len(text_lines))
    assert [hit.line for hit in scan_text("\n".join(text_lines))] == expected


# -- what counts as a secret, at its edges -----------------------------------------------------

CORE = "Ab3dEf6hIj9kLm2nOp5q"  # random-looking: mixed case, digits, high entropy


@pytest.mark.parametrize("wrap", ["${}", "%{}", "<{}>", "sha256:{}", "x{{%{}", "{{{{ {} }}}}"])
def test_placeholders_and_template_code_are_not_random(wrap: str):
    assert looks_random(CORE)
    assert not looks_random(wrap.format(CORE))


def test_entropy_exactly_at_the_threshold_counts_as_random():
    value = "abcdefgh12341234"  # 8 symbols once, 4 twice: exactly 3.5 bits a character
    assert shannon_entropy(value) == ENTROPY_THRESHOLD
    assert looks_random(value)


def test_a_mask_keeps_two_characters_of_a_short_value_and_four_of_a_long_one():
    assert mask("abcdefghijklmno") == "ab…(15 chars)"
    assert mask("abcdefghijklmnop") == "abcd…(16 chars)"


@pytest.mark.parametrize(
    "value",
    [
        "sk-abcdefghij0123456789abcd",  # no upper case
        "sk-AbcdefghijKlmnopqrstUvwx",  # no digit
    ],
)
def test_a_prefixed_key_must_mix_upper_lower_and_digits(value: str):
    assert scan_text(f"x {value} y") == []


def test_a_non_key_match_does_not_hide_a_real_key_later_on_the_line():
    hits = scan_text(f"use sk-learn-compatible-estimators-everywhere with {OPENAI}")
    assert [(hit.line, hit.kind) for hit in hits] == [(1, "OpenAI API key")]


def test_two_assigned_secrets_on_one_line_are_two_hits():
    line = "token=9f8e7d6c5b4a39281706f5e4d3c2b1a0 password=hX8qZ2pL9vR4mN7k"
    assert [hit.kind for hit in scan_text(line)] == [
        "high-entropy value for `token`",
        "high-entropy value for `password`",
    ]


def test_a_known_key_assigned_to_a_secret_name_is_one_hit():
    hits = scan_text(f"api_key = {OPENAI}")
    assert [hit.kind for hit in hits] == ["OpenAI API key"]


def test_a_private_key_block_is_reported_without_any_of_it():
    hits = scan_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n")
    assert [(hit.line, hit.kind, hit.masked) for hit in hits] == [(1, "private key", "block")]


@pytest.mark.parametrize(
    ("span", "taken", "overlaps"),
    [
        ((5, 10), [(0, 5)], False),  # adjacent, before
        ((0, 5), [(5, 10)], False),  # adjacent, after
        ((4, 6), [(5, 10)], True),
        ((6, 12), [(5, 10)], True),
        ((20, 30), [(0, 5)], False),
        ((0, 3), [(10, 20)], False),
    ],
)
def test_overlapping_spans(span: tuple[int, int], taken: list[tuple[int, int]], overlaps: bool):
    assert _overlaps(span, taken) is overlaps


# -- the hook, in a real repository ------------------------------------------------------------


def _findings(report: HookReport) -> list[tuple[str, int, int, str]]:
    return [(f.path, f.line, f.col, f.code) for f in report.findings]


def test_the_hook_scans_the_files_given_skipping_binaries(repo: Workspace):
    repo.write("prompts/partials/bin.j2", b"\0" + f"key: {OPENAI}\n".encode())
    # A NUL past the first 8,192 bytes does not make a file binary.
    late = b"a" * 8191 + b"\n\0\n" + f"key: {OPENAI}\n".encode()
    repo.write("prompts/partials/late.j2", late)
    repo.write("prompts/partials/latin1.j2", b"caf\xe9\n" + f"key: {OPENAI}\n".encode())
    files = ["prompts/partials/bin.j2", "prompts/partials/late.j2", "prompts/partials/latin1.j2"]
    report = run_no_secrets(Project.open(repo.root), files, environ={})
    assert report.checked == 3
    assert _findings(report) == [
        ("prompts/partials/late.j2", 3, 1, "PR074"),
        ("prompts/partials/latin1.j2", 2, 1, "PR074"),
    ]
    assert "rotate the key" in report.findings[0].message
    assert OPENAI not in report.findings[0].message


def test_the_hook_scans_what_changed_since_the_base(repo: Workspace):
    repo.write("prompts/partials/leak.j2", f"key: {OPENAI}\n")
    commit(repo, "leak")
    project = Project.open(repo.root)
    assert run_no_secrets(project, [], environ={}).findings == []  # nothing staged
    report = run_no_secrets(project, [], base="HEAD~1", environ={})
    assert _findings(report) == [("prompts/partials/leak.j2", 1, 1, "PR074")]


def test_the_hook_scans_the_target_revision_pre_commit_names(repo: Workspace):
    first = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write("prompts/partials/leak.j2", f"key: {OPENAI}\n")
    second = commit(repo, "leak")
    repo.write("prompts/partials/leak.j2", "clean now\n")
    git(repo.root, "add", "-A")
    environ = {"PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": second}
    report = run_no_secrets(Project.open(repo.root), [], environ=environ)
    assert _findings(report) == [("prompts/partials/leak.j2", 1, 1, "PR074")]
