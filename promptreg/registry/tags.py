"""The tag scheme: how versions and deployments are written into git.

- a release of a version is the tag `prompts/<name>@v<version>` (immutable);
- a deployment is the annotated tag `prompts/<name>@<env>/<seq>`, `seq` a zero-padded counter
  per (name, env). Its message is YAML saying what was deployed and why; its tagger and date
  are who did it, and when. The newest seq *that counts* is what the environment runs:
  deployments.py judges tags, this module only writes and parses names and messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from promptreg._lazyre import DIGITS, LOWER, is_word, lazy_pattern
from promptreg._record import record
from promptreg.names import name_problem
from promptreg.registry.tagmessage import read_message, write_message

PREFIX = "prompts/"
SEQ_WIDTH = 6
MESSAGE_FORMAT = 1
MAX_SEQ_DIGITS = 12
MAX_SEQ = 10**MAX_SEQ_DIGITS - 1  # the largest canonical seq (promote never writes a larger one)
_RELEASE = lazy_pattern(r"prompts/(?P<name>[^@]+)@v(?P<version>[0-9][^/@]*)\Z")


def release_tag(name: str, version: str) -> str:
    return f"{PREFIX}{name}@v{version}"


def deployment_tag(name: str, env: str, seq: int) -> str:
    return f"{PREFIX}{name}@{env}/{seq:0{SEQ_WIDTH}d}"


def deployments_prefix(name: str, env: str | None = None) -> str:
    """A for-each-ref pattern for the deployments of `name` (to `env`, or to any env)."""
    return f"{PREFIX}{name}@{env}/" if env else f"{PREFIX}{name}@*/*"


def releases_pattern(name: str) -> str:
    return f"{PREFIX}{name}@v*"


def parse_deployment_name(tag: str) -> tuple[str, str, int] | None:
    """(name, env, seq) of a *canonical* deployment tag name, else None: exactly the names
    `deployment_tag` writes (a valid prompt name, an environment-shaped word, a seq of
    SEQ_WIDTH ASCII digits or, past 999999, the digits promote would write). `int()` and
    `str.isdigit()` also accept `９９`, `١٢` and `²`, so the digits are checked by hand."""
    parts = split_deployment_ref(tag)
    if parts is None:
        return None
    seq = canonical_seq(*parts)
    return None if seq is None else (parts[0], parts[1], seq)


def canonical_seq(name: str, env: str, seq_text: str) -> int | None:
    """The seq of `prompts/<name>@<env>/<seq_text>` if that name is canonical, else None."""
    if not (SEQ_WIDTH <= len(seq_text) <= MAX_SEQ_DIGITS and seq_text.isascii()):
        return None
    if not seq_text.isdigit() or (len(seq_text) > SEQ_WIDTH and seq_text[0] == "0"):
        return None
    return int(seq_text) if _valid_name_and_env(name, env) else None


@lru_cache(maxsize=4096)
def _valid_name_and_env(name: str, env: str) -> bool:
    """Cached: an index of 12,000 tags names a few hundred prompts."""
    return name_problem(name) is None and is_word(env, LOWER, LOWER + DIGITS + "_-")


def split_deployment_ref(tag: str) -> tuple[str, str, str] | None:
    """(name, env, rest) of any tag under `prompts/<name>@<env>/`, canonical or not: what
    the read model has to judge for (name, env). None for other tags (releases included)."""
    if not tag.startswith(PREFIX):
        return None
    name, at, tail = tag[len(PREFIX) :].partition("@")
    env, slash, rest = tail.partition("/")
    if not at or not slash or not name or not env:
        return None
    return name, env, rest


def parse_release(tag: str) -> tuple[str, str] | None:
    """(name, version) of a release tag name, else None."""
    m = _RELEASE.match(tag)
    if m is None or name_problem(m["name"]):
        return None
    return m["name"], m["version"]


@record(frozen=True)
class Deployment:
    """One deployment tag, read back: what runs in `env` from this tag on."""

    name: str
    env: str
    seq: int
    tag: str
    commit: str
    action: str  # promote | rollback
    version: str
    content_hash: str | None
    path: str | None
    previous: str | None
    reason: str | None
    forced: bool
    scores: Mapping[str, float] = field(default_factory=dict)
    tagger: str = ""
    date: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    at: str = ""  # precise UTC time from the message: orders deployments made the same second
    # Counted through a content-hash scheme-1 match that does not cover the prompt's input
    # defaults (see `Prompt.is_legacy_match`): served, with a warning, until re-recorded.
    legacy: bool = False

    @property
    def order(self) -> tuple[str, int]:
        """Sort key, oldest first: when it was made, then its seq."""
        return (self.at or self.date, self.seq)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "env": self.env,
            "seq": self.seq,
            "tag": self.tag,
            "date": self.date,
            "tagger": self.tagger,
            "action": self.action,
            "version": self.version,
            "content_hash": self.content_hash,
            "commit": self.commit,
            "path": self.path,
            "previous": self.previous,
            "reason": self.reason,
            "forced": self.forced,
            "scores": dict(self.scores),
            **({"gate": self.extra["gate"]} if "gate" in self.extra else {}),
            **({"legacy_hash": True} if self.legacy else {}),
        }


def release_message(*, name: str, version: str, content_hash: str, path: str) -> str:
    """The YAML message of a release tag."""
    data = {
        "promptreg": MESSAGE_FORMAT,
        "action": "release",
        "prompt": name,
        "version": version,
        "content_hash": content_hash,
        "path": path,
    }
    return write_message(f"release {name} {version}", data)


def deployment_message(
    *,
    action: str,
    name: str,
    env: str,
    version: str,
    content_hash: str,
    commit: str,
    path: str,
    previous: str | None,
    reason: str | None,
    forced: bool,
    scores: Mapping[str, float],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The YAML message of a deployment tag. Its first line reads well in `git tag -n`."""
    data: dict[str, Any] = {
        "promptreg": MESSAGE_FORMAT,
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "action": action,
        "prompt": name,
        "environment": env,
        "version": version,
        "content_hash": content_hash,
        "commit": commit,
        "path": path,
        "previous": previous,
        "reason": reason,
        "forced": forced,
        "scores": dict(scores),
        **(extra or {}),
    }
    return write_message(f"{action} {name} {version} to {env}", data)


