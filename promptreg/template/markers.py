"""What makes a chat message: role-marker lines of the template's own text, and nothing else.

A marker is a template *source* line that is exactly `system:`, `user:` or `assistant:`
(trailing spaces and tabs allowed). Before Jinja parses a template or partial, each such line
is replaced by a sentinel made of the reserved character U+E000 (`\\ue000s\\ue000` for
`system:`, the line's trailing whitespace kept, so line numbers do not move). Neither templates
nor input values may contain U+E000, so a sentinel in the rendered text came from template text.

Everything an expression outputs goes through `render.finalize`, which turns any sentinel it
carries back into plain `system:` text: a marker line inside a macro, a `{% call %}` or
`{% filter %}` block, a `{% set %}` block or a string literal reaches the output as a value,
and a value is content, never structure. Two Jinja statements write their output without
`finalize` (`{% call %}` and `{% filter %}`); `StructureCodeGenerator` routes them through it.
Output captured inside a macro or block is made plain text where it is captured, and checked
again as a whole where it is printed.
The rendered text is then split at sentinels only (`render.split_messages`): no scan of
rendered text for `role:` lines, so no value, however filtered, joined or concatenated with
template text, can start or end a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from promptreg.frontmatter.checks import RESERVED_CHAR

ROLES = ("system", "user", "assistant")
# A line ends at `\n` or at a lone `\r`: Jinja's lexer reads both as a newline, so a marker
# line must be one however the line breaks are written (else a body with CR line breaks would
# render as one text prompt while hashing the same as its LF twin, which is a chat).
MARKER = re.compile(r"(?:^|(?<=\r))(system|user|assistant):[ \t]*(?=\r|$)", re.M)
"""The rule, applied to a template's source (a body or a partial)."""

SENTINEL = {role: f"{RESERVED_CHAR}{role[0]}{RESERVED_CHAR}" for role in ROLES}
SENTINEL_ROLE = {sentinel[1]: role for role, sentinel in SENTINEL.items()}
_SENTINEL_LINE = re.compile(r"(?:^|(?<=\r))(system|user|assistant):(?=[ \t]*(?:\r|$))", re.M)
_ANY_SENTINEL = re.compile(f"{RESERVED_CHAR}([sua]){RESERVED_CHAR}")


def mark_source(source: str, name: str | None = None, filename: str | None = None) -> str:
    """`source` with every marker line's `role:` replaced by its sentinel.

    Raises jinja2.TemplateSyntaxError when the source itself contains U+E000: a template could
    then forge a sentinel or a placeholder.
    """
    reserved = source.find(RESERVED_CHAR)
    if reserved >= 0:
        line = source.count("\n", 0, reserved) + 1
        raise jinja2.TemplateSyntaxError(
            "template contains U+E000, a character promptreg reserves", line, name, filename
        )
    if ":" not in source:
        return source
    return _SENTINEL_LINE.sub(lambda m: SENTINEL[m.group(1)], source)


def unmark(text: str) -> str:
    """`text` with every sentinel turned back into its plain `role:` text (content)."""
    if RESERVED_CHAR not in text:
        return text
    return _ANY_SENTINEL.sub(lambda m: SENTINEL_ROLE[m.group(1)] + ":", text)


class RoleMarkers(Extension):
    """Jinja's preprocessing hook: every template the environment parses (a prompt body, a
    partial loaded by Jinja itself, a rubric) gets its marker lines replaced by sentinels."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return mark_source(source, name, filename)

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        """A marker line inside a string literal is the literal's own text: the literal keeps
        exactly what was written, so comparisons, lengths and filter arguments see it."""
        for token in stream:
            if token.type == "string" and RESERVED_CHAR in token.value:
                yield Token(token.lineno, token.type, unmark(token.value))
            else:
                yield token


_TOP = "environment.finalize("
_CAPTURED = "environment.finalize.captured("
_ESCAPED = "environment.finalize.escaped("  # output Jinja escapes: escape before slotting
_VOLATILE = "environment.finalize.volatile(context.eval_ctx, "


class StructureCodeGenerator(CodeGenerator):
    """Jinja's code generator, made to keep role markers to template text.

    - The two statements that write a computed string (`{% call %}`'s macro output and
      `{% filter %}`'s filtered block) go through `finalize` like any `{{ expression }}`.
    - Output that is captured rather than written out (the body of a macro, a `caller()`, a
      `{% set %}` or `{% filter %}` block, a recursive loop) only reaches the message through
      one of those: its template text has its sentinels turned back into plain `role:` text
      at compile time, and its values go through `finalize.captured`, which slots nothing, so
      a filter applied to the captured text (`caller()|indent`) sees the values themselves.
    - Constants are folded at compile time only when `finalize` would leave them alone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recursive_loop = False
        self._loop_buffers: set[str] = set()

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._recursive_loop = node.recursive
        super().visit_For(node, frame)

    def buffer(self, frame: Frame) -> None:
        super().buffer(frame)
        if self._recursive_loop and frame.buffer is not None:
            # A recursive loop's output is written out unfinalized, as template text is: its
            # values keep their placeholders (their markers are still plain text).
            self._loop_buffers.add(frame.buffer)
        self._recursive_loop = False

    def _captured(self, frame: Frame) -> bool:
        return frame.buffer is not None and frame.buffer not in self._loop_buffers

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        text: str = super()._output_child_to_const(node, frame, finalize)
        if frame.buffer is not None and isinstance(node, nodes.TemplateData):
            return unmark(text)
        return text

    def _make_finalize(self) -> Any:
        info = super()._make_finalize()
        if info.src != _TOP:  # no promptreg finalize: a plain environment
            return info
        return info._replace(const=const_finalize)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if finalize.src == _TOP:
            if self._captured(frame):
                finalize = finalize._replace(src=_CAPTURED)
            elif frame.eval_ctx.volatile:
                finalize = finalize._replace(src=_VOLATILE)
            elif frame.eval_ctx.autoescape:
                finalize = finalize._replace(src=_ESCAPED)
        super()._output_child_pre(node, frame, finalize)

    def _write_finalize(self, frame: Frame) -> None:
        self.write(_CAPTURED if self._captured(frame) else _TOP)

    def visit_CallBlock(self, node: nodes.CallBlock, frame: Frame) -> None:
        call_frame, macro_ref = self.macro_body(node, frame)
        self.writeline("caller = ")
        self.macro_def(macro_ref, call_frame)
        self.start_write(frame, node)
        self._write_finalize(frame)
        self.visit_Call(node.call, frame, forward_caller=True)
        self.write(")")
        self.end_write(frame)

    def visit_FilterBlock(self, node: nodes.FilterBlock, frame: Frame) -> None:
        filter_frame = frame.inner()
        filter_frame.symbols.analyze_node(node)
        self.enter_frame(filter_frame)
        self.buffer(filter_frame)
        self.blockvisit(node.body, filter_frame)
        self.start_write(frame, node)
        self._write_finalize(frame)
        self.visit_Filter(node.filter, filter_frame)
        self.write(")")
        self.end_write(frame)
        self.leave_frame(filter_frame)


def const_finalize(value: Any) -> str:
    """`finalize` for an expression Jinja folds at compile time (`{{ "a" ~ "b" }}`).

    Compile time has no render to hold placeholders, so anything the runtime `finalize` would
    change (None, U+E000, whitespace at an edge) raises `Impossible`: Jinja then leaves the
    expression to run, and be finalized, at render time.
    """
    if value is None:
        raise nodes.Impossible()
    text = str(value)
    if text and (RESERVED_CHAR in text or text[0].isspace() or text[-1].isspace()):
        raise nodes.Impossible()
    return text
