"""`validate` reports secrets (PR074) by the no-secrets hook's own rules: one rule set,
wherever it runs. Through the real CLI, and against the real hook on the same files."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.app.secrets import scan_lines, scan_text
from promptreg.hooks.no_secrets import run_no_secrets
from promptreg.project.project import Project
from tests.conftest import VALID_PROMPT, Workspace, commit, git

KEY = "sk-proj-" + "Ab3" * 15
ASSIGNED = "api_key = 9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_validate_reports_a_secret_in_a_prompt_and_in_a_partial(ws: Workspace, run):
    ws.prompt("triage", VALID_PROMPT.replace("You triage tickets.", f"You triage. {KEY}"))
    ws.prompt("other")
    ws.write("prompts/partials/tone.j2", f"Be kind.\n{{# {ASSIGNED} #}}\n")
    result = run("validate", "--json")
    assert result.code == 1
    found = [(f["path"], f["line"], f["code"]) for f in json.loads(result.out)["findings"]]
    # the shared partial is reported once, though two prompts include it
    assert found == [
        ("prompts/partials/tone.j2", 2, "PR074"),
        ("prompts/triage.prompt", 14, "PR074"),
    ]
    assert KEY not in result.out and "sk-p…(53 chars)" in result.out


def test_validate_and_the_hook_find_the_same_secrets(ws: Workspace, isolated_git, run):
    git(ws.root, "init", "-q")
    lines = [KEY, ASSIGNED, "token: placeholder-goes-here", "# promptreg: allow-secret " + KEY]
    text = VALID_PROMPT.replace("You triage tickets.", "\n".join(lines))
    ws.prompt("triage", text)
    commit(ws, "add")
    hook = run_no_secrets(
        Project.open(ws.root), ["prompts/triage.prompt", "prompts/partials/tone.j2"]
    )
    out = json.loads(run("validate", "--json").out)["findings"]
    assert {(f.path, f.line, f.message) for f in hook.findings} == {
        (f["path"], f["line"], f["message"]) for f in out if f["code"] == "PR074"
    }
    assert len(hook.findings) == 2


def test_a_clean_project_still_validates(ws: Workspace, run):
    ws.prompt("triage")
    assert run("validate").code == 0


FRAGMENTS = st.sampled_from(
    [
        KEY,
        "sk-ant-" + "Xy9" * 10,
        "AKIA" + "ABCDEFGHIJ234567",
        "aws_secret_access_key = " + "aB1/" * 10,
        "ghp_" + "a1B2" * 9,
        "github_pat_" + "Ab1_" * 6,
        "xoxb-1234567890-abc",
        "https://hooks.slack.com/services/T0001/B0002/xyz",
        "-----BEGIN RSA PRIVATE KEY-----",
        ASSIGNED,
        'API_KEY: "9f8e7d6c5b4a39281706f5e4d3c2b1a0"',
        "Password='Zx8!qW3#rT6$yU1%'",
        "max_input_tokens: 2000",
        "model: gpt-4o-2024-08-06",
        "{{ ticket }}",
        " ",
        "\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(FRAGMENTS, max_size=8).map("".join))
def test_the_whole_text_pre_check_never_hides_a_hit(text: str) -> None:
    """validate scans every prompt, so a cheap pre-check skips most; it must skip no secret."""
    assert scan_text(text) == scan_lines(text)


def test_prose_with_no_hint_of_a_secret_is_skipped_by_the_pre_check() -> None:
    """The pre-check is what makes scanning every prompt cheap: a text with none of the
    patterns' hints (a key's prefix, a secret-looking name assigned) is not read line by
    line."""
    from promptreg.app.secrets import _could_hold_a_secret

    assert not _could_hold_a_secret("system:\nYou triage tickets. Be brief.\n\nuser:\n{{ t }}")
    assert _could_hold_a_secret("aws_secret_access_key = " + "aB1/" * 10)
