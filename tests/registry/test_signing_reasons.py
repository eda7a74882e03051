"""Why a signed environment refuses a deployment tag, word for word, and why `--sign` could not
sign: the reason is what `history` and `verify` show, and the one line an operator has to act on.

Real git, real ssh-keygen and gpg (each with a key of the test's own, or no key at all). Tags
whose signature block only looks like one are written with `git mktag`, as anyone can."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import promptreg
from promptreg.errors import GitError
from promptreg.project.project import Project
from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from promptreg.registry.signing import sign_tag
from promptreg.registry.tagpack import tag_body
from promptreg.registry.tags import deployment_message
from tests.conftest import Workspace, commit, git

SSH_BLOCK = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
PGP_BLOCK = "-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n"
X509_BLOCK = "-----BEGIN SIGNED MESSAGE-----\nAAAA\n-----END SIGNED MESSAGE-----\n"
UNKNOWN_KEY = "signing the tag failed: "
SSH_HINT = (
    "--sign signs as git does, and needs a key: for ssh `git config gpg.format ssh` and "
    "`git config user.signingkey ~/.ssh/id_ed25519` (a private key, or a public key held "
    "by ssh-agent); for OpenPGP `git config user.signingkey <key id>`"
)


def ssh_key(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return path


def _signed_repo(repo: Workspace, run, signing: str, files: dict[str, str]) -> None:
    for path, text in files.items():
        repo.write(path, text)
    repo.write("promptreg.yaml", f"prompts_dir: prompts\nsigning: {signing}\n")
    commit(repo, "prod must be signed")
    for env in ("dev", "staging"):
        assert run("promote", "triage", "--to", env).code == 0


def _ssh_signature(key: Path, text: str) -> str:
    """`key`'s real signature of `text`, as git makes one for a tag."""
    signed = key.with_name(f"{key.name}-{hashlib.sha256(text.encode()).hexdigest()}")
    signed.write_text(text, encoding="utf-8")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(key), str(signed)],
                   check=True, capture_output=True)  # fmt: skip
    return signed.with_name(signed.name + ".sig").read_text(encoding="utf-8")


def _forged(
    repo: Workspace, seq: int, block: str | Callable[[str], str], signer: Path | None = None
) -> str:
    """A prod deployment of HEAD with promptreg's message and `block` as its signature (or
    `block(body)`, or with `signer`, that ssh key's real signature of the tag)."""
    head = git(repo.root, "rev-parse", "HEAD").strip()
    prompt = Project.open(repo.root).load("triage")
    message = deployment_message(
        action="promote", name="triage", env="prod", version=prompt.version,
        content_hash=prompt.content_hash, commit=head, path="prompts/triage.prompt",
        previous=None, reason=None, forced=False, scores={},
    )  # fmt: skip
    tag = f"prompts/triage@prod/{seq:06d}"
    ident = git(repo.root, "var", "GIT_COMMITTER_IDENT").strip()
    body = tag_body(tag, head, ident, message)
    if signer is not None:
        body += _ssh_signature(signer, body)
    else:
        body += block if isinstance(block, str) else block(body)
    obj = subprocess.run(
        ["git", "mktag"], cwd=repo.root, input=body, capture_output=True, text=True, check=True
    ).stdout.strip()
    git(repo.root, "update-ref", f"refs/tags/{tag}", obj)
    return tag


def _reasons(repo: Workspace) -> dict[str, str]:
    with Registry(repo.root) as reg:
        rejected = reg.deployment_log("triage", "prod").rejected
    assert all(r.signature_problem for r in rejected)
    return {r.tag: r.reason for r in rejected}


def test_signatures_promptreg_cannot_check_are_refused_by_name(repo: Workspace, run, tmp_path):
    public = ssh_key(tmp_path / "ada").with_suffix(".pub").read_text(encoding="utf-8")
    _signed_repo(
        repo,
        run,
        "{environments: [prod], allowed_signers: .promptreg/signers}",
        {".promptreg/signers": f'ada@example.com namespaces="git" {public}'},
    )
    unsigned = _forged(repo, 1, "")
    x509 = _forged(repo, 2, X509_BLOCK)
    pgp = _forged(repo, 3, PGP_BLOCK)  # no OpenPGP keys are listed
    by_eve = _forged(repo, 4, "", signer=ssh_key(tmp_path / "eve"))
    moved = _forged(repo, 5, _ssh_signature(tmp_path / "ada", "another text\n"))
    good = _forged(repo, 6, "", signer=tmp_path / "ada")
    reasons = _reasons(repo)
    assert reasons[unsigned] == (
        "unsigned, but `signing:` requires a signature for this environment"
    )
    assert reasons[x509] == "neither an ssh nor an OpenPGP signature (x509 is not verified)"
    assert reasons[pgp] == "`signing:` lists no allowed OpenPGP keys"
    assert reasons[by_eve] == "signature by a key not in .promptreg/signers"
    assert good not in reasons
    assert reasons[moved].startswith("bad signature (")
    assert reasons[moved].endswith(")") and reasons[moved] != "bad signature (no reason given)"


