"""Bundles: every prompt one environment runs, in one JSON file, for deploys without `.git`.

`promptreg export --env prod -o prompts.lock.json [--sign KEY]` writes it (bundle_export.py);
`Registry.from_bundle(path, allowed_signers=...)` serves the same `get` / `get_all` API from it
(this module, over the bounded strict reader of bundle_read.py).

What protects a bundle, and against whom:

- **Integrity** (always): a `sha256:` over a canonical form of the whole bundle (every prompt's
  file and partials, version, content hash, commit, path, the deployment block, the
  environment, the creation time). Loading recomputes it, and also recomputes each prompt's
  content hash from its text, and refuses the whole bundle on any difference. This catches
  corruption and truncation; it is *not* a defence against tampering, since whoever can edit
  the file can recompute a plain hash.
- **Signature** (with `--sign`): `ssh-keygen -Y sign -n promptreg-bundle` over the bundle's
  exact bytes, stored next to it as `<bundle>.sig`. With `allowed_signers`, loading refuses a
  bundle that is unsigned, signed by a key not in that file, or changed after signing: only a
  key holder can produce a bundle that loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptreg.errors import (
    BundleError,
    PromptFileError,
    PromptNotFoundError,
    PromptregError,
    SignatureError,
    UsageError,
)
from promptreg.names import strip_suffix
from promptreg.project.loader import load_light
from promptreg.registry.bundle_read import Entry, parse_bundle, read_capped
from promptreg.registry.selectors import parse_selector
from promptreg.registry.sshsig import MAX_SIGNATURE_BYTES, verify
from promptreg.template.content_hash import content_hash, legacy_content_hash
from promptreg.template.environment import TemplateEnv
from promptreg.template.prompt import Prompt
from promptreg.template.sources import read_regular

if TYPE_CHECKING:
    pass

NAMESPACE = "promptreg-bundle"


def signature_path(bundle: Path) -> Path:
    """Where the detached signature of `bundle` lives: `<bundle>.sig`."""
    return bundle.with_name(bundle.name + ".sig")


def content_hash_of(
    body: str,
    partials: Mapping[str, str],
    front_matter: Mapping[str, Any],
    dialect: str | None = None,
) -> str:
    """A bundled prompt's content hash, over the partials the bundle lists (no template is
    compiled): the one call into `environment.content_hash`, so its scheme lives in one place."""
    return content_hash(body, dict(partials), front_matter=front_matter, dialect=dialect)


def records_hash(
    recorded: str | None,
    actual: str,
    body: str,
    partials: Mapping[str, str],
    front_matter: Mapping[str, Any],
) -> bool:
    """Whether a deployment's recorded hash names this content: absent (tags older than
    recorded hashes), the current scheme's, or scheme 1's (deployments made by earlier
    releases, as `Prompt.has_content_hash` accepts them)."""
    if recorded is None or recorded == actual:
        return True
    return recorded == legacy_content_hash(body, dict(partials), front_matter.get("model"))


class BundleRegistry:
    """The runtime API over a bundle: `get("name")`, `get("name@<env>")`, `get_all(env)`.

    Opening checks the signature (with `allowed_signers`), the integrity hash, the schema,
    each prompt's front-matter and its content hash recomputed from its text; a template
    compiles on its first `get` (`check()` compiles them all). `signed_by` is the principal
    whose signature was verified, or None when no `allowed_signers` was given (then only
    integrity was checked)."""

    def __init__(
        self,
        path: Path,
        *,
        allowed_signers: Path | None = None,
        signer: str | None = None,
    ) -> None:
        self.path = path
        shown = str(path)
        raw = read_capped(path)
        self.signed_by: str | None = None
        if allowed_signers is not None:
            if not allowed_signers.is_file():
                raise BundleError("allowed-signers file not found", path=str(allowed_signers))
            self.signed_by = _verify_signature(path, raw, allowed_signers, signer)
        elif signer is not None:
            raise UsageError("signer= needs allowed_signers= (the keys to check it against)")
        self._loaded = load_bundle(raw, shown)
        self.environment = self._loaded.environment
        self.created_at = self._loaded.created_at
        self._prompts = self._loaded.prompts
        self._compiled: set[str] = set()

    def check(self) -> None:
        """Compile every template now and check its partials (what `get` does for one prompt
        on first use): `verify-bundle` and `export` run this."""
        check_bundle(self._loaded, str(self.path))
        self._compiled.update(self._prompts)

    def get(self, selector: str) -> Prompt:
        sel = parse_selector(selector, (self.environment,))
        prompt = self._prompts.get(sel.name)
        if prompt is None:
            raise PromptNotFoundError(
                f"{sel.name} is not in the bundle {self.path} ({self.environment}, "
                f"{len(self._prompts)} prompts)"
            )
        if sel.kind == "tree" or (sel.kind == "env" and sel.ref == self.environment):
            return self._compile(prompt)
        if sel.kind == "version" and sel.ref == prompt.version:
            return self._compile(prompt)
        raise PromptNotFoundError(
            f"{selector}: the bundle {self.path} holds only what {self.environment} runs "
            f"({sel.name} {prompt.version})"
        )

    def _compile(self, prompt: Prompt) -> Prompt:
        """Compile on first `get`, as `Registry.get` does: a broken template fails here, not
        mid-request."""
        if prompt.name not in self._compiled:
            _check_template(prompt, self._loaded.partials[prompt.name], str(self.path))
            self._compiled.add(prompt.name)
        return prompt

    def get_all(self, env: str) -> dict[str, Prompt]:
        """Every prompt of the bundle; templates compile on first render."""
        if env != self.environment:
            raise UsageError(f"the bundle {self.path} holds {self.environment}, not {env}")
        return dict(self._prompts)

    def close(self) -> None:
        """Nothing to release; here so a bundle can stand in for a `Registry`."""


def _verify_signature(path: Path, raw: bytes, allowed_signers: Path, signer: str | None) -> str:
    sig_path = signature_path(path)
    try:
        size = sig_path.stat().st_size
        if size > MAX_SIGNATURE_BYTES:
            raise BundleError(f"signature file is {size:,} bytes: not a signature", path=str(path))
        signature = read_regular(sig_path, MAX_SIGNATURE_BYTES)
        if len(signature) > MAX_SIGNATURE_BYTES:  # it grew after the stat
            raise BundleError("signature file is too large: not a signature", path=str(path))
    except FileNotFoundError:
        raise BundleError(
            f"unsigned: no signature {sig_path.name} next to it, and allowed signers "
            f"{allowed_signers} were given",
            path=str(path),
        ) from None
    except OSError as err:
        raise BundleError(f"cannot read {sig_path}: {err.strerror or err}") from None
    try:
        return verify(
            raw, signature, allowed_signers=allowed_signers, namespace=NAMESPACE, principal=signer
        )
    except SignatureError as err:
        raise BundleError(f"signature refused: {err}", path=str(path)) from None


def load_bundle(raw: bytes, shown: str) -> LoadedBundle:
    data = parse_bundle(raw, shown)
    prompts = {entry.name: _prompt(entry, shown) for entry in data.entries}
    listed = {entry.name: entry.partials for entry in data.entries}
    return LoadedBundle(data.environment, data.created_at, prompts, listed)


@dataclass(frozen=True)
class LoadedBundle:
    environment: str
    created_at: str
    prompts: dict[str, Prompt]
    partials: dict[str, dict[str, str]]  # as listed in the bundle, by prompt


def check_bundle(loaded: LoadedBundle, shown: str) -> None:
    for name, prompt in sorted(loaded.prompts.items()):
        _check_template(prompt, loaded.partials[name], shown)


def _prompt(entry: Entry, shown: str) -> Prompt:
    """The entry's prompt, its front-matter checked and its content hash recomputed from its
    own text and partials. The template compiles on first `get` (or in `check`)."""
    where = f"prompts.{entry.name}"
    partials = entry.partials

    def read(partial: str) -> str:
        if partial not in partials:
            raise FileNotFoundError(partial)
        return partials[partial]

    prompts_dir = strip_suffix(entry.path)[: -len(entry.name)].rstrip("/")
    env = TemplateEnv(Path(prompts_dir or "."), read)
    try:
        prompt = load_light(
            entry.source.encode("utf-8"),
            path=Path(entry.path),
            name=entry.name,
            shown=f"{shown}:{entry.name}",
            env=env,
            content_hash=entry.content_hash,  # stands only once `actual` below agrees
        )
        actual = content_hash_of(prompt.body, partials, prompt.spec.raw, prompt.spec.dialect)
    except PromptFileError as err:
        first = err.findings[0]
        raise BundleError(
            f"the prompt file is invalid: {first.code} {first.message}", path=shown, field=where
        ) from None
    except (PromptregError, RecursionError, UnicodeEncodeError, ValueError) as err:
        raise BundleError(f"the prompt cannot be loaded: {err}", path=shown, field=where) from None
    if actual != entry.content_hash:
        raise BundleError(
            f"content hash is {actual} but the bundle records {entry.content_hash}: "
            "the bundle was modified after export; re-export it",
            path=shown,
            field=f"{where}.content_hash",
        )
    recorded = entry.deployment.content_hash
    if not records_hash(recorded, actual, prompt.body, partials, prompt.spec.raw):
        raise BundleError(
            f"{recorded!r} disagrees with content_hash {actual!r} (under either hash scheme)",
            path=shown,
            field=f"{where}.deployment.content_hash",
        )
    if prompt.version != entry.version:
        raise BundleError(
            f"the file says version {prompt.version}, the bundle {entry.version}",
            path=shown,
            field=f"{where}.version",
        )
    prompt.revision = entry.commit
    return prompt.with_deployment(entry.deployment)


def _check_template(prompt: Prompt, listed: Mapping[str, str], shown: str) -> None:
    """Compile `prompt` and check that the partials the bundle lists (which its content hash
    covers) are exactly the ones its template includes."""
    where = f"prompts.{prompt.name}"
    try:
        _ = prompt.template
        included = prompt.partial_sources()
    except (PromptregError, RecursionError, ValueError) as err:
        raise BundleError(
            f"the template does not compile: {err}", path=shown, field=where
        ) from None
    if included != dict(listed):
        odd = sorted(set(included) ^ set(listed)) or sorted(listed)
        raise BundleError(
            f"the partials listed are not those the template includes ({odd[0]!r})",
            path=shown,
            field=f"{where}.partials",
        )
