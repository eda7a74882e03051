"""Mustache bodies (Prompty's `template: mustache`) as promptreg Jinja, rendered in the sandbox.

Rather than a second template engine with its own limits, a Mustache body is translated into
an equivalent Jinja template, so it renders in the same sandbox, under the same time and memory
limits, with the same role-marker rules as every other prompt (issue 8 §5). The subset is what
Prompty's renderer (chevron) does with the tags prompts use:

- `{{name}}` prints HTML-escaped (`& < > "`, as chevron does), `{{{name}}}` and `{{&name}}`
  print as they are; a missing or null name prints nothing;
- `{{#name}}...{{/name}}` repeats for each item of a list, once for a true value or a mapping
  (whose keys are then looked up first), never for a false or empty one; `{{^name}}` is its
  inverse; `{{.}}` is the current item; `a.b.c` looks up a path;
- `{{! comment }}` is dropped; a section, inverted, closing or comment tag alone on its line
  takes the line with it (Mustache's "standalone" rule).

Partials (`{{> name}}`) and changed delimiters (`{{=<% %>=}}`) are refused with the line:
`MustacheError`. Text that Jinja would read as a tag (`{%`, `{#`) is printed as text. Each
source line stays on its own line, so findings keep their line numbers. Translation is one pass
over the text; sections may nest 16 deep.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_DEPTH = 16
_TAG = re.compile(r"\{\{(\{)?\s*([#^/!&>=]?)\s*(.*?)\s*\}?\}\}", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_0-9][A-Za-z0-9_-]*)*\Z")
_ESCAPE = (
    '|replace("&", "&amp;")|replace("<", "&lt;")|replace(">", "&gt;")|replace(\'"\', "&quot;")'
)


class MustacheError(ValueError):
    """A Mustache body promptreg does not translate; `line` is 1-based in the body."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class _Section:
    name: str
    var: str | None  # the loop variable (None: an inverted section)
    line: int


def to_jinja(source: str) -> tuple[str, frozenset[str]]:
    """The Jinja template that renders `source` as Mustache does, and the names it looks up
    inside a section (they may be keys of the section's item rather than inputs: a missing one
    prints nothing, as in Mustache). Raises `MustacheError`."""
    out: list[str] = []
    inner: set[str] = set()
    stack: list[_Section] = []
    pos = 0
    counter = 0
    for match in _TAG.finditer(source):
        start, end = match.span()
        line = source.count("\n", 0, start) + 1
        triple, sigil, name = match.group(1) is not None, match.group(2), match.group(3)
        nested = bool(stack)
        standalone = sigil in "#^/!" and sigil != "" and _standalone(source, start, end)
        if standalone:
            line_start = source.rfind("\n", 0, start) + 1
            out.append(_text(source[pos:line_start]))
            eol = source.find("\n", end)
            stop = len(source) if eol < 0 else eol + 1
        else:
            out.append(_text(source[pos:start]))
            stop = end
        newlines = source.count("\n", start, stop)
        if sigil == "!":
            out.append("{# -#}" if standalone else "{#" + "\n" * newlines + "#}")
            if standalone:
                out.append(_line_end(source, stop, newlines))
            pos = stop
            continue
        if sigil in (">", "="):
            what = "partials" if sigil == ">" else "changed delimiters"
            raise MustacheError(f"Mustache {what} are not supported: inline the text", line)
        if not (name == "." or _NAME.match(name)):
            raise MustacheError(f"{{{{{match.group(0)[2:-2]}}}}} is not a Mustache name", line)
        if sigil == "#":
            if len(stack) >= MAX_DEPTH:
                raise MustacheError(f"sections nest more than {MAX_DEPTH} deep", line)
            counter += 1
            var = f"_m{counter}"
            value = _lookup(name, stack)
            out.append(
                f"{{% for {var} in ({value} if {value} is iterable and {value} is not string "
                f"and {value} is not mapping else ([{value}] if {value} else [])) %}}"
            )
            stack.append(_Section(name, var, line))
        elif sigil == "^":
            if len(stack) >= MAX_DEPTH:
                raise MustacheError(f"sections nest more than {MAX_DEPTH} deep", line)
            out.append(f"{{% if not ({_lookup(name, stack)}) %}}")
            stack.append(_Section(name, None, line))
        elif sigil == "/":
            if not stack or stack[-1].name != name:
                opened = f"`{stack[-1].name}` (line {stack[-1].line})" if stack else "nothing"
                raise MustacheError(f"{{{{/{name}}}}} closes {opened}", line)
            section = stack.pop()
            out.append("{% endfor %}" if section.var is not None else "{% endif %}")
        else:
            value = _lookup(name, stack)
            shown = f"({value} if {value} is defined and {value} is not none else '')|string"
            raw = triple or sigil == "&"
            out.append("{{ " + shown + ("" if raw else _ESCAPE) + " }}")
        if nested and sigil != "/" and name != ".":
            inner.add(name.split(".")[0])
        if standalone:
            out[-1] = out[-1][:-2] + "-%}"  # `{% for ... -%}`: strips the line end after it
            out.append(_line_end(source, stop, newlines))
        elif newlines:  # the lines the tag took, kept
            out.append("{#" + "\n" * newlines + "#}")
        pos = stop
    if stack:
        raise MustacheError(f"section `{stack[-1].name}` is never closed", stack[-1].line)
    out.append(_text(source[pos:]))
    return "".join(out), frozenset(inner)


def _line_end(source: str, stop: int, newlines: int) -> str:
    """What follows a standalone tag (the caller makes it strip to the right, `-%}`): its
    line ends, kept so line numbers do not move, and stripped from the output as Mustache
    drops the line. The next line then starts a source line of its own, so a role line there
    is a marker (a `{#\\n#}` would glue it to the comment's end). `{{ "" }}` stops the strip
    where the next line starts with whitespace, which Mustache keeps."""
    stopper = '{{ "" }}' if stop < len(source) and source[stop] in " \t\r\n" else ""
    return "\n" * newlines + stopper


def _standalone(source: str, start: int, end: int) -> bool:
    line_start = source.rfind("\n", 0, start) + 1
    eol = source.find("\n", end)
    line_end = len(source) if eol < 0 else eol
    before, after = source[line_start:start], source[end:line_end]
    return not before.strip() and not after.strip()


def _text(text: str) -> str:
    """Mustache text as Jinja text: what Jinja would read as a tag opener prints as text."""
    if "{%" not in text and "{#" not in text:
        return text
    return re.sub(r"\{[%#]", lambda m: "{{ " + json.dumps(m.group(0)) + " }}", text)


def _lookup(name: str, stack: list[_Section]) -> str:
    """A Jinja expression for `name` in Mustache's context stack: the innermost section item
    that is a mapping holding the first part of the name, else the prompt's inputs."""
    loops = [s.var for s in stack if s.var is not None]
    if name == ".":
        return loops[-1] if loops else "''"
    head, *rest = name.split(".")
    expr = head
    for var in loops:
        key = json.dumps(head)
        expr = f"({var}[{key}] if {var} is mapping and {key} in {var} else {expr})"
    for part in rest:
        expr = f"{expr}[{json.dumps(part)}]"
    return expr