_KNOWN = frozenset(
    {
        "promptreg",
        "at",
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
    }
)


def deployment_from_message(
    *,
    tag: str,
    commit: str,
    tagger: str,
    date: str,
    message: str,
    own_path: str,
) -> Deployment | str:
    """The deployment a canonical tag's message records, or why it is not one (a reason).

    The message must be promptreg's (format 1, action promote or rollback) and agree with the
    tag: the same prompt and environment as the tag's name, the commit the tag points at, and
    the prompt's own path (a message naming another file would serve that file)."""
    parsed = parse_deployment_name(tag)
    if parsed is None:
        return "not a canonical deployment tag name"
    name, env, seq = parsed
    data = read_message(message)
    if not _is_promptreg_message(data):
        return "not promptreg's deployment message (a YAML mapping with `promptreg: 1`)"
    action = data.get("action")
    if action not in ("promote", "rollback"):
        return f"message action {action!r} is neither promote nor rollback"
    for key, want in (("prompt", name), ("environment", env), ("commit", commit)):
        if data.get(key) != want:
            return f"message records {key} {data.get(key)!r}, but the tag's is {want!r}"
    if data.get("path") != own_path:
        return f"message records path {data.get('path')!r}, not the prompt's own {own_path!r}"
    version, recorded = data.get("version"), data.get("content_hash")
    if not isinstance(version, str) or not isinstance(recorded, str):
        return "message records no version or content_hash"
    return Deployment(
        name=name,
        env=env,
        seq=seq,
        tag=tag,
        commit=commit,
        action=action,
        version=version,
        content_hash=recorded,
        path=own_path,
        previous=_str(data.get("previous")),
        reason=_str(data.get("reason")),
        forced=data.get("forced") is True,
        scores=_scores(data.get("scores")),
        tagger=tagger,
        date=date,
        extra={k: v for k, v in data.items() if k not in _KNOWN},
        at=_str(data.get("at")) or "",
    )


def release_problem(*, tag: str, commit: str, message: str, own_path: str) -> str | None:
    """Why a release tag's message is not promptreg's record of that release, or None."""
    parsed = parse_release(tag)
    if parsed is None:
        return "not a release tag name"
    name, version = parsed
    data = read_message(message)
    if not _is_promptreg_message(data):
        return "not promptreg's release message (a YAML mapping with `promptreg: 1`)"
    expected = (("action", "release"), ("prompt", name), ("version", version), ("path", own_path))
    for key, want in expected:
        if data.get(key) != want:
            return f"message records {key} {data.get(key)!r}, but the tag's is {want!r}"
    if not isinstance(data.get("content_hash"), str):
        return "message records no content_hash"
    return None


def _is_promptreg_message(data: Any) -> bool:
    """A mapping with `promptreg: 1`: the integer, not `true` or `1.0`, which Python holds
    equal to 1 (a hand-written message is not one promote wrote)."""
    if not isinstance(data, dict):
        return False
    fmt = data.get("promptreg")
    return type(fmt) is int and fmt == MESSAGE_FORMAT


def recorded_hash(message: str) -> str | None:
    """The content hash a (release or deployment) message records, if any."""
    data = read_message(message)
    return _str(data.get("content_hash")) if isinstance(data, dict) else None


def _scores(value: Any) -> dict[str, float]:
    """Recorded scores, keeping only finite numbers (a hand-made 400-digit int would overflow
    `float()`; `true` is not a score)."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, score in value.items():
        if isinstance(score, int | float) and not isinstance(score, bool):
            try:
                out[str(key)] = float(score)
            except OverflowError:
                continue
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
