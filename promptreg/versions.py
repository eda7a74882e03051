"""Semantic versions: parse, compare (semver 2.0 precedence) and bump."""

from __future__ import annotations

from functools import total_ordering

from promptreg._lazyre import lazy_pattern

SEMVER = lazy_pattern(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)


def is_semver(text: str) -> bool:
    """Whether `text` is a semantic version (`SEMVER`). A plain MAJOR.MINOR.PATCH is checked
    without the pattern, whose compilation costs ~0.3 ms of every application start."""
    parts = text.split(".")
    if len(parts) == 3 and all(
        p.isascii() and p.isdigit() and (p == "0" or p[0] != "0") for p in parts
    ):
        return True
    return SEMVER.match(text) is not None


@total_ordering
class Version:
    """A semver version. Build metadata is kept but, as semver says, ignored in comparisons."""

    __slots__ = ("build", "major", "minor", "patch", "pre", "text")

    def __init__(self, text: str) -> None:
        m = SEMVER.match(text)
        if m is None:
            raise ValueError(f"{text!r} is not a semver version (MAJOR.MINOR.PATCH)")
        self.text = text
        self.major, self.minor, self.patch = int(m[1]), int(m[2]), int(m[3])
        self.pre = tuple(m[4].split(".")) if m[4] else ()
        self.build = m[5]

    def _key(self) -> tuple[object, ...]:
        # A pre-release sorts before its release; numeric identifiers before alphanumeric ones.
        pre: tuple[object, ...] = tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre
        )
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    def bump(self, part: str) -> Version:
        """The next version: `major`, `minor` or `patch` (a pre-release bumps to its release)."""
        if part == "major":
            return Version(f"{self.major + 1}.0.0")
        if part == "minor":
            return Version(f"{self.major}.{self.minor + 1}.0")
        if part == "patch":
            if self.pre:
                return Version(f"{self.major}.{self.minor}.{self.patch}")
            return Version(f"{self.major}.{self.minor}.{self.patch + 1}")
        raise ValueError(f"unknown version part {part!r}: major, minor or patch")


def version_key(text: str) -> tuple[int, Version | str]:
    """Sort key that puts valid versions in semver order and anything else after them."""
    try:
        return (0, Version(text))
    except ValueError:
        return (1, text)
