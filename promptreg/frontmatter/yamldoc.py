"""What reading YAML gives: the document with the position of every key, and the error a
problem in the text raises. A leaf, so the reader (_yaml.py) and its PyYAML half
(_yaml_pyyaml.py) both import it and not each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Path_ = tuple[str | int, ...]


# How deep YAML (and any value given to a prompt) may nest: deeper than any front-matter a
# reviewer can read, and far below the interpreter's recursion limit, which every recursive
# walk over the data (ours, `json`, `repr`, Jinja's) must stay under.
MAX_NESTING = 100


class YamlError(Exception):
    """A problem in YAML text. `kind` is syntax, duplicate or alias; line/col are 1-based."""

    def __init__(self, kind: str, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.col = col


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML plus where each key (or list item) stands: path -> (line, col), 1-based."""

    data: Any
    positions: dict[Path_, tuple[int, int]]

    def position(self, path: Path_) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path:
            pos = self.positions.get(path)
            if pos is not None:
                return pos
            path = path[:-1]
        return self.positions.get((), (1, 1))
