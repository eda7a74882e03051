"""The one Jinja environment: sandboxed, strict, and confined to the prompts directory.

Also the static analysis every prompt gets once: which partials it includes (transitively),
which variables the whole include closure uses, and where it reaches for something it must not.
Where partials come from is sources.py; the content hash, content_hash.py.
"""

from __future__ import annotations

import math
import weakref
from contextvars import ContextVar
from dataclasses import field
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.compiler import Frame
from jinja2.idtracking import VAR_LOAD_RESOLVE

from promptreg._record import record
from promptreg.codecache import CodeCache, memoize
from promptreg.limits import DEFAULT, LimitExceeded, Limits
from promptreg.template.analysis import Analysis, TemplateProblem, inspect_ast
from promptreg.template.markers import RoleMarkers, StructureCodeGenerator
from promptreg.template.media import MediaTag
from promptreg.template.render import finalize
from promptreg.template.sandbox import BoundedCodeGenerator, BoundedSandbox
from promptreg.template.sources import (
    MAX_PARTIAL_BYTES,
    IncludeError,
    PartialLoader,
    PartialReader,
    directory_reader,
)

# Each nested include costs the render a few Python frames (and this walk one): far more
# than any prompt needs, far less than Python's recursion limit.
MAX_INCLUDE_DEPTH = 64


class CompileLimitError(jinja2.TemplateSyntaxError):
    """A template that cannot be compiled within Python's and Jinja's limits (PR055): nested
    too deeply for the parser or Python's compiler, or a literal too big to convert."""

    code = "PR055"
    limit = "compile"  # or the `limits:` key that refused it (max_template_nodes)


@record(frozen=True)
class Closure:
    """What a template depends on: partial names in include order, and every variable used."""

    partials: tuple[str, ...]
    variables: frozenset[str]
    problems: tuple[TemplateProblem, ...]
    sources: dict[str, str]
    # Where each variable is first used: (line in the template analysed, partial or None).
    # A variable used only inside a partial is placed at the include that brings it in.
    uses: dict[str, tuple[int, str | None]] = field(default_factory=dict)


@record(frozen=True)
class Partial:
    """A partial, analysed once per environment however many prompts include it."""

    name: str
    source: str
    analysis: Analysis | None  # None when it does not parse
    error: jinja2.TemplateSyntaxError | None


_collecting: ContextVar[set[str] | None] = ContextVar("promptreg_collect_names", default=None)


class _TrackingCodeGenerator(StructureCodeGenerator, BoundedCodeGenerator):
    """Jinja's code generator, also noting every name the template reads from its context:
    the template's undeclared variables. `jinja2.meta.find_undeclared_variables` finds them
    with a whole second code-generation pass; this gets them from the pass that compiles."""

    def enter_frame(self, frame: Frame) -> None:
        super().enter_frame(frame)
        sink = _collecting.get()
        if sink is not None:
            for action, param in frame.symbols.loads.values():
                if action == VAR_LOAD_RESOLVE and param not in self.environment.globals:
                    sink.add(param)


class _Environment(BoundedSandbox):
    code_generator_class = _TrackingCodeGenerator


def _check_literals(ast: nodes.Template, name: str, filename: str) -> None:
    """A number literal too big for a double (`1e400`) is infinity, which Jinja compiles to
    the name `inf` (a NameError at render) or folds to the text "inf": refused, as a value
    that is not a JSON number is refused as an input (PR055)."""
    for node in ast.find_all(nodes.Const):
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            raise CompileLimitError(
                f"the number literal is too big for a float (it would be {value}): "
                "write a smaller one",
                node.lineno,
                name,
                filename,
            )


