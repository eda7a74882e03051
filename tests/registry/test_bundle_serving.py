"""What a bundle serves and refuses, word for word: each refusal is the one line an operator
reads when a deploy does not start, so it must name the file, the field and what to do. One
real repository and export (test_bundle_integrity's), edited as anyone can edit the file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from promptreg.errors import BundleError, PromptNotFoundError, UsageError, WriteError
from promptreg.registry import Registry
from promptreg.registry.bundle import signature_path
from promptreg.registry.bundle_export import export_bundle
from promptreg.registry.sshsig import MAX_SIGNATURE_BYTES
from tests.registry.test_bundle_integrity import Exported, exported, made, rehash, write

__all__ = ["exported", "made"]  # the module-scoped export, shared with test_bundle_integrity

T = "prompts.triage"


def _message(path: Path, **kwargs: Any) -> str:
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(path, **kwargs)
    return str(err.value)


def _edited(exported: Exported, edit: Any) -> Path:
    """A copy of the unsigned export, its triage entry edited and the integrity recomputed."""
    data = exported.data(exported.signed)  # the same export, never edited here
    edit(data["prompts"]["triage"])
    return write(exported.bundle, rehash(data))


def test_what_a_bundle_does_not_hold_word_for_word(exported: Exported):
    bundle = Registry.from_bundle(exported.bundle)
    path = exported.bundle
    assert (bundle.environment, bundle.path) == ("dev", path)
    assert bundle.created_at == exported.data()["created_at"]
    with pytest.raises(PromptNotFoundError) as err:
        bundle.get("nope")
    assert str(err.value) == f"nope is not in the bundle {path} (dev, 2 prompts)"
    for selector in ("triage@prod", "triage@1.0.0"):
        with pytest.raises(PromptNotFoundError) as err:
            bundle.get(selector)
        assert str(err.value) == (
            f"{selector}: the bundle {path} holds only what dev runs (triage 1.1.0)"
        )
    with pytest.raises(UsageError) as usage:
        bundle.get_all("prod")
    assert str(usage.value) == f"the bundle {path} holds dev, not prod"
    for selector in ("triage", "triage@dev", "triage@1.1.0", "triage@v1.1.0"):
        assert bundle.get(selector).version == "1.1.0", selector
    everything = bundle.get_all("dev")
    assert {n: p.version for n, p in everything.items()} == {
        "support/reply": "1.0.0",
        "triage": "1.1.0",
    }
    everything.clear()  # a copy: the bundle still serves both
    assert len(bundle.get_all("dev")) == 2
    bundle.close()


def test_a_bundle_served_is_the_deployment_the_repository_runs(exported: Exported):
    bundle = Registry.from_bundle(exported.bundle)
    bundle.check()
    with Registry(exported.ws.root) as live:
        for name in ("triage", "support/reply"):
            mine, theirs = bundle.get(name), live.get(f"{name}@dev")
            assert mine.deployment == theirs.deployment
            assert mine.revision == theirs.revision
            assert (mine.name, mine.version, mine.content_hash) == (
                theirs.name,
                theirs.version,
                theirs.content_hash,
            )


def test_signature_refusals_word_for_word(exported: Exported, tmp_path: Path):
    path, allowed = exported.signed, exported.allowed
    with pytest.raises(UsageError) as usage:
        Registry.from_bundle(path, signer="ada@example.com")
    assert str(usage.value) == "signer= needs allowed_signers= (the keys to check it against)"
    missing = tmp_path / "no-allowed"
    assert _message(path, allowed_signers=missing) == f"{missing}: allowed-signers file not found"
    assert _message(exported.bundle, allowed_signers=allowed) == (
        f"{exported.bundle}: unsigned: no signature {exported.bundle.name}.sig next to it, and "
        f"allowed signers {allowed} were given"
    )
    sig = signature_path(path)
    good = sig.read_bytes()
    with pytest.raises(BundleError) as err:  # signed, but not by the principal asked for
        Registry.from_bundle(path, allowed_signers=allowed, signer="mallory@example.com")
    assert str(err.value).startswith(f"{path}: signature refused: ")
    sig.write_bytes(b"x" * (MAX_SIGNATURE_BYTES + 1))
    assert _message(path, allowed_signers=allowed) == (
        f"{path}: signature file is {MAX_SIGNATURE_BYTES + 1:,} bytes: not a signature"
    )
    sig.unlink()
    sig.symlink_to("/proc/self/smaps")  # a file that says it is empty, then reads on and on
    assert len(Path("/proc/self/smaps").read_bytes()) > MAX_SIGNATURE_BYTES
    assert _message(path, allowed_signers=allowed) == (
        f"{path}: signature file is too large: not a signature"
    )
    sig.unlink()
    sig.write_bytes(b"x" * MAX_SIGNATURE_BYTES)  # at the limit: read, and refused as garbage
    assert _message(path, allowed_signers=allowed).startswith(f"{path}: signature refused: ")
    sig.unlink()
    sig.mkdir()  # not a file
    assert _message(path, allowed_signers=allowed) == (
        f"cannot read {sig}: not a regular file (a FIFO, device or socket)"
    )
    sig.rmdir()
    sig.write_bytes(good)
    assert Registry.from_bundle(path, allowed_signers=allowed).signed_by == "ada@example.com"


def test_a_prompt_that_disagrees_with_its_record_word_for_word(exported: Exported):
    data = exported.data()["prompts"]["triage"]
    actual = data["content_hash"]
    zero, one = "sha256:" + "0" * 64, "sha256:" + "1" * 64
    cases: list[tuple[Any, str]] = [
        (
            lambda e: e.update(content_hash=zero),
            f"{T}.content_hash: content hash is {actual} but the bundle records {zero}: the "
            "bundle was modified after export; re-export it",
        ),
        (
            lambda e: e["deployment"].update(content_hash=one),
            f"{T}.deployment.content_hash: {one!r} disagrees with content_hash {actual!r} "
            "(under either hash scheme)",
        ),
        (
            lambda e: e.update(version="9.9.9") or e["deployment"].update(version="9.9.9"),
            f"{T}.version: the file says version 1.1.0, the bundle 9.9.9",
        ),
        (
            lambda e: e.update(source="no front-matter\n"),
            f"{T}: the prompt file is invalid: PR002 no front-matter: a prompt file starts "
            "with a `---` line, then YAML, then `---`",
        ),
        (
            lambda e: e["partials"].update({"partials/tone.j2": "{% if %}"}),
            f"{T}.content_hash: content hash is ",
        ),
    ]
    for edit, refusal in cases:
        path = _edited(exported, edit)
        message = _message(path)
        assert message.startswith(f"{path}: {refusal}"), message
        assert message == f"{path}: {refusal}" or refusal.endswith(" ")


def test_template_refusals_name_the_prompt_and_the_partial(exported: Exported):
    from promptreg.registry.bundle import content_hash_of

    def rehashed(entry: dict[str, Any]) -> None:
        from promptreg.frontmatter._yaml import read_yaml

        front, body = entry["source"].split("---\n", 2)[1:]
        entry["content_hash"] = entry["deployment"]["content_hash"] = content_hash_of(
            body, entry["partials"], read_yaml(front).data
        )

    for edit, refusal in [
        (lambda e: e["partials"].update({"partials/extra.j2": "x"}), "'partials/extra.j2'"),
        (lambda e: e["partials"].update({"a.j2": "x", "b.j2": "y"}), "'a.j2'"),
        (lambda e: e["partials"].update({"z.j2": "x"}), "'z.j2'"),  # not the first listed
    ]:
        path = _edited(exported, lambda e, edit=edit: (edit(e), rehashed(e)))
        bundle = Registry.from_bundle(path)  # loads: templates compile on first use
        bundle.get("support/reply")  # another prompt is served meanwhile
        with pytest.raises(BundleError) as err:
            bundle.get("triage")
        assert str(err.value) == (
            f"{path}: {T}.partials: the partials listed are not those the template includes "
            f"({refusal})"
        )
        with pytest.raises(BundleError) as checked:
            Registry.from_bundle(path).check()  # every template at once, as verify-bundle does
        assert str(checked.value) == str(err.value)
    path = _edited(exported, lambda e: (e["partials"].clear(), rehashed(e)))
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(path).get("triage")
    assert str(err.value) == (
        f"{path}: {T}: the template does not compile: {path}:triage:14: PR043 included "
        "template 'partials/tone.j2' not found under prompts/"
    )
    path = _edited(
        exported,
        lambda e: (e.update(source=e["source"].replace("{% include", "{% if %}{% include")),
                   rehashed(e)),
    )  # fmt: skip
    with pytest.raises(BundleError) as err:
        Registry.from_bundle(path).get("triage")
    assert str(err.value).startswith(f"{path}: {T}: the template does not compile: ")


# -- export --------------------------------------------------------------------------------------


def test_export_says_what_it_wrote_and_keeps_the_file_readable(exported: Exported, tmp_path):
    out = tmp_path / "b.json"
    stale = signature_path(out)
    stale.write_text("an earlier export's signature\n", encoding="utf-8")
    with Registry(exported.ws.root) as reg:
        done = export_bundle(reg, "dev", out)
    assert (done.output, done.environment, done.prompts) == (out, "dev", 2)
    assert (done.signature, done.removed_signature) == (None, stale)
    assert not stale.exists()
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    # a reviewer diffs bundles: one key order, one value a line, text as written, a final newline
    assert text == json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    with Registry(exported.ws.root) as reg:
        done = export_bundle(reg, "dev", out, sign_key=exported.key)
    assert (done.signature, done.removed_signature) == (stale, None)
    assert Registry.from_bundle(out, allowed_signers=exported.allowed).signed_by


def test_export_that_cannot_sign_writes_nothing(exported: Exported, tmp_path: Path):
    where = tmp_path / "export"
    where.mkdir()
    out, key = where / "b.json", tmp_path / "no-key"
    with Registry(exported.ws.root) as reg, pytest.raises(BundleError) as err:
        export_bundle(reg, "dev", out, sign_key=key)
    assert str(err.value) == f"cannot sign the bundle: {key}: signing key not found"
    assert list(where.iterdir()) == []


def test_export_refuses_to_leave_a_signature_it_cannot_remove(exported: Exported, tmp_path):
    out = tmp_path / "b.json"
    signature_path(out).mkdir()  # what is there cannot be unlinked
    with Registry(exported.ws.root) as reg, pytest.raises(WriteError) as err:
        export_bundle(reg, "dev", out)
    assert str(err.value) == (
        f"{signature_path(out)}: cannot remove the signature of an earlier export: Is a "
        "directory; it no longer matches the bundle"
    )


def test_an_export_is_dated_in_utc_whatever_the_machine_zone(
    exported: Exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import time
    from datetime import UTC, datetime, timedelta

    before = os.environ.get("TZ")
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: never the same hour as UTC
    time.tzset()
    try:
        assert time.localtime().tm_gmtoff == 14 * 3600
        with Registry(exported.ws.root) as reg:
            export_bundle(reg, "dev", tmp_path / "b.json")
    finally:
        if before is None:
            monkeypatch.delenv("TZ")
        else:
            monkeypatch.setenv("TZ", before)
        time.tzset()
    created = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["created_at"]
    stamp = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


def test_an_exported_prompt_reads_as_written(repo, run, tmp_path: Path):
    """Text in the bundle as in the prompt file (UTF-8, not \\u escapes): a reviewer reads and
    diffs what production will send."""
    from tests.conftest import VALID_PROMPT, commit

    repo.prompt(
        "triage", VALID_PROMPT.replace("You triage tickets.", "Vous triez les tickets — é.")
    )
    commit(repo, "en français")
    assert run("promote", "triage", "--to", "dev").code == 0
    out = tmp_path / "b.json"
    with Registry(repo.root) as reg:
        export_bundle(reg, "dev", out)
    assert "Vous triez les tickets — é." in out.read_text(encoding="utf-8")
