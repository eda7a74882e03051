"""Read a foreign prompt file: bounded, decoded, its YAML parsed by promptreg's strict reader
(duplicate keys, aliases and deep nesting refused: the file may be hostile)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptreg.formats.report import Refused
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.yamldoc import YamlError

MAX_SOURCE_BYTES = 1_000_000
_FENCE = re.compile(r"^---[ \t]*$", re.M)
_HEADER_LINE = re.compile(r"[ \t]*(#[^\n]*)?\n")


def read_source(path: Path, notes: list[str]) -> str:
    """The file's text with LF line ends (CRLF and a BOM noted and dropped). Raises Refused."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as err:
        raise Refused(f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise Refused(f"file is over {MAX_SOURCE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused(f"not valid UTF-8 (byte {err.start:,})") from None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        notes.append("CRLF line ends read as LF")
    if "\x00" in text:
        raise Refused("the file contains a NUL character")
    return text


def split_document(text: str, *, header: bool = False) -> tuple[str | None, str]:
    """(front-matter YAML or None, body) of `---` fenced text. `header`: comment lines
    (`# Copyright ...`) and blank lines before the opening fence are a licence header."""
    start = 0
    if header:
        while True:
            match = _HEADER_LINE.match(text, start)
            if match is None or match.end() == start:
                break
            start = match.end()
        if not text.startswith("---", start):
            start = 0
    opening = _FENCE.match(text, start)
    if opening is None:
        return None, text
    closing = _FENCE.search(text, opening.end() + 1)
    if closing is None:
        raise Refused("the front-matter is never closed by a `---` line")
    front = text[opening.end() + 1 : closing.start()]
    body = text[closing.end() + 1 :] if closing.end() < len(text) else ""
    return front, body


def parse_yaml(text: str, what: str, line_offset: int = 0) -> Any:
    try:
        return read_yaml(text, line_offset=line_offset).data
    except YamlError as err:
        raise Refused(f"{what}: line {err.line}: {err.message}") from None
    except RecursionError:
        raise Refused(f"{what}: nested too deeply") from None


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Refused(f"{what} is not a mapping")
    return value
