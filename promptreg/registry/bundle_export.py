"""Exporting a bundle: everything one environment runs, read through the registry, written as
one JSON file (and, with a key, its `.sig`), loaded back first so export never writes a bundle
that would be refused. What protects a bundle, and how it is served: bundle.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptreg._atomic import atomic_write
from promptreg.errors import BundleError, SignatureError, WriteError
from promptreg.registry.bundle import (
    NAMESPACE,
    check_bundle,
    content_hash_of,
    load_bundle,
    records_hash,
    signature_path,
)
from promptreg.registry.bundle_read import FORMAT, integrity
from promptreg.registry.sshsig import sign
from promptreg.registry.tags import Deployment

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry


def build_bundle(registry: Registry, env: str) -> dict[str, Any]:
    """The bundle of everything deployed to `env`, integrity hash included. It is loaded back
    before it is returned, so export never writes a bundle that would be refused."""
    prompts: dict[str, Any] = {}
    for name, prompt in sorted(registry.get_all(env).items()):
        deployment = prompt.deployment
        if deployment is None or prompt.revision is None:
            raise BundleError(f"{name}: not resolved through a deployment; cannot export it")
        path = deployment.path or registry.prompt_path(name)
        data = registry.store.read(prompt.revision, path)
        if data is None:
            raise BundleError(f"{name}: {path} does not exist at {prompt.revision[:12]}")
        partials = prompt.partial_sources()
        actual = content_hash_of(prompt.body, partials, prompt.spec.raw, prompt.spec.dialect)
        if not records_hash(
            deployment.content_hash, actual, prompt.body, partials, prompt.spec.raw
        ):
            raise BundleError(
                f"{name}: {deployment.tag} records content hash {deployment.content_hash}, but "
                f"what it deployed hashes to {actual}; promote it again before exporting"
            )
        prompts[name] = {
            "version": prompt.version,
            "content_hash": actual,
            "tag": deployment.tag,
            "commit": prompt.revision,
            "path": path,
            "deployment": _deployment_data(deployment),
            "source": data.decode("utf-8"),
            "partials": partials,
        }
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "environment": env,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prompts": prompts,
    }
    bundle["integrity"] = integrity(bundle)
    check_bundle(
        load_bundle(_encode(bundle), "the bundle being exported"), "the bundle being exported"
    )
    return bundle


@dataclass(frozen=True)
class Exported:
    """What `export_bundle` wrote."""

    output: Path
    environment: str
    prompts: int
    signature: Path | None  # `<output>.sig` when signed
    removed_signature: Path | None  # a stale `<output>.sig` of an earlier export, removed


def export_bundle(
    registry: Registry, env: str, output: Path, *, sign_key: Path | None = None
) -> Exported:
    """Write the bundle of `env` to `output` atomically; with `sign_key` (an ssh private key
    file), sign it and write `<output>.sig`. An unsigned export removes a `<output>.sig` left
    by an earlier signed one, which would no longer match."""
    bundle = build_bundle(registry, env)
    data = _encode(bundle)
    sig_path = signature_path(output)
    signature = None
    if sign_key is not None:
        try:
            signature = sign(data, key=sign_key, namespace=NAMESPACE)
        except SignatureError as err:
            raise BundleError(f"cannot sign the bundle: {err}") from None
    atomic_write(output, data)
    removed = None
    if signature is not None:
        atomic_write(sig_path, signature)
    elif sig_path.exists():
        try:
            sig_path.unlink()
            removed = sig_path
        except FileNotFoundError:
            pass
        except OSError as err:
            raise WriteError(
                f"cannot remove the signature of an earlier export: {err.strerror or err}; "
                "it no longer matches the bundle",
                path=str(sig_path),
            ) from None
    return Exported(output, env, len(bundle["prompts"]), sig_path if signature else None, removed)


def _encode(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _deployment_data(d: Deployment) -> dict[str, Any]:
    """The deployment block, field by field (not `Deployment.to_json()`, whose shape belongs to
    `history --json`): the bundle reader checks exactly these keys."""
    extra = {k: v for k, v in d.extra.items() if _is_json(v)}
    return {
        "name": d.name,
        "env": d.env,
        "seq": d.seq,
        "tag": d.tag,
        "date": d.date,
        "at": d.at,
        "tagger": d.tagger,
        "action": d.action,
        "version": d.version,
        "content_hash": d.content_hash,
        "commit": d.commit,
        "path": d.path,
        "previous": d.previous,
        "reason": d.reason,
        "forced": d.forced,
        "scores": dict(d.scores),
        "extra": extra,
    }


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
