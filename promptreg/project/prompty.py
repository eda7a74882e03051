"""`.prompty` files under `prompts/` are prompts as they are (issue 12 §1): the loader's hook.

`adapt` turns a Prompty file's parsed front-matter and body into promptreg's view of them
(`frontmatter/prompty.py`, `template/prompty_body.py`) before the schema and the template
checks run, so every command and the registry treat the file like a `.prompt` file. The
rendering rules that are Prompty's own travel in `PromptSpec.dialect` (`prompty1` or
`prompty2`) and are applied at render time (`template/prompty_render.py`): a name the template
uses that no input gives prints nothing, and each message is trimmed as Prompty trims it (v1:
all whitespace at both ends; v2: line breaks at both ends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from promptreg.frontmatter.prompty import translate
from promptreg.frontmatter.prompty_fields import ReadFile
from promptreg.frontmatter.spec import PromptSpec
from promptreg.frontmatter.split import FileParts
from promptreg.frontmatter.yamldoc import YamlDoc
from promptreg.names import PROMPTY_SUFFIX
from promptreg.template.prompty_body import translate_body

MAX_SAMPLE_BYTES = 1_000_000

Add = Callable[[int, int, str, str], None]


def is_prompty(path: Path | str) -> bool:
    return str(path).endswith(PROMPTY_SUFFIX)


class Adapted:
    """What `adapt` made of a Prompty file."""

    def __init__(
        self, doc: YamlDoc, parts: FileParts, dialect: str, soft: frozenset[str], source: str
    ) -> None:
        self.doc = doc
        self.parts = parts
        self.dialect = dialect
        self.soft = soft
        self.source = source  # the body as written, for `diff`


def adapt(doc: YamlDoc, parts: FileParts, add: Add, read_file: ReadFile | None) -> Adapted:
    """promptreg's view of a Prompty file; findings go to `add(line, col, code, message)`."""
    if doc.data is None:  # `---\n---`: an empty front-matter is Prompty's shorthand
        doc = YamlDoc({}, doc.positions)
    translated = translate(doc, read_file)
    for where, code, message in translated.findings:
        line, col = doc.position(where)
        add(line, col, code, _dotted(where) + message)
    body = translate_body(parts.body, generation=translated.generation, engine=translated.engine)
    for number, code, message in body.findings:
        add(parts.body_line - 1 + number, 1, code, message)
    closing = parts.closing
    if body.shift:  # the `system:` line put first stands on the closing `---` line
        closing = closing[:-1] if closing.endswith("\n") else closing
    new_parts = FileParts(parts.opening, parts.front_matter, closing, body.text)
    dialect = f"prompty{translated.generation}"
    return Adapted(translated.doc, new_parts, dialect, body.soft, parts.body)


def with_dialect(spec: PromptSpec, adapted: Adapted) -> PromptSpec:
    return replace(
        spec, dialect=adapted.dialect, soft_names=adapted.soft, source_body=adapted.source
    )


def disk_reader(prompt_path: Path) -> ReadFile:
    """Reads a file named by `${file:...}` beside the prompt file: a regular file of at most
    `MAX_SAMPLE_BYTES`, or None. No part of the way may be a symlink: a linked directory
    (`${file:link/s.json}`) would read a file outside the repository into the sample, which
    `render --sample`, `show` and the site print (PR006 says the same for the tree)."""
    from promptreg.template.sources import beside, read_regular

    def read(relative: str) -> bytes | None:
        try:
            path = beside(prompt_path.parent, relative)
            if path is None:
                return None
            data = read_regular(path, MAX_SAMPLE_BYTES)
        except OSError:
            return None
        return data if len(data) <= MAX_SAMPLE_BYTES else None

    return read


def _dotted(where: tuple[str | int, ...]) -> str:
    from promptreg.frontmatter.checks import dotted

    return f"{dotted(where)}: " if where else ""
