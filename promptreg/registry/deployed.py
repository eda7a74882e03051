"""What release, promote and rollback return, and the gate promote asks, shared by the three
(and by the CLI that prints them): one leaf, so the modules that create tags import it and not
each other. What they raise (`DeployError`, `BatchRefused`, ...) is in promptreg/errors.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from promptreg.registry.tags import Deployment
from promptreg.template.prompt import Prompt

# A gate decides whether `prompt` may replace `current` in an environment: it returns the
# reasons it may not (empty: it may). The evals gate plugs in here.
Gate = Callable[[Prompt, Deployment | None], Sequence[str]]


@dataclass(frozen=True)
class Released:
    name: str
    version: str
    tag: str
    commit: str
    created: bool  # False: that version was already released with the same content
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "created": self.created,
            "note": self.note,
        }


@dataclass(frozen=True)
class Deployed:
    name: str
    env: str
    tag: str | None  # None: nothing was done (already running)
    version: str
    commit: str
    action: str
    previous: str | None
    pushed_to: str | None = None
    attempts: int = 1
    released: Released | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "env": self.env,
            "tag": self.tag,
            "version": self.version,
            "commit": self.commit,
            "action": self.action,
            "previous": self.previous,
            "pushed_to": self.pushed_to,
            "attempts": self.attempts,
            "released": self.released.to_json() if self.released else None,
            "notes": list(self.notes),
        }
