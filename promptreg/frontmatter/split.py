"""Split a prompt file's text into its YAML front-matter and its template body."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^---[ \t]*(?:\n|$)", re.M)


class FrontMatterError(Exception):
    def __init__(self, code: str, message: str, line: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line


@dataclass(frozen=True)
class FileParts:
    """`opening + front_matter + closing + body` is the file's text, exactly."""

    opening: str
    front_matter: str
    closing: str
    body: str

    @property
    def body_line(self) -> int:
        """The 1-based file line on which the body starts."""
        return 1 + (self.opening + self.front_matter + self.closing).count("\n")


def split_front_matter(text: str) -> FileParts:
    """Split `---\\n<yaml>---\\n<body>`. Raises `FrontMatterError` (PR002, PR003)."""
    if not text.strip():
        raise FrontMatterError("PR002", "file is empty: a prompt starts with a `---` line", 1)
    opening = _FENCE.match(text)
    if opening is None and re.match(r"---[ \t]*\r(?!\n)", text):
        raise FrontMatterError(
            "PR002", "lines end in a lone CR (old Mac style): save the file with LF line ends", 1
        )
    if opening is None:
        raise FrontMatterError(
            "PR002",
            "no front-matter: a prompt file starts with a `---` line, then YAML, then `---`",
            1,
        )
    closing = _FENCE.search(text, opening.end())
    if closing is None:
        raise FrontMatterError(
            "PR003", "front-matter is never closed: add a `---` line after the YAML", 1
        )
    return FileParts(
        opening=opening.group(0),
        front_matter=text[opening.end() : closing.start()],
        closing=closing.group(0),
        body=text[closing.end() :],
    )
