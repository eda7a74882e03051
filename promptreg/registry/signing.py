"""Signed deployments: git's own tag signatures (ssh or OpenPGP), checked against keys that are
committed in the repository.

`signing:` in promptreg.yaml names the environments whose deployments count only when their
tag carries a good signature by an allowed key: an ssh key in `allowed_signers` (git's
allowed-signers format) or an OpenPGP key in `allowed_gpg_keys` (ASCII-armored public keys).
Both files are read as committed at HEAD, so adding a key is a reviewed change. Verification
is `git verify-tag`: for ssh with `gpg.ssh.allowedSignersFile` pointing at a copy of that file
(git runs `ssh-keygen -Y verify`), for OpenPGP with `GNUPGHOME` pointing at a keyring of this
process's own holding only the allowed keys (so a key merely present in someone's keyring is
not allowed). The read model (deployments.py) asks `problem(tag)` once per tag object and
caches the answer.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.errors import GitError
from promptreg.project.config import SigningConfig

if TYPE_CHECKING:
    from promptreg.registry.gitstore import GitStore
    from promptreg.registry.tagobject import TagObject

_SSH = "-----BEGIN SSH SIGNATURE-----"
_PGP = "-----BEGIN PGP SIGNATURE-----"


class Signatures:
    """The `signing:` policy of one repository (see the module docstring)."""

    def __init__(self, store: GitStore, config: SigningConfig) -> None:
        self.store = store
        self.config = config
        self._dir: str | None = None
        self._ssh: Path | str | None = None  # the allowed-signers copy, or why there is none
        self._gpg: Path | str | None = None  # the keyring directory, or why there is none
        self._setup = threading.Lock()  # verifications run in threads; set up once

    def required(self, env: str) -> bool:
        return env in self.config.environments

    def problem(self, tag: TagObject) -> str | None:
        """Why `tag`'s signature does not make it count (None: it verifies)."""
        if not tag.signature:
            return "unsigned, but `signing:` requires a signature for this environment"
        if tag.signature.startswith(_SSH):
            return self._verify_ssh(tag)
        if tag.signature.startswith(_PGP):
            return self._verify_gpg(tag)
        return "neither an ssh nor an OpenPGP signature (x509 is not verified)"

    def _verify_ssh(self, tag: TagObject) -> str | None:
        signers = self._ssh_signers()
        if isinstance(signers, str):
            return signers
        try:
            self.store.run(
                "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-tag", "--raw", tag.object
            )
        except GitError as err:
            if "No principal matched" in err.stderr:
                return f"signature by a key not in {self.config.allowed_signers}"
            return f"bad signature ({_last_line(err.stderr)})"
        return None

    def _verify_gpg(self, tag: TagObject) -> str | None:
        home = self._gpg_home()
        if isinstance(home, str):
            return home
        try:
            self.store.run("verify-tag", "--raw", tag.object, env={"GNUPGHOME": str(home)})
        except GitError as err:
            if "NO_PUBKEY" in err.stderr:
                return f"signature by a key not in {self.config.allowed_gpg_keys}"
            if "EXPKEYSIG" in err.stderr or "REVKEYSIG" in err.stderr:
                return "signature by an expired or revoked key"
            return f"bad signature ({_last_line(err.stderr)})"
        return None

    def _committed(self, path: str | None, what: str) -> bytes | str:
        if path is None:
            return f"`signing:` lists no {what}"
        data = self.store.read("HEAD", path)
        return data if data is not None else f"the {what} file {path} is not committed at HEAD"

    def _scratch(self) -> Path:
        """A private directory for this process's copies, removed when the policy goes."""
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="promptreg-signers-")
            weakref.finalize(self, shutil.rmtree, self._dir, True)
        return Path(self._dir)

    def _ssh_signers(self) -> Path | str:
        """The allowed-signers file as committed at HEAD, copied where ssh-keygen can read it
        (a bare repository has no working tree to point at); or why there is none."""
        with self._setup:
            if self._ssh is None:
                data = self._committed(self.config.allowed_signers, "allowed-signers (ssh)")
                if isinstance(data, str):
                    self._ssh = data
                else:
                    path = self._scratch() / hashlib.sha256(data).hexdigest()
                    path.write_bytes(data)
                    self._ssh = path
            return self._ssh

    def _gpg_home(self) -> Path | str:
        """A keyring holding exactly the committed OpenPGP keys; or why there is none."""
        with self._setup:
            if self._gpg is None:
                self._gpg = self._import_gpg_keys()
            return self._gpg

    def _import_gpg_keys(self) -> Path | str:
        data = self._committed(self.config.allowed_gpg_keys, "allowed OpenPGP keys")
        if isinstance(data, str):
            return data
        home = self._scratch() / "gnupg"
        home.mkdir(mode=0o700)
        proc = subprocess.run(
            [_config(self.store, "gpg.program") or "gpg", "--batch", "--quiet", "--import"],
            input=data,
            capture_output=True,
            env={**os.environ, "GNUPGHOME": str(home)},
            check=False,
        )
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            return f"the allowed OpenPGP keys do not import ({_last_line(stderr)})"
        return home


