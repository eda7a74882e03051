"""Recognise a Dotprompt file among `.prompt` files (both formats use the suffix).

The loader asks only once a file has already failed as a promptreg prompt (no front-matter
at the top, YAML that does not parse, or front-matter that breaks the schema), so a valid
prompt never pays for the check. A Dotprompt file is then reported as one finding, PR090,
naming the `import` command, instead of a pile of schema and Jinja errors. Plain `re` only:
the loader is on the runtime path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

CODE = "PR090"
# Handlebars that is a syntax error in Jinja: no promptreg template can hold it.
_HANDLEBARS = re.compile(r"\{\{(?:~?(?:#|/|>|!|\^|else\}\})|role\s+['\"]|\{[^{]|@\w)")
_FRONT_KEYS = ("config", "input")


def dotprompt_finding(text: str, front: Any, shown: str) -> tuple[int, str] | None:
    """(line, message) when `text` reads as a Dotprompt file, else None. `front`: the parsed
    front-matter when it parsed (else None)."""
    if isinstance(front, Mapping) and (
        isinstance(front.get("model"), Mapping) or "template" in front or "authors" in front
    ):
        return None  # promptreg's own model block, or a Prompty file: not Dotprompt
    match = _HANDLEBARS.search(text)
    if match is not None:
        line = text.count("\n", 0, match.start()) + 1
        why = f"Handlebars `{match.group(0)}…` at line {line}"
    elif isinstance(front, Mapping) and _dotprompt_keys(front):
        why = "front-matter " + _dotprompt_keys(front)
    else:
        return None
    return 1, (
        f"this is a Dotprompt file ({why}), not a promptreg prompt: convert it with "
        f"`promptreg import {shown}` (it is rewritten in place as a promptreg prompt)"
    )


def _dotprompt_keys(front: Mapping[str, Any]) -> str:
    """What in the front-matter is Dotprompt's: `model` as a `provider/name` string together
    with `config` or `input`, or either of those in a file with no `version` and no
    `inputs` (a promptreg file with a typo keeps its own finding)."""
    keys = [k for k in _FRONT_KEYS if k in front]
    model = front.get("model")
    string_model = isinstance(model, str) and "/" in model
    if string_model and keys:
        return f"`model: {model}` and `{keys[0]}:`"
    if (string_model or keys) and "version" not in front and "inputs" not in front:
        return f"`model: {model}`" if string_model else f"`{keys[0]}:`"
    return ""
