"""What a bundle's reader answers for a file it refuses before its schema, word for word.

Each refusal is the one line a user sees when a shipped bundle is refused at start-up: it must
say what was wrong and what to do. Most of these bundles are written by hand (no git needed):
a file that is not JSON, of an older format, without an integrity hash, with a value JSON can
write but promptreg never does; the last edits a real export."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import BundleError
from promptreg.registry import Registry
from promptreg.registry.bundle_read import FORMAT, MAX_BUNDLE_BYTES, integrity, parse_bundle
from tests.registry.test_bundle_integrity import Exported, exported, made, rehash, write

__all__ = ["exported", "made"]  # the module-scoped export, shared with test_bundle_integrity


def _refusal(path: Path) -> str:
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(path)
    assert err.value.path == str(path)
    return str(err.value).removeprefix(f"{path}: ")


def _sealed(body: dict[str, Any]) -> bytes:
    """`body` with its integrity hash, computed as the README documents it."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return json.dumps({**body, "integrity": f"sha256:{digest}"}).encode("utf-8")


REFUSALS: list[tuple[str, bytes, str]] = [
    (
        "an older format",
        b'{"format": "promptreg-bundle/1"}',
        "format: bundle format 'promptreg-bundle/1' is not supported by this promptreg (it "
        f"reads {FORMAT}); re-export the bundle with `promptreg export`",
    ),
    (
        "another tool's file",
        b'{"format": "other/2"}',
        f"not a promptreg bundle (expected format {FORMAT})",
    ),
    (
        "a format that is not text",
        b'{"format": 2}',
        f"not a promptreg bundle (expected format {FORMAT})",
    ),
    (
        "no integrity hash",
        json.dumps({"format": FORMAT}).encode(),
        "integrity: missing or malformed integrity hash",
    ),
    (
        "an integrity hash of another kind",
        json.dumps({"format": FORMAT, "integrity": "md5:" + "0" * 32}).encode(),
        "integrity: missing or malformed integrity hash",
    ),
    (
        "an integrity hash that does not match",
        json.dumps({"format": FORMAT, "integrity": "sha256:" + "0" * 64}).encode(),
        "integrity check failed: the bundle was corrupted or modified after export; re-export it",
    ),
    (
        "a duplicate key",
        b'{"a": 0, "format": 1, "format": 2}',
        "not a promptreg bundle (duplicate key 'format')",
    ),
    (
        "a long duplicate key",
        json.dumps({"k" * 100: 1}).replace("}", ', "' + "k" * 100 + '": 2}').encode(),
        f"not a promptreg bundle (duplicate key {'k' * 80!r})",
    ),
    (
        "100,000 brackets",
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "nested deeper than 32 levels",
    ),
    (
        "a lone surrogate",
        b'{"format": "promptreg-bundle/2", "integrity": "sha256:' + b"0" * 64 + b'", '
        b'"x": "\\udcff"}',
        "holds text that is not valid Unicode (a lone surrogate escape)",
    ),
    (
        "too deep",
        b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}",
        "nested deeper than 32 levels",
    ),
    ("NaN", b'{"format": NaN}', "not a promptreg bundle (NaN is not a JSON number)"),
    (
        "a number too long",
        b'{"n": -1234567890123456789}',
        "not a promptreg bundle (a number of 20 digits (at most 18 are read))",
    ),
    ("a list", b"[]", "not a promptreg bundle (not a JSON object)"),
    ("a string", b'"promptreg"', "not a promptreg bundle (not a JSON object)"),
]


