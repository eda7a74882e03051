"""Signed deployments: git's own ssh tag signatures, checked against a committed file.

`signing:` in promptreg.yaml names the environments whose deployments count only when their
tag carries a good signature by a key in `allowed_signers` (git's allowed-signers format,
committed in the repository and read as committed at HEAD, so adding a key is a reviewed
change). Verification is `git verify-tag` with `gpg.ssh.allowedSignersFile` pointing at that
file: git splits the signature from the tag object and runs `ssh-keygen -Y verify`. The read
model (deployments.py) asks `problem(tag)` once per tag object and caches the answer.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.config import SigningConfig
from promptreg.gitstore import GitError, GitStore

if TYPE_CHECKING:
    from promptreg.tagobject import TagObject


class Signatures:
    """The `signing:` policy of one repository (see the module docstring)."""

    def __init__(self, store: GitStore, config: SigningConfig) -> None:
        self.store = store
        self.config = config
        self._signers: Path | str | None = None  # the file, or why there is none
        self._dir: str | None = None

    def required(self, env: str) -> bool:
        return env in self.config.environments

    def problem(self, tag: TagObject) -> str | None:
        """Why `tag`'s signature does not make it count (None: it verifies)."""
        if not tag.signature:
            return "unsigned, but `signing:` requires a signature for this environment"
        if "-----BEGIN SSH SIGNATURE-----" not in tag.signature:
            return "not an ssh signature (`signing:` verifies ssh signatures only)"
        signers = self._allowed_signers()
        if isinstance(signers, str):
            return signers
        try:
            self.store.run(
                "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-tag", "--raw", tag.object
            )
        except GitError as err:
            if "No principal matched" in err.stderr:
                return f"signature by a key not in {self.config.allowed_signers}"
            last = err.stderr.strip().splitlines()[-1:] or ["no reason given"]
            return f"bad signature ({last[0]})"
        return None

    def _allowed_signers(self) -> Path | str:
        """The allowed-signers file as committed at HEAD, copied where ssh-keygen can read it
        (a bare repository has no working tree to point at); or why there is none."""
        if self._signers is not None:
            return self._signers
        shown = self.config.allowed_signers or "allowed_signers"
        data = self.store.read("HEAD", shown) if self.config.allowed_signers else None
        if data is None:
            self._signers = f"the allowed-signers file {shown} is not committed at HEAD"
            return self._signers
        self._dir = tempfile.mkdtemp(prefix="promptreg-signers-")
        weakref.finalize(self, shutil.rmtree, self._dir, True)
        path = Path(self._dir) / hashlib.sha256(data).hexdigest()
        path.write_bytes(data)
        self._signers = path
        return path


def ssh_sign(store: GitStore, payload: str) -> str:
    """An ssh signature of `payload` (a tag object's text) as git writes one, with the key
    git is configured to sign with (`user.signingKey`, `gpg.format ssh`)."""
    fmt = _config(store, "gpg.format")
    key = _config(store, "user.signingkey")
    if fmt != "ssh" or not key:
        raise GitError(
            "--sign signs with an ssh key, as git does: `git config gpg.format ssh` and "
            "`git config user.signingkey ~/.ssh/id_ed25519` (a private key, or a public key "
            "held by ssh-agent)"
        )
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
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"signing the tag failed: {stderr or 'no signature written'}")
        return signature.read_text(encoding="utf-8")


def _config(store: GitStore, key: str) -> str | None:
    try:
        return store.run("config", "--get", key).strip() or None
    except GitError:
        return None
