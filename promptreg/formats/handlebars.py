"""Read a Handlebars template (Dotprompt's and Mustache's dialect) into a list of tokens.

Only the reading is here: `hbs_jinja.py` turns the tokens into Jinja. Whitespace follows
Handlebars: a block tag, `{{else}}`, a comment or a partial alone on its line takes the line
with it ("standalone"), and `~` inside a mustache strips the whitespace on its side. Both are
applied to the text tokens here, so the translator sees the text exactly as Handlebars would
print it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from promptreg.formats.report import Refused

# Kinds of token: text, print (`{{x}}`, `{{{x}}}`), open (`{{#x}}`), inverse (`{{^x}}`),
# close (`{{/x}}`), else (`{{else}}`, `{{^}}`, `{{else if x}}`), partial (`{{> x}}`), comment.
_STANDALONE = {"open", "inverse", "close", "else", "partial", "comment"}
_MAX_TOKENS = 50_000


@dataclass
class Token:
    kind: str
    text: str = ""  # the literal text (kind "text") or the tag's inside, sigils removed
    line: int = 1
    strip_left: bool = False
    strip_right: bool = False
    args: list[Arg] = field(default_factory=list)
    hash: dict[str, Arg] = field(default_factory=dict)

    @property
    def head(self) -> Arg | None:
        return self.args[0] if self.args else None


@dataclass(frozen=True)
class Arg:
    """One parameter of a mustache: a path (`a.b`, `this`, `@index`, `../x`) or a literal."""

    kind: str  # "path", "string", "number", "bool", "null", "sub"
    value: str
    sub: tuple[Arg, ...] = ()


# Handlebars' escapes: `\{{` starts literal text (up to the next `{{`); `\\{{` prints one
# backslash and starts a tag. Only the last two backslashes before `{{` matter.
_TAG = re.compile(r"(\\{0,2})\{\{(~?)(\{|!--|!|#|\^|/|>|&)?", re.S)
_TAG_NO_ESCAPE = re.compile(r"()\{\{(~?)(\{|!--|!|#|\^|/|>|&)?", re.S)  # a `\` is text
_ARG = re.compile(
    r"""\s*(?:
        (?P<hash>[A-Za-z_][\w-]*)=
      | "(?P<dq>(?:[^"\\]|\\.)*)"
      | '(?P<sq>(?:[^'\\]|\\.)*)'
      | (?P<num>-?\d+(?:\.\d+)?)(?=[\s)]|$)
      | (?P<open>\()
      | (?P<close>\))
      | (?P<path>(?:\.\./)*@?[^\s()=~}]+)
    )""",
    re.X,
)


def _escaped_end(source: str, start: int) -> int:
    """Where the literal text of `\\{{` that starts at `start` (its `{{`) ends: at least two
    characters on, before the next `{{` and the one or two backslashes right before it."""
    following = source.find("{{", start + 2)
    if following < 0:
        return len(source)
    end = following
    while end > start + 2 and following - end < 2 and source[end - 1] == "\\":
        end -= 1
    return end


def show(text: str, limit: int = 40) -> str:
    """A tag's text for a message: its first line, cut to `limit` characters."""
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit and first == text else first[:limit] + "…"


def tokenize(source: str, *, escapes: bool = True) -> list[Token]:
    """Tokens of a Handlebars template, whitespace control applied. Raises Refused.
    `escapes` off (Prompty's Mustache, which has none): `\\{{x}}` is a backslash, then x."""
    tokens = _scan(source, _TAG if escapes else _TAG_NO_ESCAPE)
    _standalone(tokens)
    _tilde(tokens)
    return [t for t in tokens if t.kind != "text" or t.text]


