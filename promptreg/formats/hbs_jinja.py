"""Translate Handlebars tokens (Dotprompt, Mustache) into a promptreg template.

Handlebars resolves a name in the current context (`{{#each}}` and `{{#with}}` change it);
here every name becomes a Jinja expression: a top-level name is an input (collected in
`Translation.used`, with what its use says of its type), a name inside `{{#each xs}}` is an
attribute of the loop item. Partials are inlined (their hash arguments become aliases), so
the result is one self-contained template. What has no promptreg equivalent (sections,
`@state`, tool roles) is left out and listed in `notes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from promptreg.formats.handlebars import Arg, Token, show, tokenize
from promptreg.formats.hbs_paths import IDENT, JINJA_WORDS, access, uses_key
from promptreg.formats.jinja_out import (
    JinjaOut,
    history_block,
    string_literal,
    with_implicit_history,
)
from promptreg.formats.report import Refused

ROLE_MAP = {"system": "system", "user": "user", "model": "assistant", "assistant": "assistant"}
_MAX_PARTIAL_DEPTH = 16
# What all inlined partials may add up to. Depth alone does not bound it: a partial that
# includes the next one four times, 15 deep, inlines 4**15 copies (the import never ended).
_MAX_INLINED_CHARS = 1_000_000
_MAX_INLINED_TAGS = 50_000
_HISTORY_AT_END = (
    "after everything: which message is last is decided at render time (Dotprompt puts it "
    "before a last user message)"
)


@dataclass
class _Scope:
    this: str | None  # Jinja expression of the context; None: the top level (the inputs)
    parent: _Scope | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    loop: str | None = None  # the item variable of the innermost {{#each}}
    key: str | None = None  # the key variable when iterating a mapping


@dataclass
class Translation:
    source: str
    used: dict[str, str]  # input name -> "string" | "array" | "object" | "any"
    notes: list[str]


def translate(
    template: str,
    *,
    partials: Callable[[str], str | None],
    roles: bool = True,
    declared: tuple[str, ...] | None = None,
    edges: bool = True,
    implicit_history: bool = False,
    taken: tuple[str, ...] = (),
    escapes: bool = True,
) -> Translation:
    """Jinja source for a Handlebars `template`. `partials(name)` gives a partial's source
    (None: not found). `roles` off (plain Mustache): `{{role}}` is not a helper. `declared`:
    the inputs a schema declares, which `this` at the top level stands for. `edges` off:
    whitespace at a message's edges is trimmed (Prompty trims it, Dotprompt keeps it).
    `implicit_history` (Dotprompt): a template that never says `{{history}}` gets the
    conversation where Dotprompt inserts it. `taken`: the inputs the front-matter declares
    (a schema or a default), whose names the conversation cannot also have. `escapes` off:
    `\\{{x}}` is not a literal mustache (Prompty's Mustache has no such escape)."""
    walker = _Walker(partials, roles)
    walker.declared = declared
    walker.taken = tuple(taken) + tuple(declared or ())
    out = JinjaOut()
    walker.block(tokenize(template, escapes=escapes), 0, out, _Scope(None), ())
    if implicit_history and roles:
        walker.implicit_history(out)
    return Translation(out.source(edges=edges), walker.used, walker.notes)


# Dotprompt's `{{history}}` is the conversation (its `messages`), never the data field
# `history`; promptreg has one namespace, so the import refuses a file that needs both.
HISTORY_TAKEN = (
    "`{{history}}` (the conversation) and an input named `history` cannot both be carried: "
    "rename the input"
)


class _Walker:
    def __init__(self, partials: Callable[[str], str | None], roles: bool) -> None:
        self.partials = partials
        self.roles = roles
        self.used: dict[str, str] = {}
        self.notes: list[str] = []
        self.depth = 0
        self.nesting = 0
        self.inlined_chars = 0
        self.inlined_tags = 0
        self.sources: dict[str, tuple[str, list[Token]] | None] = {}
        self.declared: tuple[str, ...] | None = None
        self.taken: tuple[str, ...] = ()  # inputs the front-matter declares (schema, default)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def block(
        self, tokens: list[Token], i: int, out: JinjaOut, scope: _Scope, stop: tuple[str, ...]
    ) -> int:
        """Translate tokens from `i` until a close or else tag (returned index) or the end."""
        while i < len(tokens):
            token = tokens[i]
            if token.kind in ("close", "else"):
                if not stop:
                    raise Refused(f"line {token.line}: `{{{{{show(token.text)}}}}}` closes nothing")
                return i
            if token.kind == "text":
                out.text(token.text)
            elif token.kind == "print":
                self.print_(token, out, scope)
            elif token.kind in ("open", "inverse"):
                i = self.open_block(tokens, i, out, scope)
                continue
            elif token.kind == "partial":
                self.partial(token, out, scope)
            i += 1
        if stop:
            raise Refused(f"`{{{{#{stop[0]}}}}}` is never closed")
        return i

    # -- printing and helpers --------------------------------------------------------------
    def print_(self, token: Token, out: JinjaOut, scope: _Scope) -> None:
        head = token.head
        assert head is not None
        name = head.value if head.kind == "path" else ""
        if self.roles and name == "role" and len(token.args) == 2:
            role_arg = token.args[1]
            role = ROLE_MAP.get(role_arg.value) if role_arg.kind == "string" else None
            if role is None:
                raise Refused(
                    f"line {token.line}: role {role_arg.value!r} has no promptreg equivalent "
                    "(promptreg has system, user and assistant messages)"
                )
            out.marker(role)
        elif self.roles and name == "history" and len(token.args) == 1:
            self.history(out)
        elif name == "media" and len(token.args) == 1 and "url" in token.hash:
            self.media(token, out, scope)
        elif name == "section":
            self.note("`{{section}}`: promptreg has no message sections; it was left out")
        elif name == "json" and len(token.args) == 2:
            # Dotprompt's helper is JSON.stringify(x, null, indent): the sandbox's `json`
            # filter writes the same text (template/json_text.py), `tojson` would not.
            indent = token.hash.get("indent")
            arg = self.expr(token.args[1], scope, "any")
            if indent is None:
                out.expr(f"{arg}|json")
            else:
                out.expr(f"{arg}|json(indent={self.expr(indent, scope, 'any')})")
        elif len(token.args) == 1 and not token.hash:
            value = self.expr(head, scope, "string")
            # Handlebars prints a missing field as nothing; Jinja's StrictUndefined refuses it.
            out.expr(value + '|default("")' if value[-1:] in ".]" or "." in value else value)
        else:
            raise Refused(
                f"line {token.line}: helper `{{{{{show(token.text)}}}}}` is not supported"
            )

    def media(self, token: Token, out: JinjaOut, scope: _Scope) -> None:
        """`{{media url=x contentType=y}}`: promptreg's `{% media x, y %}` (template/media.py)."""
        unknown = sorted(set(token.hash) - {"url", "contentType"})
        if unknown:
            raise Refused(f"line {token.line}: `{{{{media}}}}` takes url= and contentType=")
        args = [self.expr(token.hash["url"], scope, "string")]
        if "contentType" in token.hash:
            args.append(self.expr(token.hash["contentType"], scope, "string"))
        out.stmt("{% media " + ", ".join(args) + " %}")

    def history(self, out: JinjaOut) -> None:
        """`{{history}}`: the conversation so far, from the input `history` (a list of
        `{role, content}`, content a string or Dotprompt's `[{text}]` parts), each message
        under a marker line picked at render time."""
        if self.used.get("history", "history") != "history" or "history" in self.taken:
            raise Refused(HISTORY_TAKEN)
        self.used["history"] = "history"
        self.note("`{{history}}` became the input `history`: a list of {role, content}")
        history_block(out)
        out.marker("assistant")  # Dotprompt: text after the history is the model's turn

    def implicit_history(self, out: JinjaOut) -> None:
        """Dotprompt adds the conversation (`messages`) to a template that does not place
        it; the import writes that down, so the prompt renders what Dotprompt sends."""
        if "history" in self.used or "history" in self.taken:
            if self.used.get("history") != "history":
                self.note(
                    "Dotprompt adds the conversation history to a template without "
                    "`{{history}}`; the input `history` of this one has that name: not added"
                )
            return
        out.items, exact = with_implicit_history(out.items)
        self.used["history"] = "history"
        where = "where Dotprompt puts it" if exact else _HISTORY_AT_END
        self.note(
            "Dotprompt adds the conversation history to a template without `{{history}}`: "
            f"it became the input `history` (a list of {{role, content}}), {where}"
        )

    def open_block(self, tokens: list[Token], i: int, out: JinjaOut, scope: _Scope) -> int:
        token = tokens[i]
        head = token.head
        assert head is not None
        helper = head.value if head.kind == "path" else ""
        if token.kind == "inverse":  # Mustache `{{^x}}`: render when x is falsy
            return self.conditional(tokens, i, out, scope, f"not {self.expr(head, scope)}")
        if self.roles and helper == "role" and len(token.args) == 2:  # `{{#role "x"}}…{{/role}}`
            self.print_(Token("print", token.text, token.line, args=token.args), out, scope)
            end = self.block(tokens, i + 1, out, scope, ("role",))
            return self.finish(tokens, end, out, scope, "role", "")
        if helper in ("if", "unless") and len(token.args) == 2:
            cond = self.expr(token.args[1], scope, "any")
            return self.conditional(
                tokens, i, out, scope, cond if helper == "if" else f"not {cond}"
            )
        if helper in ("ifEquals", "unlessEquals") and len(token.args) == 3:
            a, b = (self.expr(arg, scope, "any") for arg in token.args[1:])
            op = "==" if helper == "ifEquals" else "!="
            return self.conditional(tokens, i, out, scope, f"{a} {op} {b}")
        if helper == "each" and len(token.args) == 2:
            return self.each(tokens, i, out, scope)
        if helper == "with" and len(token.args) == 2:
            target = self.expr(token.args[1], scope, "object")
            out.stmt(f"{{% if {target} %}}")
            end = self.block(tokens, i + 1, out, _Scope(target, scope), ("with",))
            return self.finish(tokens, end, out, scope, "with", "{% endif %}")
        if len(token.args) == 1 and head.kind == "path":  # Mustache section `{{#x}}`
            return self.conditional(tokens, i, out, scope, self.expr(head, scope, "any"))
        raise Refused(
            f"line {token.line}: block helper `{{{{#{show(token.text)}}}}}` is not supported"
        )

    def conditional(
        self, tokens: list[Token], i: int, out: JinjaOut, scope: _Scope, cond: str
    ) -> int:
        name = tokens[i].head.value if tokens[i].kind == "open" else tokens[i].text  # type: ignore[union-attr]
        out.stmt(f"{{% if {cond} %}}")
        end = self.block(tokens, i + 1, out, scope, (name,))
        while tokens[end].kind == "else":
            else_ = tokens[end]
            if len(else_.args) >= 2 and else_.args[0].value == "if":
                out.stmt(f"{{% elif {self.expr(else_.args[1], scope, 'any')} %}}")
            elif else_.args:
                raise Refused(
                    f"line {else_.line}: `{{{{else {show(else_.text)}}}}}` is not supported"
                )
            else:
                out.stmt("{% else %}")
            end = self.block(tokens, end + 1, out, scope, (name,))
        return self.finish(tokens, end, out, scope, name, "{% endif %}")

    def each(self, tokens: list[Token], i: int, out: JinjaOut, scope: _Scope) -> int:
        token = tokens[i]
        self.depth += 1
        item, key = f"item{self.depth}", f"key{self.depth}"
        target = self.expr(token.args[1], scope, "array")
        as_map = uses_key(tokens, i)
        if as_map:
            out.stmt(f"{{% for {key}, {item} in {target}.items() %}}")
        else:
            out.stmt(f"{{% for {item} in {target} %}}")
        inner = _Scope(item, scope, loop=item, key=key if as_map else None)
        end = self.block(tokens, i + 1, out, inner, ("each",))
        if tokens[end].kind == "else":
            out.stmt("{% else %}")
            end = self.block(tokens, end + 1, out, scope, ("each",))
        self.depth -= 1
        return self.finish(tokens, end, out, scope, "each", "{% endfor %}")

    def finish(
        self, tokens: list[Token], end: int, out: JinjaOut, scope: _Scope, name: str, stmt: str
    ) -> int:
        close = tokens[end]
        if close.kind != "close" or close.text != name:
            raise Refused(
                f"line {close.line}: `{{{{#{name}}}}}` is closed by `{{{{/{show(close.text)}}}}}`"
            )
        if stmt:
            out.stmt(stmt)
        return end + 1

    def partial(self, token: Token, out: JinjaOut, scope: _Scope) -> None:
        head = token.head
        assert head is not None
        if head.value not in self.sources:  # read and tokenized once, however often inlined
            found = self.partials(head.value)
            self.sources[head.value] = None if found is None else (found, tokenize(found))
        known = self.sources[head.value]
        if known is None:
            raise Refused(f"line {token.line}: partial `{head.value}` not found")
        if self.nesting > _MAX_PARTIAL_DEPTH:
            raise Refused(f"partials nest more than {_MAX_PARTIAL_DEPTH} deep (a cycle?)")
        context = scope
        if len(token.args) == 2:
            context = _Scope(self.expr(token.args[1], scope, "object"), scope)
        aliases = {k: self.expr(v, scope, "any") for k, v in token.hash.items()}
        inner = _Scope(context.this, context.parent, aliases, context.loop, context.key)
        if context is scope:
            inner = _Scope(
                scope.this, scope.parent, {**scope.aliases, **aliases}, scope.loop, scope.key
            )
        source, tokens = known
        self.inlined_chars += len(source)
        self.inlined_tags += len(tokens) + 1
        if self.inlined_chars > _MAX_INLINED_CHARS or self.inlined_tags > _MAX_INLINED_TAGS:
            raise Refused(
                f"partials inline to more than {_MAX_INLINED_CHARS:,} characters or "
                f"{_MAX_INLINED_TAGS:,} tags"
            )
        self.nesting += 1
        self.block(tokens, 0, out, inner, ())
        self.nesting -= 1

    # -- expressions -----------------------------------------------------------------------
    def expr(self, arg: Arg, scope: _Scope, use: str = "any") -> str:
        if arg.kind == "string":
            return string_literal(arg.value)
        if arg.kind in ("number",):
            return arg.value
        if arg.kind == "bool":
            return "true" if arg.value == "true" else "false"
        if arg.kind == "null":
            return "none"
        if arg.kind == "sub":
            raise Refused(f"subexpression `({arg.value} …)` is not supported")
        return self.path(arg.value, scope, use)

    def path(self, path: str, scope: _Scope, use: str) -> str:
        while path.startswith("../"):
            path = path[3:]
            scope = scope.parent or scope
        if path.startswith("@"):
            return self.data_path(path, scope)
        parts = [p for p in re.split(r"\.|/", path) if p]
        if not parts or parts[0] == "this":
            rest = parts[1:] if parts else []
            if scope.this is None and rest:
                return self.path(".".join(rest), scope, use)  # `this.x` at the top: input x
            if scope.this is None:
                return access(self.top(), rest)
            return access(scope.this, rest)
        first, rest = parts[0], parts[1:]
        if first in scope.aliases:
            return access(scope.aliases[first], rest)
        if scope.this is not None:
            return access(scope.this, parts)
        if not IDENT.match(first) or first in JINJA_WORDS:
            raise Refused(f"`{first}` cannot be a promptreg input name")
        kind = "object" if rest else use
        previous = self.used.get(first)
        if previous == "history":  # `{{history}}` took the name: data can no longer have it
            raise Refused(HISTORY_TAKEN)
        if previous is None or previous == "any" or (previous == "string" and kind != "any"):
            self.used[first] = kind
        return access(first, rest)

    def top(self) -> str:
        """`this` at the top level: the declared inputs as one mapping."""
        if self.declared is None:
            raise Refused(
                "`this` at the top level (all the inputs as one value) needs an input schema"
            )
        for name in self.declared:
            self.used.setdefault(name, "any")
        self.note("`this` at the top level became a mapping of the declared inputs")
        pairs = ", ".join(f"{string_literal(n)}: {n}" for n in self.declared)
        return "{" + pairs + "}"

    def data_path(self, path: str, scope: _Scope) -> str:
        name, _, rest = path[1:].partition(".")
        loop: _Scope | None = scope
        while loop is not None and loop.loop is None:
            loop = loop.parent
        if name == "root":
            return self.path(rest or "this", _Scope(None), "any")
        if rest and IDENT.match(name) and name not in ("index", "first", "last", "key"):
            # Dotprompt's context (`@state`, `@auth`): an object input of that name.
            self.note(f"`@{name}` (Dotprompt context) became the input `{name}`")
            value = self.path(f"{name}.{rest}", _Scope(None), "object")
            self.used[name] = "context"
            return value
        if loop is not None and name in ("index", "first", "last") and not rest:
            return {"index": "loop.index0", "first": "loop.first", "last": "loop.last"}[name]
        if loop is not None and name == "key" and loop.key is not None:
            return loop.key
        raise Refused(
            f"`{{{{{path}}}}}`: data variables other than @index, @first, @last, @key "
            "and @root have no promptreg equivalent"
        )
