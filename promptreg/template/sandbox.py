"""The sandbox policy with bounds: Jinja's immutable sandbox, plus size checks before every
operation that can build something big and a step count at every loop iteration, call,
include, filter and intercepted operator (see limits.py for the limits themselves).

Where each check hooks in:
- operators `**`, `*`, `+`, `%` are *intercepted* (`call_binop`); intercepted operators are
  also never folded at compile time, so `{{ 10**(10**8) }}` cannot hang compilation either;
- every call from a template goes through `call` (methods such as `center`, `zfill`, `join`,
  `replace`, `to_bytes`; macros; `caller()`; `loop()`), and `str.format` through
  `wrap_str_format`;
- every filter and test is wrapped, `range`/`lipsum` are replaced (sandbox_filters.py);
- attribute and item lookups (`getattr`/`getitem`) are steps: filters working through a long
  list (`groupby`, `map`) look each item up, so the clock is read as they go;
- the generated code joins strings through `concat`/`str_join`/`markup_join`, which this
  environment replaces with measuring versions, and wraps each `{% for %}` iterable in
  `loop_items`; `{% include %}` and `{% import %}` count a step in `get_template`.
"""

from __future__ import annotations

import functools
import math
import types
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from string import Formatter
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, markup_join
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from markupsafe import Markup

from promptreg.limits import (
    CONTAINERS,
    DEFAULT,
    POINTER_CHARS,
    LimitExceeded,
    Limits,
    built,
    check_bits,
    check_length,
    check_result,
    check_width,
    counted,
    heavy_step,
    join_strings,
    loop_items,
    output,
    step,
)
from promptreg.template.estimates import as_str, check_format_spec, check_printf, text_size
from promptreg.template.sandbox_filters import bounded_filters, bounded_globals, counted_tests

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
        self.globals.update(bounded_globals())

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
        # `[x] * n`, `a + b`: new lists of items that exist (and were counted) already
        return built(check_result(self.binop_table[operator](left, right)), POINTER_CHARS)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        heavy_step()  # a method on a long string, a macro: the clock is read at each call
        kind = type(obj)
        if kind is types.BuiltinMethodType or kind is types.MethodType:  # Markup's are Python
            owner = obj.__self__
            if isinstance(owner, _TEXT):  # a str/bytes method: it builds a new string
                check = _TEXT_METHODS.get(obj.__name__)
                if check is not None:
                    args = check(owner, obj.__name__, args, kwargs)
                return built(check_result(_Sandbox.call(self, context, obj, *args, **kwargs)))
            if obj.__name__ == "to_bytes" and type(owner) is int:
                args = _check_to_bytes(owner, "to_bytes", args, kwargs)
        result = check_result(_Sandbox.call(self, context, obj, *args, **kwargs))
        if isinstance(result, CONTAINERS):  # dict.fromkeys(...), dict(...): kept, it counts
            built(result)
        return result

    def getitem(self, obj: Any, argument: Any) -> Any:
        """A step: `x[k]`, a slice (which copies), and the per-item attribute lookups of
        `map`, `groupby`, `sort(attribute=...)` and friends, so the clock is read while a
        filter works through a long list."""
        step()
        return _Sandbox.getitem(self, obj, argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A step, as `getitem`."""
        step()
        return _Sandbox.getattr(self, obj, attribute)

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        """Every {% include %} / {% import %} / {% extends %} is a step (inlined: hot path)."""
        step()
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
