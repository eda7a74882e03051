"""What an import or export produced: the files to write and what could not be carried."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class Refused(Exception):
    """A file that cannot be converted: the message says why and, where there is one, what
    to do. Raised inside the converters; `convert_file` turns it into a refused Conversion."""


@dataclass(frozen=True)
class Conversion:
    """One source file converted (or refused).

    `files` maps a path relative to the project root to the text to write there: the prompt
    itself and, for a GitHub `.prompt.yml` with `testData`, its golden dataset. `notes` says,
    one line each, what the target format could not carry over or what was changed to make
    the result valid (a model pinned, a sample made up); an empty tuple means nothing was
    lost. `refused` is the reason when nothing was converted.
    """

    source: str
    format: str
    name: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    refused: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "format": self.format,
            "name": self.name,
            "files": sorted(self.files),
            "not_carried": list(self.notes),
            "refused": self.refused,
        }
