"""What a bundle's reader answers for a file it refuses before its schema, word for word.

Each refusal is the one line a user sees when a shipped bundle is refused at start-up: it must
say what was wrong and what to do. These bundles are written by hand (no git needed): a file
that is not JSON, of an older format, without an integrity hash, with a value JSON can write
but promptreg never does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import BundleError
from promptreg.registry import Registry
from promptreg.registry.bundle_read import FORMAT, integrity, parse_bundle


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
        b'{"format": 1, "format": 2}',
        "not a promptreg bundle (duplicate key 'format')",
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
