"""The sandbox policy with bounds: Jinja's immutable sandbox, plus size checks before every
operation that can build something big and a step count at every loop iteration, call,
include, filter and intercepted operator (see limits.py for the limits themselves).

Where each check hooks in:
- operators `**`, `*`, `+`, `%` are *intercepted* (`call_binop`); intercepted operators are
  also never folded at compile time, so `{{ 10**(10**8) }}` cannot hang compilation either;
- every call from a template goes through `call` (methods such as `center`, `zfill`, `join`,
  `replace`, `to_bytes`; macros; `caller()`; `loop()`), and `str.format` through
  `wrap_str_format`;
- every filter is wrapped (`bounded_filters`), `range`/`lipsum` are replaced;
- the generated code joins strings through `concat`/`str_join`/`markup_join`, which this
  environment replaces with measuring versions, and wraps each `{% for %}` iterable in
  `loop_items`; `{% include %}` and `{% import %}` count a step in `get_template`.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from itertools import chain
from string import Formatter
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS, make_attrgetter, sync_do_join, sync_do_slice, sync_do_sum
from jinja2.runtime import Context, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
    safe_range,
)
from jinja2.tests import TESTS
from jinja2.utils import generate_lorem_ipsum, pass_environment, pass_eval_context
from markupsafe import Markup, soft_str

from promptreg.limits import (
    DEFAULT,
    LimitExceeded,
    Limits,
    as_str,
    built,
    check_bits,
    check_format_spec,
    check_length,
    check_printable,
    check_printf,
    check_result,
    check_width,
    counted,
    join_strings,
    loop_items,
    output,
    step,
    text_size,
)
from promptreg.limits import _active as limits_active

_SEQUENCES = (str, bytes, list, tuple)
_Sandbox = ImmutableSandboxedEnvironment  # the hot overrides call it directly, not via super()


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, counting a step per loop item and joining `~` through the
    environment's measuring versions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iters: set[int] = set()
        self._visits = 0
        self._max_visits = getattr(self.environment, "limits", DEFAULT).max_template_nodes

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iters.add(id(node.iter))
        super().visit_For(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        # Code generation (and Python's compile after it) costs time in proportion to the
        # nodes visited, more for nested macros: the count bounds compile time, and being a
        # count, it gives every machine the same verdict.
        self._visits += 1
        if self._visits > self._max_visits:
            raise LimitExceeded(
                "max_template_nodes",
                f"template has more than {self._max_visits:,} expressions and statements to "
                "compile: split it into partials",
            )
        if id(node) in self._loop_iters:
            self.write("environment.loop_items(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        # `==`/`in` on big strings or lists cost time in proportion: one step each.
        self.write("environment.counted(")
        super().visit_Compare(node, frame)
        self.write(")")

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(node, frame)
        # Module globals, looked up when the template's functions run: `~` joins measured.
        self.writeline("str_join = environment.str_join")
        self.writeline("markup_join = environment.markup_join")


def _binop_check(op: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a result over the int or length limits."""
    if op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            check_bits(int(right * math.log2(abs(left))) + 1, "`**`")
    elif op == "*":
        if isinstance(left, int) and isinstance(right, int):
            check_bits(left.bit_length() + right.bit_length(), "`*`")
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            check_length(len(left) * right, "`*` repetition")
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            check_length(len(right) * left, "`*` repetition")
    elif op == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            check_length(len(left) + len(right), "`+`")
    elif op == "%":
        check_printf(left, right)


Args = tuple[Any, ...]


