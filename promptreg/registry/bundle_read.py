"""Reading a bundle's bytes into checked records, with bounded work on any input.

A bundle crosses a trust boundary (it is shipped, copied, cached), so nothing in it is used
before it has passed, in order:

1. a size cap (`MAX_BUNDLE_BYTES`), checked before the file is read;
2. a strict JSON parse: UTF-8, no duplicate keys, integers of at most 18 digits, finite
   numbers only, nesting at most `MAX_DEPTH` deep (100,000 nested brackets are refused, not a
   RecursionError);
3. the format check (`promptreg-bundle/2`; older or unknown formats are refused by name);
4. the whole-bundle integrity hash, over a canonical form of every field but itself;
5. the schema: every key known and present, every value of its type, names and paths valid,
   and the fields that say the same thing twice (tag, commit, version, content hash) agreeing.

Each failure is a `BundleError` naming the file and the field (`prompts.triage.deployment.seq`).
What the prompts themselves say (front-matter, template) is checked by `bundle.py` after this.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptreg.errors import BundleError
from promptreg.names import SUFFIXES, name_problem
from promptreg.registry.tags import Deployment, deployment_tag, parse_deployment_name

FORMAT = "promptreg-bundle/2"
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
_MAX_INT_DIGITS = 18
_HASH = re.compile(r"sha256:[0-9a-f]{64}\Z")
_COMMIT = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_PARTIAL = re.compile(r"[^/\\\x00-\x1f][^\\\x00-\x1f]{0,999}\Z")
_ACTIONS = ("promote", "rollback")
_ENVIRONMENT = re.compile(r"[a-z][a-z0-9_-]*\Z")  # promptreg.yaml's rule (config.py)

_TOP = ("format", "environment", "created_at", "prompts", "integrity")
_ENTRY = ("version", "content_hash", "tag", "commit", "path", "source", "partials", "deployment")
_DEPLOYMENT = (
    "name",
    "env",
    "seq",
    "tag",
    "date",
    "at",
    "tagger",
    "action",
    "version",
    "content_hash",
    "commit",
    "path",
    "previous",
    "reason",
    "forced",
    "scores",
    "extra",
)


@dataclass(frozen=True)
class Entry:
    """One prompt of a bundle, its fields checked for type and agreement (not yet its text)."""

    name: str
    version: str
    content_hash: str
    commit: str
    path: str
    source: str
    partials: dict[str, str]
    deployment: Deployment


@dataclass(frozen=True)
class BundleData:
    environment: str
    created_at: str
    entries: tuple[Entry, ...]


def read_capped(path: Path) -> bytes:
    """The bytes of the bundle file, refusing a file over MAX_BUNDLE_BYTES before reading it,
    and anything but a regular file (a FIFO would block, a device never end)."""
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BundleError("bundle not found", path=shown) from None
    except OSError as err:
        raise BundleError(f"cannot read the bundle: {err.strerror or err}", path=shown) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise BundleError("cannot read the bundle: not a regular file", path=shown)
    with os.fdopen(fd, "rb") as handle:
        if st.st_size > MAX_BUNDLE_BYTES:
            raise BundleError(
                f"file is {st.st_size:,} bytes, over the {MAX_BUNDLE_BYTES:,}-byte limit for "
                "a bundle",
                path=shown,
            )
        try:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
        except OSError as err:
            raise BundleError(f"cannot read the bundle: {err.strerror}", path=shown) from None
    if len(data) > MAX_BUNDLE_BYTES:  # it grew while we read it
        raise BundleError(f"file is over the {MAX_BUNDLE_BYTES:,}-byte limit", path=shown)
    return data


def parse_bundle(raw: bytes, shown: str) -> BundleData:
    """Steps 2–5 above: the checked records of a bundle's bytes. Raises BundleError."""
    data = _parse_json(raw, shown)
    fmt = data.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("promptreg-bundle/"):
            raise BundleError(
                f"bundle format {fmt!r} is not supported by this promptreg (it reads {FORMAT}); "
                "re-export the bundle with `promptreg export`",
                path=shown,
                field="format",
            )
        raise BundleError(f"not a promptreg bundle (expected format {FORMAT})", path=shown)
    recorded = data.get("integrity")
    if not isinstance(recorded, str) or not _HASH.match(recorded):
        raise BundleError("missing or malformed integrity hash", path=shown, field="integrity")
    if integrity(data, shown) != recorded:
        raise BundleError(
            "integrity check failed: the bundle was corrupted or modified after export; "
            "re-export it",
            path=shown,
        )
    return _Schema(shown).bundle(data)