class TemplateEnv:
    """One per prompts directory; caches analysed partials so shared ones are read once."""

    def __init__(
        self,
        prompts_dir: Path,
        reader: PartialReader | None = None,
        code_cache: CodeCache | None = None,
        limits: Limits = DEFAULT,
        max_bytes: int = MAX_PARTIAL_BYTES,
    ) -> None:
        """`max_bytes`: the largest partial read (`lint.max_file_bytes`), as for prompt files:
        compiling costs memory in proportion to the text (~18 times its size)."""
        self.prompts_dir = prompts_dir
        self.code_cache = code_cache
        self.limits = limits
        reader = reader or directory_reader(prompts_dir, max_bytes)
        self.env = _Environment(
            loader=PartialLoader(prompts_dir, reader, max_bytes),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=-1,
            finalize=finalize,
            extensions=[RoleMarkers, MediaTag],  # structure comes from template text only
        )
        self.env.limits = limits
        self._partials: dict[str, Partial | IncludeError] = {}
        self.globals = dict(self.env.globals)

    def parse(self, source: str, name: str | None = None) -> nodes.Template:
        return self.env.parse(source, name=name)

    def analyse(self, source: str, *, name: str, filename: str) -> Analysis:
        """Compile `source` and read what it depends on, from the code cache when it was
        seen before. Raises jinja2.TemplateSyntaxError."""
        return memoize(
            self.code_cache,
            # The node limit decides whether a template compiles: a part of the key.
            ("template", name, filename, source, str(self.limits.max_template_nodes)),
            lambda: self._analyse_now(source, name=name, filename=filename),
            Analysis.to_data,
            Analysis.from_data,
        )

    def _analyse_now(self, source: str, *, name: str, filename: str) -> Analysis:
        variables: set[str] = set()
        token = _collecting.set(variables)
        try:
            ast = self.env.parse(source, name=name)
            _check_literals(ast, name, filename)
            code = self.env.compile(ast, name=name, filename=filename)
            references = inspect_ast(ast, frozenset(variables))
        except jinja2.TemplateSyntaxError:
            raise
        except (RecursionError, MemoryError):
            raise CompileLimitError(
                "template is nested too deeply to compile (parentheses, brackets, "
                "{% if %}/{% for %} blocks): flatten it",
                1,
                name,
                filename,
            ) from None
        except SyntaxError as err:  # Python's compiler: "too many statically nested blocks"
            raise CompileLimitError(
                f"template cannot be compiled: {err.msg}: nest fewer blocks", 1, name, filename
            ) from None
        except LimitExceeded as err:  # max_template_nodes
            refused = CompileLimitError(str(err), 1, name, filename)
            refused.limit = err.key
            raise refused from None
        except (ValueError, OverflowError) as err:  # e.g. an integer literal of 5,000 digits
            raise CompileLimitError(
                f"template cannot be compiled: {err}", 1, name, filename
            ) from None
        finally:
            _collecting.reset(token)
        return Analysis(code, frozenset(variables), *references)

    def template(self, analysis: Analysis) -> jinja2.Template:
        return self.env.template_class.from_code(
            self.env, analysis.code, self.env.make_globals(None), lambda: True
        )

    def partial(self, name: str) -> Partial:
        cached = self._partials.get(name)
        if cached is None:
            try:
                assert self.env.loader is not None
                source = self.env.loader.get_source(self.env, name)[0]
            except IncludeError as err:
                cached = err
            else:
                cached = self._analyse_partial(name, source)
            self._partials[name] = cached
        if isinstance(cached, IncludeError):
            raise cached
        return cached

    def _analyse_partial(self, name: str, source: str) -> Partial:
        """Analyse a partial once; Jinja's own cache is primed with its template, so rendering
        an include never compiles it again."""
        try:
            analysis = self.analyse(source, name=name, filename=str(self.prompts_dir / name))
        except jinja2.TemplateSyntaxError as syntax:
            return Partial(name, source, None, syntax)
        assert self.env.loader is not None and self.env.cache is not None
        template = self.template(analysis)
        self.env.cache[(weakref.ref(self.env.loader), name)] = template
        self.env.compiled[name] = template
        return Partial(name, source, analysis, None)

    def closure(self, body: Analysis) -> Closure:
        """Walk the include closure of an analysed body. Problems deep inside partials are
        reported at the line of the top-level statement that leads to them."""
        problems = list(body.problems)
        variables = set(body.variables)
        uses: dict[str, tuple[int, str | None]] = {
            name: (line, None) for name, line in body.first_use.items()
        }
        order: list[str] = []
        sources: dict[str, str] = {}
        done: set[str] = set()

        def visit(analysis: Analysis, stack: tuple[str, ...], top_line: int | None) -> None:
            for ref in analysis.references:
                line = top_line if top_line is not None else ref.lineno
                where = f" (in {stack[-1]} line {ref.lineno})" if stack else ""
                if len(stack) >= MAX_INCLUDE_DEPTH:
                    problems.append(
                        TemplateProblem(
                            "PR055",
                            f"includes nest more than {MAX_INCLUDE_DEPTH} deep{where}: "
                            "rendering them would exhaust Python's stack",
                            line,
                        )
                    )
                    return
                if ref.target is None:
                    problems.append(
                        TemplateProblem(
                            "PR046",
                            f"include/import target must be a string literal{where}: "
                            "promptreg must know every file a prompt depends on",
                            line,
                        )
                    )
                    continue
                if ref.target in stack:
                    cycle = " → ".join((*stack[stack.index(ref.target) :], ref.target))
                    problems.append(TemplateProblem("PR045", f"include cycle: {cycle}", line))
                    continue
                try:
                    part = self.partial(ref.target)
                except IncludeError as err:
                    if not (ref.ignore_missing and err.code == "PR043"):
                        problems.append(TemplateProblem(err.code, err.detail + where, line))
                    continue
                if part.name not in sources:
                    order.append(part.name)
                    sources[part.name] = part.source
                if part.name in done:
                    continue
                if part.error is not None or part.analysis is None:
                    err_line = part.error.lineno if part.error else 0
                    message = part.error.message if part.error else "does not parse"
                    code = getattr(part.error, "code", "PR040")
                    problems.append(
                        TemplateProblem(code, f"in {part.name} line {err_line}: {message}", line)
                    )
                    continue
                for p in part.analysis.problems:
                    problems.append(
                        TemplateProblem(p.code, f"in {part.name} line {p.line}: {p.message}", line)
                    )
                for name in part.analysis.variables:
                    variables.add(name)
                    uses.setdefault(name, (line, part.name))
                done.add(part.name)
                visit(part.analysis, (*stack, part.name), line)

        visit(body, (), None)
        return Closure(tuple(order), frozenset(variables), tuple(problems), sources, uses)
