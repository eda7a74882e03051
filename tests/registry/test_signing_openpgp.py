"""Signed environments with OpenPGP keys, refused word for word: a key not allowed, a key that
has expired or been revoked since it signed; and the private keyring promptreg verifies with
(only the committed keys, a 0700 directory, gone with the registry).

Real gpg with keys of the test's own, in a GNUPGHOME of the test's own."""

from __future__ import annotations

import gc
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptreg.registry import Registry
from tests.conftest import Workspace, commit, git
from tests.registry.test_signing_reasons import _forged, _reasons, _signed_repo

GPG = ["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
PAST = "--faked-system-time=20200101T120000!"  # a key made then, valid one day, has expired


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    yield home
    subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)


def gpg_key(home: Path, name: str, *extra: str, expires: str = "never") -> str:
    """A new signing key; its fingerprint."""
    before = set((home / "openpgp-revocs.d").glob("*.rev"))
    subprocess.run([*GPG, *extra, "--quick-gen-key", f"{name} <{name}@example.com>", "ed25519",
                    "sign", expires], check=True, capture_output=True)  # fmt: skip
    (made,) = set((home / "openpgp-revocs.d").glob("*.rev")) - before
    return made.stem


def exported(fingerprint: str) -> str:
    return subprocess.run(
        ["gpg", "--armor", "--export", fingerprint], check=True, capture_output=True, text=True
    ).stdout


def signature(fingerprint: str, *extra: str) -> object:
    """A detached signature of a tag's text by `fingerprint`, as git makes one."""

    def sign(body: str) -> str:
        return subprocess.run([*GPG, *extra, "-bsau", fingerprint], input=body, text=True,
                              check=True, capture_output=True).stdout  # fmt: skip

    return sign


def _gpg_repo(repo: Workspace, run, *keys: str) -> None:
    _signed_repo(
        repo,
        run,
        "{environments: [prod], allowed_gpg_keys: .promptreg/keys.asc}",
        {".promptreg/keys.asc": "".join(exported(k) for k in keys)},
    )


def test_keys_not_allowed_expired_or_revoked_are_refused_by_name(repo: Workspace, run, home):
    ada, eve = gpg_key(home, "ada"), gpg_key(home, "eve")
    old = gpg_key(home, "old", PAST, expires="1d")
    _gpg_repo(repo, run, ada, old)
    good = _forged(repo, 1, signature(ada))
    by_eve = _forged(repo, 2, signature(eve))
    expired = _forged(repo, 3, signature(old, PAST))
    assert _reasons(repo) == {
        by_eve: "signature by a key not in .promptreg/keys.asc",
        expired: "signature by an expired or revoked key",
    }
    certificate = (home / "openpgp-revocs.d" / f"{ada}.rev").read_text(encoding="utf-8")
    subprocess.run([*GPG, "--import"], input=certificate.replace(":-----BEGIN", "-----BEGIN"),
                   text=True, check=True)  # fmt: skip
    repo.write(".promptreg/keys.asc", exported(ada) + exported(old))
    commit(repo, "ada's key is revoked")
    assert _reasons(repo)[good] == "signature by an expired or revoked key"


def test_the_keyring_is_private_and_goes_with_the_registry(
    repo: Workspace, run, home: Path, monkeypatch: pytest.MonkeyPatch
):
    ada = gpg_key(home, "ada")
    _gpg_repo(repo, run, ada)
    _forged(repo, 1, signature(ada))
    # short: gpg-agent's socket goes under the keyring, and a socket path has ~100 bytes
    scratch = Path(tempfile.mkdtemp(prefix="pr-"))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    reg = Registry(repo.root)
    assert reg.get("triage@prod").deployment.seq == 1
    (made,) = scratch.glob("promptreg-signers-*")
    assert [p.name for p in made.iterdir()] == ["gnupg"]
    assert stat.S_IMODE((made / "gnupg").stat().st_mode) == 0o700
    reg.close()
    del reg
    gc.collect()
    assert list(scratch.iterdir()) == []
    scratch.rmdir()
    assert git(repo.root, "tag", "-l").count("@prod/") == 1


def test_a_keyring_removed_before_the_registry_goes_is_no_error(
    repo: Workspace, run, home: Path, monkeypatch: pytest.MonkeyPatch
):
    """A temp cleaner (or gpg-agent taking its sockets away) may be first: the registry going
    afterwards must not print an error from its own clean-up."""
    ada = gpg_key(home, "ada")
    _gpg_repo(repo, run, ada)
    _forged(repo, 1, signature(ada))
    scratch = Path(tempfile.mkdtemp(prefix="pr-"))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    reg = Registry(repo.root)
    assert reg.get("triage@prod").deployment.seq == 1
    (made,) = scratch.glob("promptreg-signers-*")
    subprocess.run(["gpgconf", "--homedir", str(made / "gnupg"), "--kill", "all"],
                   check=False, capture_output=True)  # fmt: skip
    for _ in range(100):  # the agent may still be taking its sockets away as we remove them
        shutil.rmtree(made, ignore_errors=True)
        if not made.exists():
            break
        time.sleep(0.02)
    assert not made.exists()
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    reg.close()
    del reg
    gc.collect()
    assert unraisable == []
    scratch.rmdir()
