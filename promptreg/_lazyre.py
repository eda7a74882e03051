"""Regular expressions compiled on first use, for modules on the runtime path (issue 9 §2).

`import promptreg` → `get` → `render` imports some thirty modules that compile forty
patterns at import, most of which only `validate`, the hooks or a rare branch ever use:
~3 ms of every application start. `lazy_pattern` stands in for `re.compile` at module level:
the pattern is compiled when one of its methods is first looked up, and that bound method is
then kept on the stand-in, so later calls cost what a call on the compiled pattern costs.
The checks of plain names that every start makes (`is_word`, `is_digest`) compile nothing.
Use it only for patterns whose methods are called (`X.match(...)`, `X.sub(...)`); a pattern
handed to `re.sub(X, ...)` or checked with `isinstance` must stay a real `re.Pattern`.
"""

from __future__ import annotations

import re
from typing import Any, cast


class _LazyPattern:
    """The stand-in: `__getattr__` runs only for a name not yet kept on the instance."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and friends probe for dunders: not ours
            raise AttributeError(name)
        value = getattr(re.compile(*self._source), name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return repr(re.compile(*self._source))


LOWER = "abcdefghijklmnopqrstuvwxyz"
LETTERS = LOWER + LOWER.upper()
DIGITS = "0123456789"
HEX = DIGITS + "abcdef"


def is_word(text: str, first: str, rest: str) -> bool:
    """`re.match(f"[{first}][{rest}]*\\Z", text)` for sets of plain characters, with no
    pattern to compile: names are checked this way on every application start."""
    return bool(text) and text[0] in first and not text[1:].strip(rest)


def is_digest(text: str) -> bool:
    """`sha256:` and 64 lower-case hex digits (a content hash), with no pattern to compile."""
    return len(text) == 71 and text.startswith("sha256:") and not text[7:].strip(HEX)


def lazy_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done on first use (see the module doc)."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
