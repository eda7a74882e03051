"""No credentials in prompts, their samples, or partials: the scanner `validate` and the
promptreg-no-secrets hook (hooks/no_secrets.py) share.

A prompt is read by every reviewer, copied into eval logs and sent to a model provider: a key
pasted into a `sample` or a template is a leaked key. Known formats are matched exactly
(OpenAI, Anthropic, AWS, GitHub, Slack, private key blocks); anything else is caught when it is
a high-entropy value assigned to a name like `api_key`, `token`, `secret` or `password`.
Findings show where, and what kind, never the value: CI logs are not the place for it either.
A line holding `promptreg: allow-secret` (in a YAML or Jinja comment) is skipped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from promptreg.findings import Finding

ALLOW_MARKER = "promptreg: allow-secret"

# (kind, pattern, random): group "s" is the secret when present, else the whole match. Order
# matters: Anthropic keys also start `sk-`, so they are tried before OpenAI's. `random`: the
# prefix alone is too common in prose (`sk-learn-…`), so the value must also mix upper case,
# lower case and digits, as generated keys do.
_KNOWN: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), False),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), True),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), True),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"), False),
    (
        "AWS secret access key",
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|private).{0,20}?[\"'\s:=]+(?P<s>[A-Za-z0-9/+]{40})"
            r"(?![A-Za-z0-9/+=])"
        ),
        True,
    ),
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b"), False),
    ("GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), False),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), False),
    (
        "Slack webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/\w+"),
        False,
    ),
)

# `api_key = ...`, `token: ...`, `"password": "..."`: a name ending in a secret-ish word, then
# a value of 16+ characters without spaces or quotes.
_ASSIGNED = re.compile(
    r"(?i)(?P<key>[A-Za-z0-9_.-]*(?:(?:api|access|private|secret)[_-]?key|secret|token|passwd"
    r"|password|pwd|credential|auth|(?<![A-Za-z])key))[\"']?\s*[:=]\s*[\"']?(?P<s>[^\s\"'`,;{}()<>]{16,})"
)
# Cheap tests on the lower-cased text before any per-line work: a substring every `_KNOWN`
# match contains, and where `_ASSIGNED` could match (a secret-ish word, `:` or `=`, then 16
# value characters). Keep them in step with the patterns above (tests/hooks/test_secrets.py).
_KNOWN_HINTS = (
    "-----begin", "sk-", "akia", "asia", "abia", "acca", "aws", "ghp_", "gho_", "ghu_",
    "ghs_", "ghr_", "github_pat_", "xox", "hooks.slack.com",
)  # fmt: skip
_ASSIGNED_HINT = re.compile(
    r"(?:key|secret|token|passwd|password|pwd|credential|auth)[\"']?\s*[:=]\s*[\"']?"
    r"[^\s\"'`,;{}()<>]{16}"
)
# Bits per character above which an assigned value looks random rather than like a word or a
# placeholder: 32 random hex digits score about 3.8, `your-api-key-goes-here` about 3.3.
ENTROPY_THRESHOLD = 3.5


@dataclass(frozen=True)
class SecretHit:
    """One secret-looking value: its line (1-based), its kind, and a masked form of it."""

    line: int
    kind: str
    masked: str


def shannon_entropy(value: str) -> float:
    """Bits of entropy per character of `value`, from its own character frequencies."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(value: str) -> bool:
    """Whether an assigned value is probably a credential: long, mixing letters and digits,
    and high in entropy. Template expressions and placeholders are not."""
    if "{{" in value or "{%" in value or value.startswith(("$", "%", "<", "sha256:")):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and shannon_entropy(value) >= ENTROPY_THRESHOLD


def mask(secret: str) -> str:
    """Enough to recognise which key it is, never enough to use it."""
    keep = 4 if len(secret) >= 16 else 2
    return f"{secret[:keep]}…({len(secret)} chars)"


def scan_text(text: str) -> list[SecretHit]:
    """Every secret-looking value in `text`, one hit per value, in order."""
    return scan_lines(text) if _could_hold_a_secret(text) else []


def scan_lines(text: str) -> list[SecretHit]:
    """`scan_text` without the whole-text pre-check (which must never hide a hit)."""
    hits: list[SecretHit] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW_MARKER in line:
            continue
        taken: list[tuple[int, int]] = []
        for kind, pattern, random in _KNOWN:
            for m in pattern.finditer(line):
                span = m.span("s") if "s" in pattern.groupindex else m.span()
                if _overlaps(span, taken) or (random and not _mixed(line[span[0] : span[1]])):
                    continue
                taken.append(span)
                # A key block's first line is no secret, and its body is on the next lines.
                shown = "block" if kind == "private key" else mask(line[span[0] : span[1]])
                hits.append(SecretHit(number, kind, shown))
        for m in _ASSIGNED.finditer(line):
            span = m.span("s")
            if not _overlaps(span, taken) and looks_random(m["s"]):
                taken.append(span)
                hits.append(SecretHit(number, f"high-entropy value for `{m['key']}`", mask(m["s"])))
    return hits


def _could_hold_a_secret(text: str) -> bool:
    """One pass over the whole text: nearly every file holds nothing any pattern could match,
    and `validate` scans every prompt, so the per-line work is for the few that might."""
    lowered = text.lower()
    return any(hint in lowered for hint in _KNOWN_HINTS) or bool(_ASSIGNED_HINT.search(lowered))


def _mixed(value: str) -> bool:
    return (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def _overlaps(span: tuple[int, int], taken: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def secret_findings(shown: str, data: bytes) -> list[Finding]:
    """The PR074 findings of one file's bytes: the one rule set the hook and `validate` share."""
    if b"\0" in data[:8192]:  # binary
        return []
    return [
        Finding(
            shown,
            hit.line,
            1,
            "PR074",
            f"{hit.kind} {hit.masked}: remove it and rotate the key; pass secrets "
            f"at runtime (or mark a false positive `# {ALLOW_MARKER}`)",
        )
        for hit in scan_text(data.decode("utf-8", "replace"))
    ]
