"""What a hook returns: its findings, and the files it fixed."""

from __future__ import annotations

from dataclasses import dataclass, field

from promptreg.findings import Finding


@dataclass(frozen=True)
class Fixed:
    """A file a hook rewrote (`--fix`), and what it changed, in words."""

    path: str
    what: str


@dataclass(frozen=True)
class HookReport:
    """A hook's result: `ok` when there is nothing to report. A fix counts as a failure, as
    pre-commit's fixers do: the fixed file must be looked at and staged again."""

    checked: int
    findings: list[Finding] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.is_warning for f in self.findings) and not self.fixed