def _check_width_arg(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    if args:  # center, ljust, rjust, zfill (positional only)
        check_width(args[0], f"{name}()")
    return args


def _check_expandtabs(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        tab = "\t" if isinstance(owner, str) else b"\t"
        check_length(len(owner) + owner.count(tab) * size, "expandtabs()")
    return args


def _check_join(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    if len(args) != 1:
        return args
    items = list(args[0])  # read the iterable once, here, and call with the list
    sized = sum(len(x) for x in items if isinstance(x, (str, bytes, bytearray)))
    check_length(sized + len(owner) * max(len(items) - 1, 0), "join()")
    return (items,)


def _check_replace(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    if len(args) >= 2 and isinstance(args[0], type(owner)) and isinstance(args[1], type(owner)):
        old, new = args[0], args[1]
        count = owner.count(old)
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        check_length(len(owner) + count * (len(new) - len(old)), "replace()")
    return args


def _check_translate(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    if args and isinstance(args[0], Mapping):
        widest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        check_length(len(owner) * max(widest, 1), "translate()")
    return args


def _check_to_bytes(owner: Any, name: str, args: Args, kwargs: dict[str, Any]) -> Args:
    check_width(args[0] if args else kwargs.get("length", 1), "int.to_bytes()")
    return args


# Builtin methods of str/bytes (and int.to_bytes) whose result size an argument sets; other
# methods of str/bytes grow their input by a bounded factor and are checked on the result.
_TEXT_METHODS: dict[str, Callable[[Any, str, Args, dict[str, Any]], Args]] = {
    "center": _check_width_arg,
    "ljust": _check_width_arg,
    "rjust": _check_width_arg,
    "zfill": _check_width_arg,
    "expandtabs": _check_expandtabs,
    "join": _check_join,
    "replace": _check_replace,
    "translate": _check_translate,
}
_TEXT = (str, bytes, bytearray)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, bounded in time and memory (see the module docstring)."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset(["**", "*", "+", "%"])
    limits: Limits = DEFAULT  # what `Template.render` runs under (Prompt sets its own)

    concat = staticmethod(join_strings)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiled: dict[str, jinja2.Template] = {}  # partials by name, see get_template
        self.template_class = BoundedTemplate
        self.filters.update(bounded_filters())
        self.tests.update(counted_tests())
        self.globals["range"] = _range
        self.globals["lipsum"] = _lipsum

    # -- hooks the generated code calls --------------------------------------------------------

    loop_items = staticmethod(loop_items)
    counted = staticmethod(counted)

    @staticmethod
    def str_join(seq: Iterable[Any]) -> str:
        step()
        return join_strings([x if type(x) is str else as_str(x) for x in seq])

    @staticmethod
    def markup_join(seq: Iterable[Any]) -> str:
        step()
        parts = [x if isinstance(x, str) else as_str(x) for x in seq]
        check_length(sum(map(len, parts)), "a string")
        return markup_join(parts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        step()
        _binop_check(operator, left, right)
        return built(check_result(self.binop_table[operator](left, right)))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        step()
        if type(obj) is types.BuiltinMethodType:
            owner = obj.__self__
            if isinstance(owner, _TEXT):  # a str/bytes method: it builds a new string
                check = _TEXT_METHODS.get(obj.__name__)
                if check is not None:
                    args = check(owner, obj.__name__, args, kwargs)
                return built(check_result(_Sandbox.call(self, context, obj, *args, **kwargs)))
            if obj.__name__ == "to_bytes" and type(owner) is int:
                args = _check_to_bytes(owner, "to_bytes", args, kwargs)
        return check_result(_Sandbox.call(self, context, obj, *args, **kwargs))

    def getitem(self, obj: Any, argument: Any) -> Any:
        """A step: `x[k]`, a slice (which copies), and the per-item attribute lookups of
        `map`, `groupby`, `sort(attribute=...)` and friends, so the clock is read while a
        filter works through a long list."""
        budget = limits_active.get()
        if budget is not None:
            budget.steps -= 1
            if budget.steps < 0 or not budget.steps & 63:
                budget.check()
        return _Sandbox.getitem(self, obj, argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A step, as `getitem`."""
        budget = limits_active.get()
        if budget is not None:
            budget.steps -= 1
            if budget.steps < 0 or not budget.steps & 63:
                budget.check()
        return _Sandbox.getattr(self, obj, attribute)

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        """Every {% include %} / {% import %} / {% extends %} is a step (inlined: hot path)."""
        budget = limits_active.get()
        if budget is not None:
            budget.steps -= 1
            if budget.steps < 0 or not budget.steps & 63:
                budget.check()
        if globals is None and type(name) is str:
            # A partial compiled ahead of rendering (TemplateEnv): skip Jinja's weakref-keyed
            # cache lookup, which costs more than the step above. (`parent` only matters to a
            # `join_path` override; this environment has none: names are relative to the
            # prompts directory.)
            template = self.compiled.get(name)
            if template is not None:
                return template
        return super().get_template(name, parent, globals)

    def select_template(self, *args: Any, **kwargs: Any) -> jinja2.Template:
        step()
        return super().select_template(*args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format`/`format_map` through a formatter that checks each field's spec and the
        running length before building it."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or (
            value.__name__ not in ("format", "format_map")
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        is_map = value.__name__ == "format_map"
        escape = text.escape if isinstance(text, Markup) else None
        kind = type(text)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            formatter: Formatter
            if escape is not None:
                formatter = _BoundedEscapeFormatter(self, escape=escape)
            else:
                formatter = _BoundedFormatter(self)
            return kind(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)


class BoundedTemplate(jinja2.Template):
    """`render` under the environment's limits, for code that renders the Jinja template
    directly (`Prompt.template.render(...)`) rather than through `Prompt.render`."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        context = self.new_context(dict(*args, **kwargs))
        try:
            return output(self.root_render_func(context), getattr(self.environment, "limits", None))
        except Exception:
            self.environment.handle_exception()
            raise


class _BoundedFormatter(SandboxedFormatter):
    def __init__(self, env: jinja2.Environment, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self._total = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            check_length(text_size(value, 0 if conversion == "s" else 1), "a format field")
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec)
        if not isinstance(value, (str, int, float)):
            check_length(text_size(value), "a format field")
        result = super().format_field(value, format_spec)
        self._total += len(result)
        check_length(self._total, "a formatted string")
        return built(result)


class _BoundedEscapeFormatter(_BoundedFormatter, SandboxedEscapeFormatter):
    pass


# -- filters and globals -------------------------------------------------------------------


def _range(*args: int) -> range:
    return safe_range(*args)  # a call: already a step (BoundedSandbox.call)


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    check_length(n * max * 16, "lipsum()")
    return generate_lorem_ipsum(n, html, min, max)


def _pre_center(value: Any, width: int = 80) -> None:
    check_width(width, "center")


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> None:
    check_printf(soft_str(value), kwargs or args)


def _pre_indent(s: Any, width: int | str = 4, *rest: Any, **kw: Any) -> None:
    step_width = len(width) if isinstance(width, str) else width
    if isinstance(step_width, int):
        text = soft_str(s)
        check_length(len(text) + (text.count("\n") + 1) * step_width, "indent")


def _pre_wordwrap(
    env: Any,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> None:
    text = soft_str(s)
    if isinstance(width, int):
        lines = 2 * len(text) // max(width - 1, 1) + text.count("\n") + 2
        joiner = wrapstring if isinstance(wrapstring, str) else env.newline_sequence
        check_length(len(text) + lines * len(joiner), "wordwrap")


def _pre_replace(ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> None:
    text = soft_str(s)
    if isinstance(old, str) and isinstance(new, str):
        hits = text.count(old)
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        check_length(len(text) + hits * (len(new) - len(old)), "replace")


def _pre_batch(value: Any, linecount: int, fill_with: Any = None) -> None:
    check_width(linecount, "batch")


def _pre_text(value: Any, *args: Any, **kwargs: Any) -> None:
    """string, pprint: the text of a list or mapping, bounded before it is built."""
    if not isinstance(value, str):
        check_length(2 * text_size(value, 1), "the text of a value")


def _pre_tojson(ctx: Any, value: Any, indent: int | None = None) -> None:
    check_width(indent, "tojson indent")
    size = 6 * text_size(value, 1)
    if isinstance(indent, int) and indent > 0:
        size *= indent
    check_length(size, "tojson")


@pass_eval_context
def _join(ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """`join`, measured before it is built."""
    if attribute is not None:
        value = map(make_attrgetter(ctx.environment, attribute), value)
    parts = [x if isinstance(x, str) else as_str(x) for x in value]
    sep = soft_str(d)
    check_length(sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0), "join")
    if not ctx.autoescape:
        return sep.join(parts)
    return sync_do_join(ctx, parts, d)  # escapes what is not Markup


@pass_environment
def _sum(env: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
    items = list(iterable)
    if isinstance(start, (list, tuple)):
        # Python's sum of lists copies the running total at each item (quadratic time):
        # measure the result, then build it in one pass.
        if attribute is not None:
            items = list(map(make_attrgetter(env, attribute), items))
        if all(type(v) is type(start) for v in items):
            check_length(len(start) + sum(map(len, items)), "sum")
            return type(start)(chain(start, *items))
        attribute = None
    return sync_do_sum(env, items, attribute, start)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    check_width(slices, "slice")
    return sync_do_slice(value, slices, fill_with)


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_center,
    "format": _pre_format,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "replace": _pre_replace,
    "batch": _pre_batch,
    "string": _pre_text,
    "pprint": _pre_text,
    "tojson": _pre_tojson,
}
_REPLACED: dict[str, Callable[..., Any]] = {"join": _join, "sum": _sum, "slice": _slice}


def _bounded(
    func: Callable[..., Any],
    pre: Callable[..., None] | None,
    printable: bool = False,
    builds: bool = False,
) -> Callable[..., Any]:
    """`func` with a step before it, `pre` (a size check on its arguments) if any, and a size
    check of its result. A `printable` filter makes text of its first argument (`str()` of a
    list or mapping): that text is measured first. Inlined: filters are on the hot path."""
    active = limits_active
    at = 1 if hasattr(func, "jinja_pass_arg") else 0  # the value follows the context argument

    def checked(*args: Any, **kwargs: Any) -> Any:
        budget = active.get()
        if budget is None:  # outside a render (Jinja folding constants): sizes only
            if printable and len(args) > at:
                _check_printable(args[at])
            if pre is not None:
                pre(*args, **kwargs)
            return check_result(func(*args, **kwargs))
        budget.steps -= 1
        if budget.steps < 0 or not budget.steps & 63:
            budget.check()
        if printable and len(args) > at and type(args[at]) not in _PLAIN:
            _check_printable(args[at])
        if pre is not None:
            pre(*args, **kwargs)
        result = func(*args, **kwargs)
        kind = type(result)
        if kind is str or kind is list or isinstance(result, (str, bytes, list, tuple)):
            size = len(result)
            if size > budget.limits.max_string_chars:
                check_length(size, "a filter's result")
            if builds and (len(args) <= at or result is not args[at]):
                budget.built += size
                if budget.built > budget.limits.max_total_chars:
                    built(result)  # raises
        return result

    checked.__name__ = getattr(func, "__name__", "filter")
    checked.__doc__ = getattr(func, "__doc__", None)
    if hasattr(func, "jinja_pass_arg"):
        checked.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


_PLAIN = frozenset({str, int, float, bool})


def _check_printable(value: Any) -> None:
    if not isinstance(value, (str, int, float)):
        check_printable(value)


# Filters that return one of the values they are given, building nothing.
_PICKS = frozenset({"attr", "d", "default", "first", "last", "max", "min", "random"})

# Filters that turn their value into text (`soft_str`, `escape`, `Markup`): given a list or a
# mapping, they would build its whole text before anything else could measure it.
_PRINTABLE = frozenset(
    {"capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower"}
    | {"replace", "safe", "striptags", "title", "trim", "truncate", "upper", "urlencode"}
    | {"urlize", "wordcount", "wordwrap", "xmlattr"}
)


@functools.cache
def counted_tests() -> dict[str, Callable[..., Any]]:
    """Every builtin test with a step (`in`, `eq` and friends cost what their operands do)."""
    tests: Mapping[str, Any] = TESTS
    return {name: _bounded(func, None) for name, func in tests.items()}


@functools.cache
def bounded_filters() -> dict[str, Callable[..., Any]]:
    """Every builtin filter with a step, a size check after (growth by a bounded factor:
    upper, escape, urlencode...), and, where a parameter sets the size, a check before."""
    out: dict[str, Callable[..., Any]] = {}
    for name, func in FILTERS.items():
        func = _REPLACED.get(name, func)
        out[name] = _bounded(func, _PRECHECKS.get(name), name in _PRINTABLE, name not in _PICKS)
    return out
