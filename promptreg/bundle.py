"""Bundles: every prompt one environment runs, in one JSON file, for deploys without `.git`.

`promptreg export --env prod -o prompts.lock.json` writes it; `Registry.from_bundle(path)`
serves the same `get` / `get_all` API from it. Each prompt carries its file, the partials it
includes, the content hash recorded at promotion and an integrity hash of the exact text;
loading recomputes both and refuses the whole bundle if one differs, so a hand-edited or
corrupted bundle never serves a prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptreg._atomic import atomic_write
from promptreg.errors import PromptFileError, PromptNotFoundError, PromptregError, UsageError
from promptreg.loader import load_light
from promptreg.prompt import Prompt
from promptreg.selectors import parse_selector
from promptreg.tags import Deployment
from promptreg.templating import TemplateEnv, content_hash

if TYPE_CHECKING:
    from promptreg.registry import Registry

FORMAT = "promptreg-bundle/1"


class BundleError(PromptregError):
    """A bundle that cannot be trusted or read."""


def build_bundle(registry: Registry, env: str) -> dict[str, Any]:
    """The bundle of everything deployed to `env`."""
    prompts: dict[str, Any] = {}
    for name, prompt in registry.get_all(env).items():
        deployment = prompt.deployment
        assert deployment is not None and prompt.revision is not None
        path = deployment.path or registry.prompt_path(name)
        data = registry.store.read(prompt.revision, path)
        assert data is not None
        source = data.decode("utf-8")
        partials = prompt.partial_sources()
        prompts[name] = {
            "integrity": _integrity(source, partials),
            "version": prompt.version,
            "content_hash": prompt.content_hash,
            "tag": deployment.tag,
            "commit": prompt.revision,
            "path": path,
            "deployment": deployment.to_json(),
            "source": source,
            "partials": partials,
        }
    return {
        "format": FORMAT,
        "environment": env,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "prompts": prompts,
    }


def write_bundle(bundle: Mapping[str, Any], output: Path) -> None:
    text = json.dumps(bundle, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write(output, text.encode("utf-8"))


class BundleRegistry:
    """The runtime API over a bundle: `get("name")`, `get("name@<env>")`, `get_all(env)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        shown = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleError("bundle not found", path=shown) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BundleError(f"not a promptreg bundle (invalid JSON: {err})", path=shown) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BundleError(f"not a promptreg bundle (expected format {FORMAT})", path=shown)
        self.environment: str = data["environment"]
        self.created_at: str | None = data.get("created_at")
        self._prompts = {
            name: _load_entry(shown, name, entry) for name, entry in data["prompts"].items()
        }

    def get(self, selector: str) -> Prompt:
        sel = parse_selector(selector, (self.environment,))
        prompt = self._prompts.get(sel.name)
        if prompt is None:
            raise PromptNotFoundError(
                f"{sel.name} is not in the bundle {self.path} ({self.environment}, "
                f"{len(self._prompts)} prompts)"
            )
        if sel.kind == "tree" or (sel.kind == "env" and sel.ref == self.environment):
            return prompt
        if sel.kind == "version" and sel.ref == prompt.version:
            return prompt
        raise PromptNotFoundError(
            f"{selector}: the bundle {self.path} holds only what {self.environment} runs "
            f"({sel.name} {prompt.version})"
        )

    def get_all(self, env: str) -> dict[str, Prompt]:
        if env != self.environment:
            raise UsageError(f"the bundle {self.path} holds {self.environment}, not {env}")
        return dict(self._prompts)

    def close(self) -> None:
        """Nothing to release; here so a bundle can stand in for a `Registry`."""


def _load_entry(shown: str, name: str, entry: Any) -> Prompt:
    where = name
    try:
        source: str = entry["source"]
        partials: dict[str, str] = dict(entry.get("partials", {}))
        recorded: str = entry["content_hash"]
        integrity: str = entry["integrity"]
        path = Path(entry["path"])
        deployment_data: dict[str, Any] = entry["deployment"]
    except (KeyError, TypeError):
        raise BundleError(f"{where}: entry is incomplete", path=shown) from None

    if _integrity(source, partials) != integrity:
        raise BundleError(
            f"{where}: the file or its partials were modified after export (integrity "
            "check failed); re-export the bundle",
            path=shown,
        )

    def read(partial: str) -> str:
        if partial not in partials:
            raise FileNotFoundError(partial)
        return partials[partial]

    env = TemplateEnv(Path("prompts"), read)
    try:
        prompt = load_light(
            source.encode("utf-8"),
            path=path,
            name=name,
            shown=f"{shown}:{name}",
            env=env,
            content_hash=recorded,
        )
    except PromptFileError as err:
        raise BundleError(f"{where}: {err.message}", path=shown) from None
    actual = content_hash(prompt.body, partials, front_matter=prompt.spec.raw)
    if actual != recorded:
        raise BundleError(
            f"{where}: content hash is {actual} but the bundle records {recorded}: "
            "the bundle was modified after export; re-export it",
            path=shown,
        )
    prompt.revision = entry.get("commit")
    return prompt.with_deployment(_deployment(deployment_data))


def _deployment(data: Mapping[str, Any]) -> Deployment:
    return Deployment(
        name=data["name"],
        env=data["env"],
        seq=int(data["seq"]),
        tag=data["tag"],
        commit=data["commit"],
        action=data["action"],
        version=data["version"],
        content_hash=data.get("content_hash"),
        path=data.get("path"),
        previous=data.get("previous"),
        reason=data.get("reason"),
        forced=bool(data.get("forced")),
        scores=dict(data.get("scores") or {}),
        tagger=data.get("tagger", ""),
        date=data.get("date", ""),
    )


def _integrity(source: str, partials: Mapping[str, str]) -> str:
    """`sha256:` over the exact file text and partials: guards what the content hash does not
    cover (the sample, inputs, budget), so no byte of a bundle can change unnoticed."""
    canonical = json.dumps({"source": source, "partials": dict(partials)}, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
