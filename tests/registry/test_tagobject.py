"""Raw annotated tag objects, as git writes them: the fields the read model judges a deployment
by (its target, its own name, who made it and when, the signature apart from the message)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from promptreg.registry.tagobject import TagObject, parse_tag_object

OBJ = "b" * 40
TARGET = "a" * 40


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, env=env
    ).stdout


def test_a_tag_object_git_made_reads_back(tmp_path: Path):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_COMMITTER_NAME": "Ann Tagger",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
        "GIT_COMMITTER_DATE": "1700000000 +0530",
        "GIT_AUTHOR_DATE": "1700000000 +0530",
    }
    _git(tmp_path, "init", "-q", env=env)
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "c", env=env)
    message = "# promote a 1.0.0 to prod\npromptreg: 1\n"
    _git(
        tmp_path, "tag", "-a", "--cleanup=verbatim", "prompts/a@prod/000001", "-m", message, env=env
    )
    commit = _git(tmp_path, "rev-parse", "HEAD").decode().strip()
    obj = _git(tmp_path, "rev-parse", "prompts/a@prod/000001").decode().strip()
    raw = _git(tmp_path, "cat-file", "tag", obj)
    want_date = _git(
        tmp_path, "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/prompts/"
    )
    assert parse_tag_object(obj, raw) == TagObject(
        object=obj,
        target=commit,
        target_type="commit",
        tag="prompts/a@prod/000001",
        tagger="Ann Tagger <ann@example.com>",
        date=want_date.decode().strip(),
        message=message,
        signature="",
    )
    assert want_date.decode().strip() == "2023-11-15T03:43:20+05:30"


def _raw(*header: str, body: str = "m\n") -> bytes:
    return ("\n".join(header) + "\n\n" + body).encode()


HEADER = (f"object {TARGET}", "type commit", "tag prompts/a@prod/000001")


@pytest.mark.parametrize(
    ("tagger", "who", "date"),
    [
        ("A <a@b> 1700000000 -0130", "A <a@b>", "2023-11-14T20:43:20-01:30"),
        ("A <a@b> 1700000000 +0000", "A <a@b>", "2023-11-14T22:13:20+00:00"),
        ("A <a@b> 17000x0000 +0000", "A <a@b>", ""),
        ("A <a@b> 1700000000 +00000", "A <a@b>", ""),
        ("A <a@b> 1700000000 0000", "A <a@b>", ""),
        ("A <a@b> 1700000000 X0100", "A <a@b>", ""),  # a zone's sign is + or -
        ("A <a@b> 1700000000 + 100", "A <a@b>", ""),  # four ASCII digits, not what int() takes
        ("A <a@b> 1700000000 +\u0661100", "A <a@b>", ""),  # an Arabic-Indic one
        ("A <a@b> 1700000000", "A <a@b>", ""),
        ("A <a@b> 99999999999999999999 +0000", "A <a@b>", ""),
        ("A <a@b> 1700000000000 +0000", "A <a@b>", ""),  # year 55840: git shows it, we cannot
        ("A <a@b> 253402300799 +0000", "A <a@b>", "9999-12-31T23:59:59+00:00"),
        ("A <a@b> " + "9" * 5000 + " +0000", "A <a@b>", ""),
        ("A <a@b> ١٧٠٠٠٠٠٠٠٠ +0000", "A <a@b>", ""),
        ("no email", "no email", ""),
    ],
)
def test_the_tagger_and_date_are_what_git_shows(tagger, who, date):
    tag = parse_tag_object(OBJ, _raw(*HEADER, f"tagger {tagger}"))
    assert tag is not None
    assert (tag.tagger, tag.date) == (who, date)


def test_the_date_is_the_moment_in_the_tagger_s_zone():
    tag = parse_tag_object(OBJ, _raw(*HEADER, "tagger A <a@b> 1700000000 +1245"))
    assert tag is not None
    zone = timezone(timedelta(hours=12, minutes=45))
    assert datetime.fromisoformat(tag.date) == datetime.fromtimestamp(1700000000, zone)
    assert tag.date.endswith("+12:45")


def test_no_tagger_is_no_one_at_no_time():
    tag = parse_tag_object(OBJ, _raw(*HEADER))
    assert tag is not None and (tag.tagger, tag.date) == ("", "")


@pytest.mark.parametrize(
    "raw",
    [
        _raw("type commit", "tag t"),  # no object
        _raw(f"object {TARGET[:-1]}", "type commit", "tag t"),
        _raw(f"object {TARGET.upper()}", "type commit", "tag t"),
        _raw(f"object {TARGET}", "tag t"),  # no type
        _raw(f"object {TARGET}", "type commit"),  # no tag
        _raw(*HEADER, "tag prompts/a@prod/000002"),  # a header field twice
        _raw(*HEADER, "nospace"),
    ],
)
def test_what_is_not_a_tag_object_is_none(raw):
    assert parse_tag_object(OBJ, raw) is None


def test_a_sha256_target_and_a_header_only_object():
    target = "d" * 64
    tag = parse_tag_object(OBJ, f"object {target}\ntype tree\ntag t\n".encode())
    assert tag is not None
    assert (tag.target, tag.target_type, tag.tag, tag.message, tag.signature) == (
        target, "tree", "t", "", "",
    )  # fmt: skip


@pytest.mark.parametrize(
    "start",
    [
        "-----BEGIN PGP SIGNATURE-----",
        "-----BEGIN PGP MESSAGE-----",
        "-----BEGIN SSH SIGNATURE-----",
        "-----BEGIN SIGNED MESSAGE-----",
    ],
)
def test_the_signature_is_split_from_the_message(start):
    signature = f"{start}\nabc\n-----END-----\n"
    message = "# promote\npromptreg: 1\n\nsecond paragraph\n"
    tag = parse_tag_object(OBJ, _raw(*HEADER, body=message + signature))
    assert tag is not None
    assert (tag.message, tag.signature) == (message, signature)


def test_a_signature_marker_inside_a_line_is_message():
    body = "reason: see -----BEGIN SSH SIGNATURE-----\n"
    tag = parse_tag_object(OBJ, _raw(*HEADER, body=body))
    assert tag is not None and (tag.message, tag.signature) == (body, "")


def test_invalid_utf8_is_replaced_not_an_error():
    tag = parse_tag_object(OBJ, _raw(*HEADER, body="é").replace(b"\xc3\xa9", b"\xff"))
    assert tag is not None and tag.message == "\ufffd"


def test_a_header_only_object_keeps_its_last_field_exactly():
    tag = parse_tag_object(OBJ, f"object {TARGET}\ntype commit\ntag prompts/X\n".encode())
    assert tag is not None and tag.tag == "prompts/X"
    stray = parse_tag_object(
        OBJ, _raw(*HEADER, body="").rstrip(b"\n") + b"\ntagger A <a@b> 1 +0000\t"
    )
    assert stray is not None and stray.date == ""