def sign_tag(store: GitStore, payload: str) -> str:
    """A signature of `payload` (a tag object's text) as `git tag -s` writes one, with the key
    and format git is configured to sign with (`gpg.format`, `user.signingKey`)."""
    fmt = _config(store, "gpg.format") or "openpgp"
    key = _config(store, "user.signingkey")
    if fmt == "ssh" and key:
        return _ssh_sign(store, payload, key)
    if fmt == "openpgp":
        return _gpg_sign(store, payload, key or _committer_email(store))
    raise GitError(
        "--sign signs as git does, and needs a key: for ssh `git config gpg.format ssh` and "
        "`git config user.signingkey ~/.ssh/id_ed25519` (a private key, or a public key held "
        "by ssh-agent); for OpenPGP `git config user.signingkey <key id>`"
    )


def _ssh_sign(store: GitStore, payload: str, key: str) -> str:
    program = _config(store, "gpg.ssh.program") or "ssh-keygen"
    with tempfile.TemporaryDirectory(prefix="promptreg-sign-") as directory:
        if key.startswith("key::"):  # a literal public key: the agent holds the private one
            key_file = Path(directory) / "key.pub"
            key_file.write_text(key.removeprefix("key::") + "\n", encoding="utf-8")
            key = str(key_file)
        buffer = Path(directory) / "payload"
        buffer.write_text(payload, encoding="utf-8")
        proc = subprocess.run(
            [program, "-Y", "sign", "-n", "git", "-f", os.path.expanduser(key), str(buffer)],
            capture_output=True,
            check=False,
        )
        signature = buffer.with_suffix(".sig")
        if proc.returncode != 0 or not signature.exists():
            stderr = proc.stderr.decode("utf-8", "replace")
            raise GitError(f"signing the tag failed: {_last_line(stderr)}")
        return signature.read_text(encoding="utf-8")


def _gpg_sign(store: GitStore, payload: str, key: str) -> str:
    program = _config(store, "gpg.program") or "gpg"
    try:
        proc = subprocess.run(
            [program, "--batch", "--status-fd=2", "-bsau", key],
            input=payload.encode("utf-8"),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError(f"signing the tag failed: {program} is not installed") from None
    if proc.returncode != 0 or b"-----BEGIN PGP SIGNATURE-----" not in proc.stdout:
        stderr = proc.stderr.decode("utf-8", "replace")
        raise GitError(
            f"signing the tag with OpenPGP key {key!r} failed ({_last_line(stderr)}); for ssh "
            "keys set `git config gpg.format ssh` and `git config user.signingkey <key file>`"
        )
    return proc.stdout.decode("utf-8")


def _committer_email(store: GitStore) -> str:
    ident = store.run("var", "GIT_COMMITTER_IDENT")
    return ident.partition("<")[2].partition(">")[0]


def _config(store: GitStore, key: str) -> str | None:
    try:
        return store.run("config", "--get", key).strip() or None
    except GitError:
        return None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"
