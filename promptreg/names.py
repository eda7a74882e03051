"""Prompt names: `support/triage` is the file `prompts/support/triage.prompt`."""

from __future__ import annotations

import re
from pathlib import Path

SUFFIX = ".prompt"
MAX_SEGMENT = 100
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid prompt name, or None when it is."""
    if not name:
        return "a prompt name cannot be empty"
    for segment in name.split("/"):
        if not _SEGMENT.match(segment):
            return (
                f"invalid name segment {segment!r} in {name!r}: segments are lower-case "
                "letters, digits, `.`, `_` and `-`, starting with a letter or digit, joined by `/`"
            )
        if segment.endswith(SUFFIX) or set(segment) == {"."}:
            return f"invalid name segment {segment!r} in {name!r}"
        if len(segment) > MAX_SEGMENT:  # a file name must fit the file system's 255 bytes
            return f"name segment {segment[:20]!r}... is over {MAX_SEGMENT} characters"
    return None


def name_for_path(path: Path, prompts_dir: Path) -> str:
    """The prompt name of a file under `prompts_dir` (no validation)."""
    relative = path.relative_to(prompts_dir).as_posix()
    return relative[: -len(SUFFIX)] if relative.endswith(SUFFIX) else relative


def path_for_name(name: str, prompts_dir: Path) -> Path:
    return prompts_dir.joinpath(*name.split("/")).with_name(name.rsplit("/", 1)[-1] + SUFFIX)