@pytest.mark.parametrize(
    ("raw", "refusal"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_refused_file_says_what_is_wrong(tmp_path: Path, raw: bytes, refusal: str) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(raw)
    assert _refusal(bundle) == refusal


def test_the_longest_numbers_read_are_18_digits_either_sign(tmp_path: Path) -> None:
    """18 digits pass the number check (the bundle is then refused by its schema), 19 do not,
    and a minus sign is not a digit."""
    for n, refusal in [
        (10**18 - 1, "unknown key"),
        (-(10**18) + 1, "unknown key"),
        (10**18, "not a promptreg bundle (a number of 19 digits (at most 18 are read))"),
        (-(10**18), "not a promptreg bundle (a number of 20 digits (at most 18 are read))"),
    ]:
        raw = _sealed({"format": FORMAT, "n": n})
        bundle = tmp_path / "bundle.json"
        bundle.write_bytes(raw)
        assert _refusal(bundle) == (f"n: {refusal}" if refusal == "unknown key" else refusal)


def test_a_key_missing_at_the_top_is_named_without_a_dot(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(_sealed({"format": FORMAT}))
    assert _refusal(bundle) == "environment: missing"
    body = {"format": FORMAT, "environment": "dev", "created_at": "2026-01-01T00:00:00Z"}
    bundle.write_bytes(_sealed({**body, "prompts": []}))
    assert _refusal(bundle) == "prompts: expected an object, found a list"


def test_the_integrity_hash_covers_every_field_but_itself() -> None:
    body = {"format": FORMAT, "environment": "dév", "prompts": {}}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert integrity(body) == expected
    assert integrity({**body, "integrity": "sha256:" + "1" * 64}) == expected
    with pytest.raises(BundleError) as err:
        integrity({**body, "bad": "\udcff"}, "b.json")
    assert str(err.value) == (
        "b.json: holds text that is not valid Unicode (a lone surrogate escape)"
    )
    with pytest.raises(BundleError) as err:
        parse_bundle(b"\xff", "b.json")
    assert str(err.value) == ("b.json: not a promptreg bundle (not UTF-8: invalid start byte)")


def test_what_integrity_refuses_to_hash() -> None:
    """Only a caller's own dict can hold these (JSON read from a file cannot): the export
    path is refused rather than a bundle written that no reader accepts."""
    for value, why in [
        (float("nan"), "Out of range float values are not JSON compliant"),
        (float("inf"), "Out of range float values are not JSON compliant"),
        ({1, 2}, "Object of type set is not JSON serializable"),
    ]:
        with pytest.raises(BundleError) as err:
            integrity({"format": FORMAT, "x": value})
        assert str(err.value).startswith(f"bundle: not canonical JSON: {why}")  # (3.13: ": nan")


def test_an_empty_bundle_keeps_its_creation_time(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    created = "2026-01-02T03:04:05Z"
    bundle.write_bytes(
        _sealed({"format": FORMAT, "environment": "dev", "created_at": created, "prompts": {}})
    )
    served = Registry.from_bundle(bundle)
    assert (served.environment, served.created_at, served.get_all("dev")) == ("dev", created, {})


def test_a_malformed_value_is_shown_by_its_first_80_characters(tmp_path: Path) -> None:
    keys = ("version", "tag", "commit", "source", "deployment")
    entry = {**dict.fromkeys(keys, ""), "path": "prompts/t.prompt", "partials": {}}
    bad = "sha256:" + "z" * 100
    bundle = tmp_path / "bundle.json"
    body = {"format": FORMAT, "environment": "dev", "created_at": "2026-01-02T03:04:05Z"}
    bundle.write_bytes(_sealed({**body, "prompts": {"t": {**entry, "content_hash": bad}}}))
    assert _refusal(bundle) == f"prompts.t.content_hash: malformed value {bad[:80]!r}"


def test_a_deployment_that_disagrees_with_its_entry_says_with_what(exported: Exported) -> None:
    """The deployment block repeats the entry's version and path: each disagreement names
    both values, word for word."""
    for field, value, refusal in [
        ("version", "9.9.9", "'9.9.9' disagrees with version '1.1.0'"),
        ("path", "prompts/x/triage.prompt", "'prompts/x/triage.prompt' disagrees with path "
         "'prompts/triage.prompt'"),
    ]:  # fmt: skip
        data = exported.data(exported.signed)
        data["prompts"]["triage"]["deployment"][field] = value
        write(exported.bundle, rehash(data))
        assert _refusal(exported.bundle) == f"prompts.triage.deployment.{field}: {refusal}"


def test_a_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    assert _refusal(missing) == "bundle not found"
    assert _refusal(tmp_path) == "cannot read the bundle: not a regular file"
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert _refusal(fifo) == "cannot read the bundle: not a regular file"
    long = tmp_path / ("b" * 300)
    assert _refusal(long) == "cannot read the bundle: File name too long"
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: costs no disk
    assert _refusal(huge) == (
        f"file is {MAX_BUNDLE_BYTES + 1:,} bytes, over the {MAX_BUNDLE_BYTES:,}-byte limit for "
        "a bundle"
    )


def test_a_bundle_of_exactly_the_size_limit_is_read_whole(tmp_path: Path) -> None:
    body = {"format": FORMAT, "environment": "dev", "created_at": "2026-01-02T03:04:05Z"}
    sealed = _sealed({**body, "prompts": {}})
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(b" " * (MAX_BUNDLE_BYTES - len(sealed)) + sealed)  # JSON allows it
    assert bundle.stat().st_size == MAX_BUNDLE_BYTES
    assert Registry.from_bundle(bundle).created_at == body["created_at"]
