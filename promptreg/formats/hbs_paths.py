"""Handlebars paths as Jinja expressions: which names can be plain attributes, and whether an
`{{#each}}` block reads `@key` (it then iterates a mapping's items)."""

from __future__ import annotations

import re

from promptreg.formats.handlebars import Token
from promptreg.formats.jinja_out import string_literal

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_jinja_words = (
    "and or not in is if else elif for endfor true false none True "
    "False None loop self range lipsum dict cycler joiner namespace super caller varargs kwargs"
)
JINJA_WORDS = frozenset(_jinja_words.split())

# Jinja's `.` finds a mapping's method before its key: `order.items` is dict.items.
_METHODS = frozenset(name for name in dir(dict) if not name.startswith("_"))


def access(base: str, rest: list[str]) -> str:
    """`base` then the path parts `rest`: attributes where Jinja reads them as keys, else
    subscripts (`order["items"]`); a last `length` is JavaScript's array length."""
    out = base
    for i, part in enumerate(rest):
        if part == "length" and i == len(rest) - 1:
            return f"({out}|length)"
        plain = IDENT.match(part) and part not in JINJA_WORDS and part not in _METHODS
        out += f".{part}" if plain else f"[{_key(part)}]"
    return out


def _key(part: str) -> str:
    part = part.strip("[]")
    return part if part.isdigit() else string_literal(part)


def uses_key(tokens: list[Token], i: int) -> bool:
    """Whether the block opened at `tokens[i]` reads `@key` at its own level."""
    depth = 0
    for token in tokens[i + 1 :]:
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and "@key" in token.text:
            return True
    return False
