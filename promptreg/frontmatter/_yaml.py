"""The one place that speaks YAML.

Reading is fast and strict: PyYAML's C safe loader (the pure-Python one where libyaml is
missing) with YAML 1.2 core scalars (`yes`/`no`/`on`/`off` stay strings, no sexagesimal or
leading-zero octal ints, timestamps stay strings), duplicate keys refused (PyYAML silently keeps
the last one, so a reviewer would never see the shadowed value), and aliases and merge keys
refused (they hide content from review and make YAML bombs possible; an anchor that nothing
refers to is harmless and passes). Every key's position is kept so findings can point at the
exact line. A parse can be cached on disk by its text: the registry and `validate` then skip
PyYAML altogether for front-matter they have read before. PyYAML lives in `_yaml_pyyaml.py`
and is imported only when something is actually parsed or written.

Writing is careful: `rewrite_front_matter` round-trips through ruamel.yaml so comments, key
order and quoting survive, and replaces the file atomically. ruamel is imported only there: it
costs ~100 ms to import and reading never needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptreg.frontmatter.yamldoc import YamlDoc

if TYPE_CHECKING:
    from promptreg.codecache import CodeCache

_CACHE_FORMAT = "yaml-1"


def read_yaml(text: str, *, line_offset: int = 0, cache: CodeCache | None = None) -> YamlDoc:
    """Parse one YAML document. Raises `YamlError`; positions are shifted by `line_offset`.

    With a `cache`, a text parsed before (successfully) is read back instead of parsed.
    """
    from promptreg.codecache import memoize

    def parse() -> YamlDoc:
        from promptreg.frontmatter._yaml_pyyaml import parse

        return parse(text, line_offset=line_offset)

    return memoize(
        cache,
        (_CACHE_FORMAT, str(line_offset), text),
        parse,
        lambda doc: (doc.data, doc.positions),
        lambda data: YamlDoc(*data),
    )


def dump_yaml(data: Any) -> str:
    """Block-style YAML that `read_yaml` reads back as the same data (key order kept)."""
    from promptreg.frontmatter._yaml_pyyaml import dump

    return dump(data)


def rewrite_front_matter(path: Path, edit: Callable[[Any], None]) -> bool:
    """Apply `edit` to the front-matter of the prompt file at `path`, changing nothing else.

    `edit` receives ruamel's round-trip map and mutates it in place. The file is replaced
    atomically, and only when the text actually changed. Returns whether it changed.
    """
    import io

    from ruamel.yaml import YAML

    from promptreg._atomic import atomic_write
    from promptreg.errors import PromptregError
    from promptreg.frontmatter.split import FrontMatterError, split_front_matter

    raw = path.read_bytes().decode("utf-8")
    # Like the loader, look past a BOM and CRLF line ends; write the file's own ones back.
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    crlf = raw.split("\n", 1)[0].endswith("\r")
    original = raw[len(bom) :].replace("\r\n", "\n") if crlf else raw[len(bom) :]
    try:
        parts = split_front_matter(original)
    except FrontMatterError as err:
        raise PromptregError(err.message, path=str(path), line=err.line) from None
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000  # never re-wrap a long line the user wrote
    offset = _sequence_offset(parts.front_matter)
    rt.indent(mapping=2, sequence=offset + 2, offset=offset)
    data = rt.load(parts.front_matter)
    edit(data)
    out = io.StringIO()
    rt.dump(data, out)
    text = parts.opening + out.getvalue() + parts.closing + parts.body
    if text == original:
        return False
    atomic_write(path, (bom + (text.replace("\n", "\r\n") if crlf else text)).encode("utf-8"))
    return True


def _sequence_offset(front_matter: str) -> int:
    """How far the file indents a block sequence's dashes under its key (0 or 2, usually)."""
    match = re.search(r"^( *)\S[^\n]*:[ \t]*\n( *)- ", front_matter, re.M)
    return len(match.group(2)) - len(match.group(1)) if match else 0
