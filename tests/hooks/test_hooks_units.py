"""The hooks' pure functions, table-driven, and the manifest and scripts kept in step."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from promptreg.app.secrets import looks_random, mask, scan_text, shannon_entropy
from promptreg.cli import cli
from promptreg.hooks import HOOK_IDS
from promptreg.hooks.fingerprint import Fingerprint, changed_parts, fingerprint
from promptreg.hooks.pre_push import deployment_tags, parse_push_lines
from promptreg.hooks.scripts import NAMES, is_ours, script
from promptreg.hooks.version_bump import check_bump
from promptreg.project.project import Project
from promptreg.template.environment import TemplateEnv
from tests.conftest import VALID_PROMPT, Workspace

ROOT = Path(__file__).parent.parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MANIFEST = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def fp(version: str | None, content: str = "a", body: str = "b") -> Fingerprint:
    return Fingerprint(version, 2, f"sha256:{content}", body, {"name": "m"}, {})


# -- version bump ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "new", "code", "suggested"),
    [
        (None, fp("0.0.1", "x"), None, None),  # a new prompt starts anywhere
        (fp("1.0.0"), fp("1.0.0"), None, None),  # nothing changed
        (fp("1.0.0"), fp("1.0.1", "x"), None, None),  # changed and bumped
        (fp("1.0.0"), fp("2.0.0", "x"), None, None),
        (fp("1.0.0"), fp("1.0.1"), None, None),  # bumped without a change: allowed
        (fp("1.0.0"), fp("1.0.0", "x"), "PR070", "1.0.1"),  # changed, not bumped
        (fp("1.0.0"), fp("1.0.0+build.7", "x"), "PR070", "1.0.1"),  # build metadata: not a bump
        (fp("1.0.0-rc.1"), fp("1.0.0-rc.1", "x"), "PR070", "1.0.0"),
        (fp("1.0.0-rc.1"), fp("1.0.0", "x"), None, None),  # rc → release is up
        (fp("1.4.0"), fp("1.3.9"), "PR071", "1.4.1"),  # lower, even with the same content
        (fp("1.4.0"), fp("1.3.9", "x"), "PR071", "1.4.1"),
        (fp("1.0"), fp("1.0", "x"), None, None),  # not semver: the validate hook says so
        (fp("1.0.0"), fp(None, "x"), None, None),
    ],
)
def test_check_bump(base, new, code, suggested):
    problem = check_bump("support/triage", base, new, base_label="origin/main")
    if code is None:
        assert problem is None
        return
    assert problem is not None
    assert (problem.code, problem.suggested) == (code, suggested)
    assert "support/triage" in problem.message and base.version in problem.message
    assert suggested in problem.message and "origin/main" in problem.message


def test_the_message_says_what_changed():
    old = Fingerprint("1.0.0", 2, "sha256:a", "body", {"n": 1}, {"p.j2": "x", "q.j2": "y"})
    new = Fingerprint("1.0.0", 2, "sha256:b", "body", {"n": 2}, {"p.j2": "x", "q.j2": "z"})
    assert changed_parts(old, new) == ["model", "q.j2"]
    problem = check_bump("t", old, new)
    assert problem is not None
    assert "content changed since HEAD (model, q.j2) but the version is still 1.0.0" in (
        problem.message
    )


NESTED = VALID_PROMPT.replace(
    '{% include "partials/tone.j2" %}', '{% include "partials/outer.j2" %}'
)
IMPORTED = VALID_PROMPT.replace(
    'You triage tickets. {% include "partials/tone.j2" %}',
    '{% from "partials/fmt.j2" import b %}You triage tickets. {{ b() }}',
)
PLAIN = VALID_PROMPT.replace(' {% include "partials/tone.j2" %}', "")
COMMENTED = PLAIN.replace("You triage", '{# {% include "partials/tone.j2" %} #}You triage')


@pytest.mark.parametrize("text", [VALID_PROMPT, NESTED, IMPORTED, PLAIN, COMMENTED])
def test_fingerprint_hash_is_the_prompts_content_hash(ws: Workspace, text: str):
    ws.write("prompts/partials/outer.j2", 'Hello. {% include "partials/tone.j2" %}\n')
    ws.write("prompts/partials/fmt.j2", "{% macro b() %}- {% endmacro %}\n")
    path = ws.prompt("p", text)
    project = Project.open()
    found = fingerprint(path.read_bytes(), TemplateEnv(project.prompts_dir))
    assert found is not None
    assert found.content_hash == project.load("p").content_hash
    assert (found.version, found.version_line) == ("1.0.0", 2)


@pytest.mark.parametrize(
    "data",
    [b"", b"no front matter", b"---\nversion: [\n---\nbody", b"\xff\xfe", b"---\n- a\n---\nx"],
)
def test_fingerprint_of_a_broken_file_is_none(tmp_path: Path, data: bytes):
    assert fingerprint(data, TemplateEnv(tmp_path)) is None


# -- secrets -----------------------------------------------------------------------------------

OPENAI = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7"
ANTHROPIC = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"


@pytest.mark.parametrize(
    ("line", "kind", "secret"),
    [
        (f"sample: {{key: {OPENAI}}}", "OpenAI API key", OPENAI),
        ("OPENAI_API_KEY=sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7Rt", "OpenAI API key", None),
        (f"Use {ANTHROPIC} to call", "Anthropic API key", ANTHROPIC),
        ("aws: AKIAIOSFODNN7EXAMPLE", "AWS access key id", "AKIAIOSFODNN7EXAMPLE"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS secret access key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "GitHub token", None),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "GitHub token", None),
        ("gho_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "GitHub token", None),
        ("slack: xoxb-1234567890-0987654321-AbCdEfGhIj", "Slack token", None),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key", None),
        ("-----BEGIN PRIVATE KEY-----", "private key", None),
        ("password: 'hX8!qZ2#pL9@vR4$'", "high-entropy value for `password`", "hX8!qZ2#pL9@vR4$"),
        ("api_token=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "high-entropy value for `api_token`", None),
        ('"client_secret": "Q2h4c3RlciBzZWNyZXQgMTIzNDU2"', "high-entropy value for", None),
    ],
)
def test_secrets_are_found_and_masked(line: str, kind: str, secret: str | None):
    hits = scan_text(f"---\nversion: 1.0.0\n{line}\n")
    assert len(hits) == 1, hits
    assert hits[0].line == 3
    assert hits[0].kind.startswith(kind)
    if secret is not None:
        assert secret not in hits[0].masked and secret[:4] in hits[0].masked


@pytest.mark.parametrize(
    "line",
    [
        "max_input_tokens: 2500",
        "token: {{ token }}",
        "api_key={{ api_key }}",
        "password: your-password-goes-here",
        "password: correcthorsebatterystaple",
        "content_hash: sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "we use sk-learn-compatible-estimators-everywhere here",
        "the task-AbCdEfGhIjKlMnOpQrStUvWx1234 id",
        "secret: $OPENAI_API_KEY_FROM_THE_ENVIRONMENT",
        f"key: {OPENAI}  # promptreg: allow-secret",
        "{# promptreg: allow-secret #} AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_what_is_not_a_secret(line: str):
    assert scan_text(line) == []


def test_entropy_and_randomness():
    assert shannon_entropy("") == 0
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
    assert looks_random("9f8e7d6c5b4a39281706f5e4d3c2b1a0")
    assert not looks_random("abcdefghijklmnopqrstuvwxyz")  # no digits
    assert not looks_random("{{ api_key }}1234567890")


@pytest.mark.parametrize("secret", [OPENAI, "AKIAIOSFODNN7EXAMPLE", "short-ish"])
def test_a_mask_never_shows_the_secret(secret: str):
    shown = mask(secret)
    assert secret not in shown and f"({len(secret)} chars)" in shown


# -- pre-push ----------------------------------------------------------------------------------

Z = "0" * 40
A = "a" * 40


def test_pre_push_reads_deployment_tags_from_gits_lines():
    text = (
        f"refs/heads/main {A} refs/heads/main {Z}\n"
        f"refs/tags/prompts/support/triage@prod/000003 {A} "
        f"refs/tags/prompts/support/triage@prod/000003 {Z}\n"
        f"refs/tags/prompts/support/triage@v1.2.0 {A} refs/tags/prompts/support/triage@v1.2.0 {Z}\n"
        f"(delete) {Z} refs/tags/prompts/old@dev/000001 {A}\n"
        "garbage\n"
    )
    refs = parse_push_lines(text)
    assert len(refs) == 4
    # deployments and releases are judged; deletions and other refs are not
    assert deployment_tags(refs) == [
        ("prompts/support/triage@prod/000003", A),
        ("prompts/support/triage@v1.2.0", A),
    ]


# -- the manifest, the README, the scripts -----------------------------------------------------


def test_the_manifest_lists_the_hooks():
    assert tuple(h["id"] for h in MANIFEST) == HOOK_IDS
    subcommands = cli.commands["hook"]
    assert isinstance(subcommands, click.Group)
    for hook in MANIFEST:
        assert hook["language"] == "python"
        assert "minimum_pre_commit_version" in hook
        if hook.get("stages") == ["pre-push"]:  # judges tags, so it runs with no files
            assert hook["always_run"] is True and hook["pass_filenames"] is False
            assert hook["entry"] == "promptreg hook pre-push"
            continue
        assert hook["pass_filenames"] is True
        assert re.search(hook["files"], "prompts/support/triage.prompt")
        assert re.search(hook["files"], "prompts/partials/tone.j2")
        entry = hook["entry"].split()
        assert entry[:2] == ["promptreg", "hook"] and entry[2] in subcommands.commands
        assert f"promptreg-{entry[2]}" == hook["id"]


@pytest.mark.parametrize("hook_id", [h["id"] for h in MANIFEST])
def test_every_hook_id_is_documented_in_the_readme(hook_id: str):
    section = README.split("## Pre-commit", 1)[1].split("\n## ", 1)[0]
    assert f"`{hook_id}`" in section
    assert f"id: {hook_id}" in section  # in the snippet a user pastes


def test_the_projects_own_config_runs_every_hook():
    own = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    ids = {h["id"] for repo in own["repos"] for h in repo["hooks"]}
    assert set(HOOK_IDS) <= ids
    assert {"ruff", "ruff-format", "mypy"} <= ids


@pytest.mark.parametrize("name", NAMES)
def test_hooks_directory_holds_the_scripts_install_hooks_writes(name: str):
    path = ROOT / "hooks" / name
    assert path.read_text(encoding="utf-8") == script(name)
    assert path.stat().st_mode & 0o111, "hooks must be executable"
    assert is_ours(script(name))
    installed = script(name, "/opt/my venv/bin/python")
    assert "PROMPTREG_PYTHON='/opt/my venv/bin/python'" in installed
    assert not is_ours("#!/bin/sh\necho mine\n")
