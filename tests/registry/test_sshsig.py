"""Detached ssh signatures, with real keys made by ssh-keygen: a signature verifies only over
the data it was made for, in its namespace, by a key the allowed-signers file lists (for that
namespace), and every refusal is a SignatureError saying which of those failed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from promptreg.errors import SignatureError
from promptreg.registry.sshsig import MAX_SIGNATURE_BYTES, sign, verify

NS = "promptreg-bundle"
DATA = b'{"prompts": {}}\n'


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ada's and eve's keys; `allowed` lists ada's for bundles."""
    root = tmp_path_factory.mktemp("keys")
    ada, eve = keygen(root / "ada"), keygen(root / "eve")
    public = (root / "ada.pub").read_text(encoding="utf-8").strip()
    allowed = root / "allowed"
    allowed.write_text(
        f'ada@example.com namespaces="{NS}" {public}\n',
        encoding="utf-8",
    )
    return {"ada": ada, "eve": eve, "allowed": allowed}


def test_a_signature_verifies_and_names_its_signer(keys):
    signature = sign(DATA, key=keys["ada"], namespace=NS)
    assert signature.startswith(b"-----BEGIN SSH SIGNATURE-----")
    assert verify(DATA, signature, allowed_signers=keys["allowed"], namespace=NS) == (
        "ada@example.com"
    )
    found = verify(
        DATA, signature, allowed_signers=keys["allowed"], namespace=NS, principal="ada@example.com"
    )
    assert found == "ada@example.com"


def test_a_file_that_is_not_a_key_cannot_sign(tmp_path: Path):
    bogus = tmp_path / "bogus"
    bogus.write_text("not a key\n", encoding="utf-8")
    with pytest.raises(SignatureError, match=r"ssh-keygen could not sign: \S") as err:
        sign(DATA, key=bogus, namespace=NS)
    assert err.value.path == str(bogus)


def _refused(data: bytes, signature: bytes, allowed: Path, **kw: str) -> SignatureError:
    with pytest.raises(SignatureError) as err:
        verify(data, signature, allowed_signers=allowed, namespace=kw.pop("namespace", NS), **kw)
    return err.value


def test_other_data_is_a_bad_signature(keys):
    signature = sign(DATA, key=keys["ada"], namespace=NS)
    err = _refused(DATA + b" ", signature, keys["allowed"])
    assert str(err).startswith(
        f"bad signature: not a valid '{NS}' signature by 'ada@example.com' from "
        f"{keys['allowed']} over this data ("
    )
    assert "()" not in str(err)


def test_a_named_principal_must_be_the_signer(keys):
    signature = sign(DATA, key=keys["ada"], namespace=NS)
    err = _refused(DATA, signature, keys["allowed"], principal="bob@example.com")
    assert str(err).startswith(f"bad signature: not a valid '{NS}' signature by principal "
                               "'bob@example.com' from ")  # fmt: skip


def test_a_key_not_listed_is_refused(keys):
    err = _refused(DATA, sign(DATA, key=keys["eve"], namespace=NS), keys["allowed"])
    assert str(err).startswith(f"the signing key is not in {keys['allowed']} (")


def test_a_signature_for_another_namespace_never_verifies(keys):
    other = sign(DATA, key=keys["ada"], namespace="file")
    err = _refused(DATA, other, keys["allowed"])
    assert str(err).startswith(f"bad signature: not a valid '{NS}' signature by 'ada@example.com'")
    assert "namespace" in str(err)


def test_garbage_is_refused_not_an_error(keys):
    err = _refused(DATA, b"not a signature", keys["allowed"])
    assert str(err).startswith(f"the signing key is not in {keys['allowed']} (")


def test_the_size_limit_is_checked_before_ssh_keygen_runs(keys):
    huge = b"-----BEGIN SSH SIGNATURE-----\n" + b"A" * MAX_SIGNATURE_BYTES
    assert str(_refused(DATA, huge, keys["allowed"])) == "signature is larger than 65536 bytes"
    at_limit = huge[:MAX_SIGNATURE_BYTES]
    assert "larger" not in str(_refused(DATA, at_limit, keys["allowed"]))


def test_missing_files_are_named(keys, tmp_path: Path):
    with pytest.raises(SignatureError) as err:
        sign(DATA, key=tmp_path / "none", namespace=NS)
    assert (err.value.message, err.value.path) == ("signing key not found", str(tmp_path / "none"))
    signature = sign(DATA, key=keys["ada"], namespace=NS)
    err2 = _refused(DATA, signature, tmp_path / "none")
    assert (err2.message, err2.path) == ("allowed-signers file not found", str(tmp_path / "none"))


def test_an_allowed_signers_path_relative_to_the_working_directory(keys, monkeypatch):
    monkeypatch.chdir(keys["allowed"].parent)
    signature = sign(DATA, key=Path(keys["ada"].name), namespace=NS)
    assert verify(DATA, signature, allowed_signers=Path("allowed"), namespace=NS) == (
        "ada@example.com"
    )


def test_without_ssh_keygen_the_error_says_what_to_install(keys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no ssh-keygen on PATH
    with pytest.raises(SignatureError) as err:
        sign(DATA, key=keys["ada"], namespace=NS)
    assert str(err.value) == (
        "ssh-keygen (OpenSSH 8.2 or later) is needed to sign or verify, and is not installed"
    )
