"""Compiled templates kept on disk, so a restarted application does not compile them again.

Compiling a prompt's template (parse + generate + Python compile) costs ~1 ms; loading its
code object back costs ~30 µs. The key covers everything the code depends on: the template's
text, its name and file name (they are baked into tracebacks), Jinja's and Python's versions,
and this format's version. Entries are written atomically and never changed; an unreadable
entry is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import sys
from pathlib import Path
from types import CodeType

import jinja2

from promptreg._atomic import atomic_write

FORMAT = "1"


class CodeCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def key(source: str, *, name: str, filename: str) -> str:
        h = hashlib.sha256()
        for part in (FORMAT, jinja2.__version__, sys.version, name, filename, source):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()

    def load(self, key: str) -> CodeType | None:
        try:
            data = (self.directory / key[:2] / key[2:]).read_bytes()
            code = marshal.loads(data)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return code if isinstance(code, CodeType) else None

    def store(self, key: str, code: CodeType) -> None:
        # A cache that cannot be written is only slower, never wrong.
        with contextlib.suppress(Exception):
            atomic_write(self.directory / key[:2] / key[2:], marshal.dumps(code))
