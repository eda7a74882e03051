"""Detached SSH signatures (`ssh-keygen -Y sign` / `-Y verify`), the way git signs with ssh.

OpenSSH does the cryptography; promptreg only passes bytes in and reads the verdict. A
signature is bound to a *namespace* (promptreg's bundles use `promptreg-bundle`), so a
signature made for git commits or for another tool never verifies here. Who may sign is an
*allowed-signers* file (`ssh-keygen(1)`, "ALLOWED SIGNERS"): one `principal [options] key`
line per key; an option `namespaces="promptreg-bundle"` narrows a key to bundles.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from promptreg.errors import SignatureError

_TIMEOUT = 30.0  # seconds: verifying takes a few milliseconds
_SIGN_TIMEOUT = 300.0  # signing may wait for a passphrase typed on the terminal
MAX_SIGNATURE_BYTES = 64 * 1024  # an ssh signature is under 2 KiB even for RSA-8192


def sign(data: bytes, *, key: Path, namespace: str) -> bytes:
    """The armored signature of `data` by the private key file `key` (or, for a `.pub` file,
    by the matching key held in ssh-agent). The data goes through a temporary file, not stdin,
    so that ssh-keygen can ask for the key's passphrase on the terminal."""
    if not key.is_file():
        raise SignatureError("signing key not found", path=str(key))
    with tempfile.TemporaryDirectory(prefix="promptreg-sign-") as tmp:
        message = Path(tmp) / "bundle"
        message.write_bytes(data)
        args = ["-Y", "sign", "-q", "-n", namespace, "-f", str(key.resolve()), str(message)]
        proc = _ssh_keygen(args, None, timeout=_SIGN_TIMEOUT)
        sig_path = message.with_name("bundle.sig")
        signature = sig_path.read_bytes() if sig_path.is_file() else b""
    if proc.returncode != 0 or not signature.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise SignatureError(f"ssh-keygen could not sign: {_why(proc)}", path=str(key))
    return signature


def verify(
    data: bytes,
    signature: bytes,
    *,
    allowed_signers: Path,
    namespace: str,
    principal: str | None = None,
) -> str:
    """The principal whose key made `signature` over `data` in `namespace`, as listed in
    `allowed_signers` (or exactly `principal`, when given). Raises SignatureError when the
    signature is malformed, made by a key not listed (for that namespace), or the data differs
    from what was signed."""
    if not allowed_signers.is_file():
        raise SignatureError("allowed-signers file not found", path=str(allowed_signers))
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureError(f"signature is larger than {MAX_SIGNATURE_BYTES} bytes")
    with tempfile.TemporaryDirectory(prefix="promptreg-sig-") as tmp:
        sig_path = Path(tmp) / "signature.sig"
        sig_path.write_bytes(signature)
        allowed = str(allowed_signers.resolve())
        if principal is not None:
            candidates = [principal]
        else:
            found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig_path), "-f", allowed], b"")
            candidates = [p for p in found.stdout.decode("utf-8", "replace").splitlines() if p]
            if found.returncode != 0 or not candidates:
                raise SignatureError(f"the signing key is not in {allowed_signers} ({_why(found)})")
        for candidate in candidates:
            args = ["-Y", "verify", "-f", allowed, "-I", candidate, "-n", namespace]
            proc = _ssh_keygen([*args, "-s", str(sig_path)], data)
            if proc.returncode == 0:
                return candidate
        who = f"principal {principal!r}" if principal else ", ".join(map(repr, candidates))
        raise SignatureError(
            f"bad signature: not a valid {namespace!r} signature by {who} from "
            f"{allowed_signers} over this data ({_why(proc)})"
        )


def _ssh_keygen(
    args: list[str], stdin: bytes | None, *, timeout: float = _TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    """Run ssh-keygen; with `stdin=None` it may ask for a passphrase on our terminal, and when
    there is none it reads an empty stdin (and fails at once) rather than waiting on ours."""
    if stdin is None and not _interactive():
        stdin = b""
    try:
        return subprocess.run(
            ["ssh-keygen", *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise SignatureError(
            "ssh-keygen (OpenSSH 8.2 or later) is needed to sign or verify, and is not installed"
        ) from None
    except subprocess.TimeoutExpired:
        raise SignatureError(f"ssh-keygen did not answer within {timeout:.0f} s") from None


def _interactive() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def _why(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else f"ssh-keygen exit status {proc.returncode}"