def _scan(source: str, tag: re.Pattern[str]) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    line = 1
    while True:
        if len(tokens) > _MAX_TOKENS:
            raise Refused(f"template has more than {_MAX_TOKENS:,} tags")
        match = tag.search(source, pos)
        if match is None:
            tokens.append(Token("text", source[pos:], line))
            return tokens
        backslashes = len(match.group(1))
        if backslashes == 1:  # `\{{x}}`: literal text up to the next `{{` (Handlebars' emu)
            tokens.append(Token("text", source[pos : match.start()], line))
            end = _escaped_end(source, match.start() + 1)
            tokens.append(Token("text", source[match.start() + 1 : end], line))
            line += source.count("\n", pos, end)
            pos = end
            continue
        # `\\{{x}}`: one backslash printed, then the tag
        tokens.append(Token("text", source[pos : match.start()] + "\\" * (backslashes // 2), line))
        line += source.count("\n", pos, match.start())
        sigil = match.group(3) or ""
        closer = {"{": "}}}", "!--": "--}}"}.get(sigil, "}}")
        end = source.find(closer, match.end())
        if end < 0:
            raise Refused(f"line {line}: `{{{{{sigil}` is never closed by `{closer}`")
        inner = source[match.end() : end]
        stop = end + len(closer)
        strip_right = inner.endswith("~")
        if sigil == "!--" and source[end - 1 : end] == "~":
            strip_right = True
        if strip_right and sigil not in ("!", "!--"):
            inner = inner[:-1]
        tokens.append(_tag(sigil, inner, line, bool(match.group(2)), strip_right))
        line += source.count("\n", match.start(), stop)
        pos = stop


def _tag(sigil: str, inner: str, line: int, left: bool, right: bool) -> Token:
    if sigil in ("!", "!--"):
        return Token("comment", inner, line, left, right)
    kind = {"": "print", "{": "print", "&": "print", "#": "open", "^": "inverse"}.get(sigil)
    kind = kind or {"/": "close", ">": "partial"}[sigil]
    body = inner.strip()
    if kind == "inverse" and not body:
        kind, body = "else", "else"
    if kind == "print" and (body == "else" or body.startswith("else ")):
        kind = "else"
    token = Token(kind, body, line, left, right)
    if kind == "close":
        token.text = body
        return token
    if kind == "partial" and body.startswith("@"):
        raise Refused(f"line {line}: partial blocks `{{{{> @…}}}}` are not supported")
    _parse_args(token, body[4:] if kind == "else" else body)
    if kind != "else" and not token.args:
        raise Refused(f"line {line}: empty mustache `{{{{{sigil}{show(inner)}}}}}`")
    return token


def _parse_args(token: Token, body: str) -> None:
    stack: list[list[Arg]] = [token.args]
    pos = 0
    pending: str | None = None
    while pos < len(body):
        if not body[pos:].strip():
            break
        match = _ARG.match(body, pos)
        if match is None or match.end() == pos:
            raise Refused(f"line {token.line}: cannot read `{show(body)}`")
        pos = match.end()
        if match.group("hash"):
            pending = match.group("hash")
            continue
        if match.group("open") is not None:
            stack.append([])
            continue
        if match.group("close") is not None:
            if len(stack) == 1:
                raise Refused(f"line {token.line}: unbalanced `)` in `{show(body)}`")
            inner = stack.pop()
            if not inner:
                raise Refused(f"line {token.line}: empty `()` in `{show(body)}`")
            arg = Arg("sub", inner[0].value, tuple(inner[1:]))
        else:
            arg = _literal(match)
        if pending is not None and len(stack) == 1:
            token.hash[pending] = arg
            pending = None
        else:
            stack[-1].append(arg)
    if len(stack) != 1 or pending is not None:
        raise Refused(f"line {token.line}: cannot read `{show(body)}`")


def _literal(match: re.Match[str]) -> Arg:
    for group, kind in (("dq", "string"), ("sq", "string")):
        if match.group(group) is not None:
            return Arg(kind, re.sub(r"\\(.)", r"\1", match.group(group)))
    if match.group("num") is not None:
        return Arg("number", match.group("num"))
    path = match.group("path")
    if path in ("true", "false"):
        return Arg("bool", path)
    if path in ("null", "undefined"):
        return Arg("null", path)
    return Arg("path", path)


def _standalone(tokens: list[Token]) -> None:
    """A block tag alone on its line removes that line's indentation and its line end."""
    marks: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind not in _STANDALONE:
            continue
        before = tokens[i - 1].text if i > 0 and tokens[i - 1].kind == "text" else None
        after = tokens[i + 1].text if i + 1 < len(tokens) and tokens[i + 1].kind == "text" else None
        if before is None or after is None:
            continue
        head = before.rsplit("\n", 1)
        at_start = (len(head) == 2 or i == 1) and not head[-1].strip(" \t")
        tail = re.match(r"[ \t]*(\r?\n|\Z)", after)
        if at_start and tail is not None and (tail.group(1) or i + 2 == len(tokens)):
            marks.append(i)
    for i in marks:
        prev, nxt = tokens[i - 1], tokens[i + 1]
        cut = prev.text.rfind("\n") + 1
        prev.text = prev.text[:cut]
        match = re.match(r"[ \t]*(\r?\n)?", nxt.text)
        assert match is not None
        nxt.text = nxt.text[match.end() :]


def _tilde(tokens: list[Token]) -> None:
    for i, token in enumerate(tokens):
        if token.strip_left and i > 0 and tokens[i - 1].kind == "text":
            tokens[i - 1].text = tokens[i - 1].text.rstrip()
        if token.strip_right and i + 1 < len(tokens) and tokens[i + 1].kind == "text":
            tokens[i + 1].text = tokens[i + 1].text.lstrip()
