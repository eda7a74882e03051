"""Write a promptreg template's pieces (see `jinja_read.py`) as Dotprompt's Handlebars:
roles as `{{~role "x"~}}` (the `~` drops the layout whitespace promptreg trims), `{% if %}`
as `{{#if}}`/`{{#unless}}`/`{{#ifEquals}}`, `{% for %}` as `{{#each}}` with `this`, and a
block tag alone on its line written so Handlebars keeps the line end Jinja keeps."""

from __future__ import annotations

import re

from promptreg.formats.jinja_read import Piece
from promptreg.formats.report import Refused


def handlebars(pieces: list[Piece], notes: list[str]) -> str:
    out: list[str] = []
    loops: list[str] = []
    opened: list[str] = []
    for piece in pieces:
        kind = piece.kind
        if kind not in ("text", "literal") and out and out[-1].endswith("\\"):
            out[-1] += "\\"  # `\\{{tag}}`: Handlebars prints one backslash, then the tag
        if kind in ("text", "literal"):
            out.append(_text(piece.value, out))
            if kind == "literal" and not piece.value.strip():
                notes.append("whitespace printed at a message edge may be trimmed by `~`")
        elif kind == "marker":
            role = {"assistant": "model"}.get(piece.value, piece.value)
            out.append('{{~role "' + role + '"~}}')
        elif kind == "var":
            out.append("{{" + _hbs_path(piece.value, loops) + "}}")
        elif kind == "history":
            out.append("{{history}}")
        elif kind == "media":
            url = "url=" + _hbs_arg(piece.value, loops)
            kind_arg = f" contentType={_hbs_arg(piece.extra, loops)}" if piece.extra else ""
            out.append("{{media " + url + kind_arg + "}}")
        elif kind == "json":
            indent = f" indent={piece.extra}" if piece.extra else ""
            out.append("{{json " + _hbs_path(piece.value, loops) + indent + "}}")
        elif kind == "if":
            helper, args = _hbs_condition(piece, loops)
            opened.append(helper)
            out.append("{{#" + helper + " " + args + "}}")
        elif kind == "elif":
            helper, args = _hbs_condition(piece, loops)
            if helper != "if":
                notes.append("cannot express an `elif` other than on a name in Dotprompt")
            out.append("{{else if " + args + "}}")
        elif kind == "else":
            out.append("{{else}}")
        elif kind == "endif":
            out.append("{{/" + (opened.pop() if opened else "if") + "}}")
        elif kind == "for":
            out.append("{{#each " + _hbs_path(piece.extra, loops) + "}}")
            loops.append(piece.value)
        elif kind == "endfor":
            loops.pop()
            out.append("{{/each}}")
    return _keep_lines("".join(out).strip() + "\n", notes)


def _text(text: str, out: list[str]) -> str:
    """Text with each `{{` escaped (`\\{{`). A backslash right before a literal `{{` has no
    Handlebars form (`\\\\{{` starts a tag), so that is refused."""
    before = out[-1][-1:] if out else ""
    if re.search(r"\\\{\{", before + text):
        raise Refused("dotprompt cannot express a backslash right before a literal `{{`")
    return text.replace("{{", "\\{{")


def _hbs_condition(piece: Piece, loops: list[str]) -> tuple[str, str]:
    """(block helper, its arguments) for an `{% if %}` test."""
    path = _hbs_path(piece.value, loops)
    if not piece.extra:
        return "if", path
    if piece.extra == "not":
        return "unless", path
    op, _, literal = piece.extra.partition(" ")
    return ("ifEquals" if op == "==" else "unlessEquals"), f"{path} {literal}"


def _hbs_arg(arg: str, loops: list[str]) -> str:
    """A path, or a JSON string literal as it is (Handlebars reads `"..."` the same way)."""
    return arg if arg.startswith('"') else _hbs_path(arg, loops)


def _hbs_path(path: str, loops: list[str]) -> str:
    head, _, rest = path.partition(".")
    if loops and head == loops[-1]:
        return "this" + (f".{rest}" if rest else "")
    if head in loops:
        ups = "../" * (len(loops) - 1 - loops.index(head))
        return ups + "this" + (f".{rest}" if rest else "")
    if head == "loop" and rest == "index0":
        return "@index"
    if head == "loop" and rest in ("first", "last"):
        return f"@{rest}"
    if loops:
        return "@root." + path
    return f"this.{path}" if head in _HELPERS else path  # `{{history}}` would be the helper


_HELPER_NAMES = "history role media json section ifEquals unlessEquals else if unless each with"
_HELPERS = frozenset(_HELPER_NAMES.split())
# A block tag alone on its line: Handlebars drops that line's indentation and line end,
# which Jinja keeps. Writing the line end twice leaves the one Jinja renders.
_STANDALONE = re.compile(r"^([ \t]*)(\{\{(?:#|/|else\b|\^)[^{}]*\}\})[ \t]*\n", re.M)


def _keep_lines(text: str, notes: list[str]) -> str:
    def fix(match: re.Match[str]) -> str:
        if match.group(1):
            notes.append("the indentation of a block tag alone on its line is dropped")
        return match.group(0) + "\n"

    return _STANDALONE.sub(fix, text)
