"""What `promptreg site` keeps between runs, so that regenerating after one promotion costs
what changed, not the whole registry: the verdict on every deployment and release tag, and
for every prompt page the fingerprint of what it was built from.

A verdict is a fact about immutable objects (a tag object and the commit it names) under a
policy (promptreg.yaml, promptreg's code), so it is kept by (ref, object id) under the hash of
that policy. With `signing:` configured nothing is kept: a signature's verdict also depends
on the allowed signers, which change. A page is kept when its fingerprint (the prompt file,
every partial, its tags, the policy, the base URL) is what it was and the file in the output
directory is the one written then (inode, size, mtime). Pages of prompts with an `evals:`
block are always rebuilt: their freshness depends on dataset files outside the fingerprint.

Like the code cache, this file is a trust boundary (a verdict says which deployments count):
it is stored with an HMAC under the per-user key (`codecache.secret_key`) and ignored when the
MAC does not verify or there is no key; then the site is built from scratch, never wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from promptreg._atomic import atomic_write
from promptreg.codecache import code_cache_for, secret_key
from promptreg.errors import PromptregError
from promptreg.registry.runtime import Registry
from promptreg.registry.tags import Deployment
from promptreg.registry.verdicts import Rejected, Release, Verdict

FORMAT = 1
MAX_BYTES = 256 << 20  # a cache larger than this is not ours: ignored


def _code_hash() -> str:
    """promptreg's own code: a change to how tags are judged or pages built invalidates all."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class SiteCache:
    """The verdicts and page fingerprints of one output directory."""

    def __init__(self, path: Path | None, key: bytes | None, policy: str) -> None:
        self.path = path
        self._key = key
        self.policy = policy
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.releases: dict[str, list[str | None]] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self._used: set[str] = set()
        self._used_releases: set[str] = set()

    @property
    def enabled(self) -> bool:
        return self.path is not None and self._key is not None

    @classmethod
    def open(cls, registry: Registry, out: Path, base_url: str | None) -> SiteCache:
        project = registry.project
        config = project.root / "promptreg.yaml"
        try:
            config_bytes = config.read_bytes()
        except OSError:
            config_bytes = b""
        policy = hashlib.sha256(
            json.dumps([FORMAT, _code_hash(), config_bytes.hex(), base_url]).encode()
        ).hexdigest()
        cache = code_cache_for(registry.store.root)
        key = secret_key()
        if cache is None or key is None or project.config.signing.environments:
            return cls(None, None, policy)
        where = hashlib.sha256(os.fsencode(os.path.abspath(out))).hexdigest()[:16]
        self = cls(cache.directory.parent / "site" / f"{where}.json", key, policy)
        self._load()
        return self

    def _load(self) -> None:
        assert self.path is not None and self._key is not None
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError:
            return
        mac, _, body = data.partition(b"\n")
        if len(data) > MAX_BYTES or not hmac.compare_digest(mac, self._mac(body)):
            return
        try:
            doc = json.loads(body)
        except ValueError:
            return
        if not isinstance(doc, dict) or doc.get("policy") != self.policy:
            return
        self.verdicts = doc.get("verdicts", {})
        self.releases = doc.get("releases", {})
        self.pages = doc.get("pages", {})

    def _mac(self, body: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, body, hashlib.sha256).hexdigest().encode()

    # -- verdicts ------------------------------------------------------------------------------

    def verdict(self, ref: str, obj: str) -> Verdict | None:
        found = self.verdicts.get(f"{ref}\0{obj}")
        if found is None:
            return None
        self._used.add(f"{ref}\0{obj}")
        if "deployment" in found:
            return Deployment(**found["deployment"])
        return Rejected(**found["rejected"])

    def keep_verdict(self, ref: str, obj: str, verdict: Verdict) -> None:
        kind = "deployment" if isinstance(verdict, Deployment) else "rejected"
        self.verdicts[f"{ref}\0{obj}"] = {kind: _plain(asdict(verdict))}
        self._used.add(f"{ref}\0{obj}")

    def release(self, ref: str, obj: str) -> Release | None:
        found = self.releases.get(f"{ref}\0{obj}")
        if found is None:
            return None
        self._used_releases.add(f"{ref}\0{obj}")
        return Release(ref, found[0], found[1])

    def keep_release(self, ref: str, obj: str, release: Release) -> None:
        self.releases[f"{ref}\0{obj}"] = [release.commit, release.problem]
        self._used_releases.add(f"{ref}\0{obj}")

    # -- pages ---------------------------------------------------------------------------------

    def page(self, name: str, fingerprint: str, file: Path) -> dict[str, Any] | None:
        """The summary kept for `name`'s page, if it was built from `fingerprint` and `file`
        is still the file written then."""
        found = self.pages.get(name)
        if not found or found.get("key") != fingerprint:
            return None
        try:
            info = file.lstat()
        except OSError:
            return None
        if [info.st_ino, info.st_size, info.st_mtime_ns] != found.get("stat"):
            return None
        summary = found.get("summary")
        return summary if isinstance(summary, dict) else None

    def save(self, out: Path, built: dict[str, tuple[str, dict[str, Any], str]]) -> None:
        """Record the pages of this run (name → fingerprint, summary, page path) as written
        into `out`, and the verdicts used; nothing stale is kept."""
        if not self.enabled:
            return
        assert self.path is not None
        pages: dict[str, dict[str, Any]] = {}
        for name, (fingerprint, summary, rel) in built.items():
            try:
                info = (out / rel).lstat()
            except OSError:
                continue
            stat = [info.st_ino, info.st_size, info.st_mtime_ns]
            pages[name] = {"key": fingerprint, "stat": stat, "summary": summary}
        doc = {
            "policy": self.policy,
            "verdicts": {k: v for k, v in self.verdicts.items() if k in self._used},
            "releases": {k: v for k, v in self.releases.items() if k in self._used_releases},
            "pages": pages,
        }
        body = json.dumps(doc, separators=(",", ":"), default=str).encode()
        with contextlib.suppress(PromptregError):  # unwritten: the next run is only slower
            atomic_write(self.path, self._mac(body) + b"\n" + body)


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """A dataclass's fields as JSON keeps them (mappings as dicts, tuples as lists)."""
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]


def fingerprint(parts: list[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()
