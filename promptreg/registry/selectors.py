"""Selectors name a prompt and, after `@`, which of its versions:

- `name`            the working tree;
- `name@prod`       an environment from promptreg.yaml: its newest deployment;
- `name@1.4.0`      a released version (`name@v1.4.0` too);
- `name@HEAD~2`     any git revision: a commit id, a branch, `HEAD~2`, a tag.

Environments win over revisions of the same spelling, versions over branches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from promptreg.errors import UsageError
from promptreg.names import name_problem

_VERSION = re.compile(r"v?([0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]*)?)\Z")  # ASCII digits


@dataclass(frozen=True)
class Selector:
    name: str
    kind: str  # tree | env | version | rev
    ref: str | None = None  # the environment, the version (no "v") or the revision

    def __str__(self) -> str:
        return self.name if self.ref is None else f"{self.name}@{self.ref}"


def parse_selector(text: str, environments: Sequence[str]) -> Selector:
    """Parse `name[@ref]`. Raises UsageError for a malformed one."""
    name, at, ref = text.partition("@")
    problem = name_problem(name)
    if problem:
        raise UsageError(f"{text!r}: {problem}")
    if not at:
        return Selector(name, "tree")
    if not ref:
        raise UsageError(f"{text!r}: nothing after `@`; try {name}@{environments[-1]}")
    if ref in environments:
        return Selector(name, "env", ref)
    version = _VERSION.match(ref)
    if version:
        return Selector(name, "version", version.group(1))
    return Selector(name, "rev", ref)