def integrity(bundle: dict[str, Any], shown: str = "bundle") -> str:
    """`sha256:` over the canonical JSON (sorted keys, no spaces, UTF-8) of every field of the
    bundle but `integrity` itself: whatever a loaded bundle serves is under it."""
    body = {k: v for k, v in bundle.items() if k != "integrity"}
    try:
        canonical = json.dumps(
            body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        raise BundleError(
            "holds text that is not valid Unicode (a lone surrogate escape)", path=shown
        ) from None
    except (ValueError, TypeError) as err:  # only a caller's own dict can hold these
        raise BundleError(f"not canonical JSON: {err}", path=shown) from None
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


class _Malformed(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON keeps the last of two equal keys silently; a reviewer reading the file would see
    the first. Refuse them, as the front-matter reader does."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Malformed(f"duplicate key {key[:80]!r}")
            seen.add(key)
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _Malformed(f"a number of {len(text)} digits (at most {_MAX_INT_DIGITS} are read)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed(f"number {text[:40]} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _Malformed(f"{text} is not a JSON number")


def _parse_json(raw: bytes, shown: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except UnicodeDecodeError as err:
        raise BundleError(f"not a promptreg bundle (not UTF-8: {err.reason})", path=shown) from None
    except json.JSONDecodeError as err:
        raise BundleError(
            f"not a promptreg bundle (invalid JSON: {err}; truncated or corrupted?)", path=shown
        ) from None
    except _Malformed as err:
        raise BundleError(f"not a promptreg bundle ({err})", path=shown) from None
    except RecursionError:
        raise BundleError(f"nested deeper than {MAX_DEPTH} levels", path=shown) from None
    if not isinstance(data, dict):
        raise BundleError("not a promptreg bundle (not a JSON object)", path=shown)
    _check_depth(data, shown)
    return data


def _check_depth(data: Any, shown: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise BundleError(f"nested deeper than {MAX_DEPTH} levels", path=shown)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer"}.get(
        type(value), "a number"
    )


class _Schema:
    """The checks of step 5, each failure naming its field."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def fail(self, where: str, message: str) -> BundleError:
        return BundleError(message, path=self.shown, field=where)

    def obj(self, value: Any, where: str, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, found {_kind(value)}")
        if keys is not None:
            unknown = sorted(set(value) - set(keys))
            if unknown:
                raise self.fail(f"{where}.{unknown[0]}" if where else unknown[0], "unknown key")
            missing = [k for k in keys if k not in value]
            if missing:
                raise self.fail(f"{where}.{missing[0]}" if where else missing[0], "missing")
        return value

    def text(self, value: Any, where: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, found {_kind(value)}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(where, f"malformed value {value[:80]!r}")
        return value

    def opt_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def same(self, value: Any, expected: Any, where: str, what: str) -> None:
        if value != expected:
            raise self.fail(where, f"{value!r} disagrees with {what} {expected!r}")

    def bundle(self, data: dict[str, Any]) -> BundleData:
        self.obj(data, "", _TOP)
        environment = self.text(data["environment"], "environment", _ENVIRONMENT)
        created_at = self.text(data["created_at"], "created_at", _CREATED)
        prompts = self.obj(data["prompts"], "prompts")
        entries = tuple(
            self.entry(name, entry, environment) for name, entry in sorted(prompts.items())
        )
        return BundleData(environment, created_at, entries)

    def entry(self, name: str, value: Any, environment: str) -> Entry:
        where = f"prompts.{name}"
        problem = name_problem(name)
        if problem:
            raise self.fail(where, problem)
        e = self.obj(value, where, _ENTRY)
        path = self.text(e["path"], f"{where}.path")
        if (
            not any(path == name + s or path.endswith("/" + name + s) for s in SUFFIXES)
            or path.startswith("/")
            or any(part in ("", ".", "..") for part in path.split("/"))
            or not _PARTIAL.match(path)
        ):
            raise self.fail(f"{where}.path", f"{path[:80]!r} is not the path of prompt {name}")
        partials = self.obj(e["partials"], f"{where}.partials")
        for partial, text in partials.items():
            pwhere = f"{where}.partials.{partial[:80]}"
            if not _PARTIAL.match(partial) or any(p in ("", ".", "..") for p in partial.split("/")):
                raise self.fail(pwhere, "not a partial name inside the prompts directory")
            self.text(text, pwhere)
        entry = Entry(
            name=name,
            version=self.text(e["version"], f"{where}.version"),
            content_hash=self.text(e["content_hash"], f"{where}.content_hash", _HASH),
            commit=self.text(e["commit"], f"{where}.commit", _COMMIT),
            path=path,
            source=self.text(e["source"], f"{where}.source"),
            partials=dict(partials),
            deployment=self.deployment(e["deployment"], f"{where}.deployment"),
        )
        d = entry.deployment
        self.same(e["tag"], d.tag, f"{where}.tag", "deployment.tag")
        self.same(d.name, name, f"{where}.deployment.name", "the prompt's name")
        self.same(d.env, environment, f"{where}.deployment.env", "the bundle's environment")
        self.same(d.commit, entry.commit, f"{where}.deployment.commit", "commit")
        self.same(d.version, entry.version, f"{where}.deployment.version", "version")
        if d.path is not None:
            self.same(d.path, path, f"{where}.deployment.path", "path")
        return entry

    def deployment(self, value: Any, where: str) -> Deployment:
        d = self.obj(value, where, _DEPLOYMENT)
        seq = d["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise self.fail(f"{where}.seq", f"expected a positive integer, found {_kind(seq)}")
        name = self.text(d["name"], f"{where}.name")
        env = self.text(d["env"], f"{where}.env")
        tag = self.text(d["tag"], f"{where}.tag")
        if parse_deployment_name(tag) != (name, env, seq) or tag != deployment_tag(name, env, seq):
            raise self.fail(
                f"{where}.tag", f"{tag[:120]!r} is not the deployment tag of {name}@{env} #{seq}"
            )
        action = self.text(d["action"], f"{where}.action")
        if action not in _ACTIONS:
            raise self.fail(f"{where}.action", f"expected one of {', '.join(_ACTIONS)}")
        if not isinstance(d["forced"], bool):
            raise self.fail(f"{where}.forced", f"expected a boolean, found {_kind(d['forced'])}")
        scores = self.obj(d["scores"], f"{where}.scores")
        for metric, score in scores.items():
            if not isinstance(score, int | float) or isinstance(score, bool):
                raise self.fail(
                    f"{where}.scores.{metric[:80]}", f"expected a number, found {_kind(score)}"
                )
        content_hash = d["content_hash"]
        if content_hash is not None:
            self.text(content_hash, f"{where}.content_hash", _HASH)
        return Deployment(
            name=name,
            env=env,
            seq=seq,
            tag=tag,
            commit=self.text(d["commit"], f"{where}.commit", _COMMIT),
            action=action,
            version=self.text(d["version"], f"{where}.version"),
            content_hash=content_hash,
            path=self.opt_text(d["path"], f"{where}.path"),
            previous=self.opt_text(d["previous"], f"{where}.previous"),
            reason=self.opt_text(d["reason"], f"{where}.reason"),
            forced=d["forced"],
            scores={k: float(v) for k, v in scores.items()},
            tagger=self.text(d["tagger"], f"{where}.tagger"),
            date=self.text(d["date"], f"{where}.date"),
            at=self.text(d["at"], f"{where}.at"),
            extra=dict(self.obj(d["extra"], f"{where}.extra")),
        )