def test_without_allowed_ssh_signers_an_ssh_signature_is_refused(repo: Workspace, run):
    _signed_repo(
        repo,
        run,
        "{environments: [prod], allowed_gpg_keys: .promptreg/keys.asc}",
        {".promptreg/keys.asc": "not an OpenPGP key\n"},
    )
    ssh = _forged(repo, 1, SSH_BLOCK)
    assert _reasons(repo) == {ssh: "`signing:` lists no allowed-signers (ssh)"}
    repo.write("promptreg.yaml", "prompts_dir: prompts\nsigning: {environments: [prod], "
               "allowed_signers: .promptreg/signers}\n")  # fmt: skip
    commit(repo, "names a file nobody committed")
    assert _reasons(repo) == {
        ssh: "the allowed-signers (ssh) file .promptreg/signers is not committed at HEAD"
    }


def test_allowed_gpg_keys_that_do_not_import_refuse_every_pgp_signature(
    repo: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GNUPGHOME", str(tmp_path))  # nothing of the user's is read
    _signed_repo(
        repo,
        run,
        "{environments: [prod], allowed_gpg_keys: .promptreg/keys.asc}",
        {".promptreg/keys.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n"},
    )
    first, second = _forged(repo, 1, PGP_BLOCK), _forged(repo, 2, PGP_BLOCK)
    reasons = _reasons(repo)
    assert reasons[first] == reasons[second]
    assert reasons[first].startswith("the allowed OpenPGP keys do not import (gpg: ")
    assert reasons[first].endswith(")")


# -- signing ------------------------------------------------------------------------------------


def _sign(repo: Workspace, **config: str) -> str:
    for key, value in config.items():
        git(repo.root, "config", key.replace("_", "."), value)
    with GitStore(repo.root) as store:
        return sign_tag(store, "object 0\n")


_SIGN_SCRIPT = """import sys
from promptreg.registry.gitstore import GitStore
from promptreg.registry.signing import sign_tag
with GitStore(sys.argv[1]) as store:
    sys.stdout.buffer.write(sign_tag(store, sys.stdin.buffer.read().decode()).encode())
"""


def _sign_in_an_ascii_locale(repo: Workspace, signing_key: str, payload: str, key: Path) -> None:
    """Sign `payload` in a process whose locale encoding is ASCII (the C locale, neither
    coerced nor in UTF-8 mode, as a library user may run): git signs the tag's UTF-8 bytes, so
    that is what must be signed, whatever the locale."""
    git(repo.root, "config", "user.signingkey", signing_key)
    package = Path(promptreg.__file__).parents[1]  # the promptreg under test (or mutant)
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONPATH": str(package)}  # fmt: skip
    check = "import locale; print(locale.getpreferredencoding(False))"
    probe = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True)
    assert probe.stdout.strip() in {"ANSI_X3.4-1968", "ascii", "US-ASCII"}
    proc = subprocess.run([sys.executable, "-c", _SIGN_SCRIPT, str(repo.root)], env=env,
                          input=payload.encode(), capture_output=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    signature = key.with_name("ascii.sig")
    signature.write_bytes(proc.stdout)
    verified = subprocess.run(["ssh-keygen", "-Y", "check-novalidate", "-n", "git", "-s",
                               str(signature)], input=payload.encode(), capture_output=True)  # fmt: skip
    assert verified.returncode == 0, verified.stderr


def _program(tmp_path: Path, name: str, script: str) -> str:
    """A signer or key importer of the test's own: an executable shell script."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


# fails, and its last word is not UTF-8 (a Latin-1 locale's gpg, say)
NOT_UTF8 = r"printf 'first line\nno key \377 here\n' >&2; exit 2"


def _refusal(repo: Workspace, **config: str) -> str:
    with pytest.raises(GitError) as err:
        _sign(repo, **config)
    return str(err.value)


def test_signing_needs_a_key_git_knows_how_to_use(repo: Workspace):
    assert _refusal(repo, gpg_format="ssh") == SSH_HINT  # ssh, but no key named
    assert _refusal(repo, gpg_format="x509", user_signingkey="k") == SSH_HINT


def test_ssh_signing_with_a_key_file_under_home(repo: Workspace, tmp_path: Path):
    home = Path(os.environ["HOME"])
    ssh_key(home / "id_test")
    signature = _sign(repo, gpg_format="ssh", user_signingkey="~/id_test")
    assert signature.startswith("-----BEGIN SSH SIGNATURE-----\n")
    refused = _refusal(repo, user_signingkey=str(tmp_path / "missing"))
    assert refused.startswith(UNKNOWN_KEY) and refused != UNKNOWN_KEY + "no reason given"


def test_ssh_signing_with_a_public_key_held_by_an_agent(
    repo: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    key = ssh_key(tmp_path / "agent_key")
    literal = "key::" + key.with_suffix(".pub").read_text(encoding="utf-8").strip()
    assert _refusal(repo, gpg_format="ssh", user_signingkey=literal).startswith(UNKNOWN_KEY)
    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket)}
        for _ in range(100):
            if socket.exists():
                break
            subprocess.run(["sleep", "0.02"], check=True)
        subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        signature = _sign(repo)
        assert signature.startswith("-----BEGIN SSH SIGNATURE-----\n")
        bare = " ".join(literal.split()[:2])  # git's documented form: no comment after the key
        assert _sign(repo, user_signingkey=bare).startswith("-----BEGIN SSH SIGNATURE-----\n")
        # a non-ASCII key comment and tagger, signed where the locale cannot write them
        _sign_in_an_ascii_locale(repo, literal + " Zoë", "tagger Zoë <z@example.com>\n", key)
    finally:
        os.kill(agent.pid, signal.SIGTERM)
        agent.wait()


def test_openpgp_signing_failures_name_the_key_and_the_ssh_way(
    repo: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))  # an empty keyring: no secret key to sign with
    refused = _refusal(repo)  # openpgp by default, as the committer
    assert refused.startswith("signing the tag with OpenPGP key 'ada@example.com' failed (gpg: ")
    assert refused.endswith(
        "); for ssh keys set `git config gpg.format ssh` and "
        "`git config user.signingkey <key file>`"
    )
    assert "'nobody@example.com' failed (gpg: " in _refusal(
        repo, gpg_format="openpgp", user_signingkey="nobody@example.com"
    )
    assert _refusal(repo, gpg_program="false") == (  # a program that fails without a word
        "signing the tag with OpenPGP key 'nobody@example.com' failed (no reason given); for "
        "ssh keys set `git config gpg.format ssh` and `git config user.signingkey <key file>`"
    )
    missing = str(tmp_path / "no-such-gpg")
    assert _refusal(repo, gpg_program=missing) == (
        f"signing the tag failed: {missing} is not installed"
    )
    subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)


def test_signing_runs_the_configured_program_and_says_its_last_word(
    repo: Workspace, tmp_path: Path
):
    gpg = _program(tmp_path, "gpg-signer", NOT_UTF8)
    assert _refusal(repo, gpg_program=gpg) == (
        "signing the tag with OpenPGP key 'ada@example.com' failed (no key \ufffd here); for ssh "
        "keys set `git config gpg.format ssh` and `git config user.signingkey <key file>`"
    )
    ssh = _program(tmp_path, "ssh-signer", NOT_UTF8)
    assert _refusal(repo, gpg_format="ssh", user_signingkey="~/id", gpg_ssh_program=ssh) == (
        "signing the tag failed: no key \ufffd here"
    )


def test_a_signer_that_succeeds_without_a_signature_has_failed(repo: Workspace):
    assert _refusal(repo, gpg_program="true") == (
        "signing the tag with OpenPGP key 'ada@example.com' failed (no reason given); for ssh "
        "keys set `git config gpg.format ssh` and `git config user.signingkey <key file>`"
    )
    refused = _refusal(repo, gpg_format="ssh", user_signingkey="~/id", gpg_ssh_program="true")
    assert refused == "signing the tag failed: no reason given"


def test_allowed_gpg_keys_are_imported_with_the_configured_gpg(
    repo: Workspace, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GNUPGHOME", str(tmp_path))  # nothing of the user's is read
    _signed_repo(
        repo,
        run,
        "{environments: [prod], allowed_gpg_keys: .promptreg/keys.asc}",
        {".promptreg/keys.asc": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n"},
    )
    git(repo.root, "config", "gpg.program", _program(tmp_path, "gpg-importer", NOT_UTF8))
    pgp = _forged(repo, 1, PGP_BLOCK)
    assert _reasons(repo) == {pgp: "the allowed OpenPGP keys do not import (no key \ufffd here)"}
