"""The one Jinja environment: sandboxed, strict, and confined to the prompts directory.

Also the static analysis every prompt gets once: which partials it includes (transitively),
which variables the whole include closure uses, and where it reaches for something it must not.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import weakref
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import Frame
from jinja2.idtracking import VAR_LOAD_RESOLVE

from promptreg.codecache import CodeCache, memoize
from promptreg.limits import DEFAULT, LimitExceeded, Limits
from promptreg.names import SUFFIX
from promptreg.template.analysis import Analysis, TemplateProblem, inspect_ast
from promptreg.template.markers import RESERVED_CHAR, RoleMarkers, StructureCodeGenerator
from promptreg.template.render import finalize
from promptreg.template.sandbox import BoundedCodeGenerator, BoundedSandbox


class IncludeError(jinja2.TemplateNotFound):
    """An include that is missing (PR043) or not allowed (PR044)."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(name, message)
        self.code = code
        self.detail = message


# Each nested include costs the render a few Python frames (and this walk one): far more
# than any prompt needs, far less than Python's recursion limit.
MAX_INCLUDE_DEPTH = 64


class CompileLimitError(jinja2.TemplateSyntaxError):
    """A template that cannot be compiled within Python's and Jinja's limits (PR055): nested
    too deeply for the parser or Python's compiler, or a literal too big to convert."""

    code = "PR055"
    limit = "compile"  # or the `limits:` key that refused it (max_template_nodes)


def include_problem(name: str) -> str | None:
    """Why an include target is not allowed, or None."""
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        return f"include {name!r} contains a control character"
    if name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        return f"include {name!r} must be a path relative to the prompts directory"
    if any(part in ("..", ".") for part in name.split("/")):
        return f"include {name!r} escapes the prompts directory (no `..`)"
    if name.endswith(SUFFIX):
        return f"include {name!r} is a prompt file; move the shared text into a partial (.j2)"
    return None


PartialReader = Callable[[str], str]
"""Reads a partial by its name under the prompts directory; raises FileNotFoundError if absent
and IncludeError (PR044, PR006) if it may not be read."""


MAX_PARTIAL_BYTES = 1_000_000
"""The default of `lint.max_file_bytes`, which holds partials as it holds prompt files."""


def directory_reader(prompts_dir: Path, max_bytes: int = MAX_PARTIAL_BYTES) -> PartialReader:
    """Partials from a prompts directory on disk. A symlink on the way (the partial itself or
    a directory above it) is refused with PR006: git stores the link, not what it points to,
    so following it here would render something else than a deployed prompt does. A file over
    `max_bytes` is refused (PR004) before it is read."""

    def read(name: str) -> str:
        link = symlink_under(prompts_dir, name)
        if link is not None:
            raise IncludeError(name, "PR006", symlink_message(f"include {name!r}", link, name))
        path = prompts_dir / name
        size = path.stat().st_size
        if size > max_bytes:
            raise IncludeError(name, "PR004", too_big_message(name, size, max_bytes))
        return read_text(path)

    return read


def too_big_message(name: str, size: int, max_bytes: int) -> str:
    return (
        f"included template {name!r} is {size:,} bytes, over the limit of {max_bytes:,} "
        "(lint.max_file_bytes)"
    )


def symlink_under(root: Path, relative: str) -> str | None:
    """The first part of `relative` (a `/`-separated path under `root`: a directory on the
    way, or the file itself) that is a symbolic link on disk, or None."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        if os.path.islink(root.joinpath(*parts[:depth])):
            return "/".join(parts[:depth])
    return None


def symlink_message(what: str, link: str, relative: str) -> str:
    """The PR006 message: the same words for the working tree and for git."""
    where = "is a symlink" if link == relative else f"lies under the symlinked directory {link!r}"
    return (
        f"{what} {where} (under the prompts directory): git stores a link, not the file it "
        "points to, so promptreg refuses it; replace it with the file itself"
    )


class _PartialLoader(jinja2.BaseLoader):
    """Jinja's view of the partials: only names `include_problem` allows, via one reader."""

    def __init__(
        self, prompts_dir: Path, reader: PartialReader, max_bytes: int = MAX_PARTIAL_BYTES
    ) -> None:
        self.prompts_dir = prompts_dir
        self.reader = reader
        self.max_bytes = max_bytes

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        problem = include_problem(template)
        if problem:
            raise IncludeError(template, "PR044", problem)
        try:
            source = self.reader(template)
        except IncludeError:  # an OSError too, through jinja2.TemplateNotFound
            raise
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise IncludeError(
                template, "PR043", f"included template {template!r} not found under prompts/"
            ) from None
        except OSError as err:  # a name too long, a permission denied, a symlink loop
            raise IncludeError(
                template, "PR043", f"included template {template!r} cannot be read: {err.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise IncludeError(
                template, "PR043", f"included template {template!r} is not UTF-8"
            ) from None
        if len(source) > self.max_bytes // 4:  # a reader that cannot tell the size first (git)
            size = len(source.encode("utf-8", "surrogatepass"))
            if size > self.max_bytes:
                raise IncludeError(
                    template, "PR004", too_big_message(template, size, self.max_bytes)
                )
        if RESERVED_CHAR in source:
            line = source.count("\n", 0, source.index(RESERVED_CHAR)) + 1
            raise IncludeError(
                template, "PR049", f"included template {template!r} contains U+E000 (line {line})"
            )
        return source, str(self.prompts_dir / template), lambda: True


def read_text(path: Path) -> str:
    """A partial or prompt file's text from disk (see `decode_source`)."""
    return decode_source(read_regular(path))


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path` if it is a regular file (at most `limit` + 1 of them). A FIFO,
    a device or a socket under the prompts directory would block `validate` forever or
    stream without end (git can store none of them): it is an OSError here. Opened without
    blocking and checked on the open descriptor, so nothing can swap the file in between."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read() if limit is None else handle.read(limit + 1)
    finally:
        os.close(fd)


def decode_source(data: bytes) -> str:
    """A prompt or partial's text: UTF-8 (BOM dropped), newlines normalised to `\\n`.

    Normalising keeps content hashes equal across checkouts with and without CRLF conversion.
    Raises UnicodeDecodeError.
    """
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n") if "\r" in text else text


@dataclass(frozen=True)
class Closure:
    """What a template depends on: partial names in include order, and every variable used."""

    partials: tuple[str, ...]
    variables: frozenset[str]
    problems: tuple[TemplateProblem, ...]
    sources: dict[str, str]
    # Where each variable is first used: (line in the template analysed, partial or None).
    # A variable used only inside a partial is placed at the include that brings it in.
    uses: dict[str, tuple[int, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
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
            loader=_PartialLoader(prompts_dir, reader, max_bytes),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=-1,
            finalize=finalize,
            extensions=[RoleMarkers],  # role markers come from template text only
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


HASH_SCHEME = 2
"""The content hash scheme `content_hash` computes (1: `legacy_content_hash`)."""

# A lexer with the settings of `TemplateEnv`'s environment (Jinja shares one lexer between
# environments whose settings agree; a test holds them to the same object).
_LEXING = jinja2.Environment(keep_trailing_newline=False)
# Delimiters count only as what they are: `{%-` strips whitespace, which the data tokens
# around it already show.
_DELIMITERS = frozenset(("block_begin", "block_end", "variable_begin", "variable_end"))


def content_hash(
    body: str,
    partial_sources: Mapping[str, str],
    *,
    front_matter: Mapping[str, Any],
    cache: CodeCache | None = None,
) -> str:
    """`sha256:` over exactly what decides the request sent to the model (scheme 2):

    - the body and every included partial (by name) as Jinja reads them: the token stream
      with comments dropped, adjacent text merged, whitespace inside tags ignored and
      literals by value, so a comment, `{{x}}` vs `{{ x }}` or `'a'` vs `"a"` change nothing,
      while whitespace control (`{#- -#}`) does when it changes the text around it;
    - the `model` block (provider, name, params) as canonical JSON (key order, YAML style
      and `0.20` vs `0.2` do not count);
    - every input's `default` that is not null (what the template sees for an input that is
      not given; no default and `default: null` both render as null), by its Python value.

    Not covered, because they never change a request that is made: version, description,
    owners, metadata, sample, budget, evals, and input types, `required`, `enum`,
    `max_chars` and descriptions (they decide which inputs are accepted, not what an accepted
    one renders). Also not covered: promptreg's and Jinja's own code (the filters, the
    sandbox); an upgrade that changed rendering would not change hashes.
    """
    defaults = {}
    inputs = front_matter.get("inputs")
    if isinstance(inputs, Mapping):
        for name, decl in inputs.items():
            default = decl.get("default") if isinstance(decl, Mapping) else None
            if default is not None:
                defaults[str(name)] = repr(default)
    canonical = json.dumps(
        {
            "scheme": HASH_SCHEME,
            "body": template_digest(body, cache),
            "partials": {
                name: template_digest(text, cache) for name, text in partial_sources.items()
            },
            "model": front_matter.get("model"),
            "defaults": defaults,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def template_digest(source: str, cache: CodeCache | None = None) -> str:
    """The sha256 of what Jinja renders `source` from (see `content_hash`); a text Jinja cannot
    lex is hashed as it is (it renders nothing). Kept in the code cache: lexing costs ~20 µs
    per KiB."""
    return memoize(cache, ("digest-2", source), lambda: _digest_now(source), str, _as_digest)


def _as_digest(data: Any) -> str:
    if not isinstance(data, str):
        raise TypeError("not a digest")
    return data


def _digest_now(source: str) -> str:
    h = hashlib.sha256()
    try:
        pending: list[str] = []
        for token in _LEXING.lexer.tokenize(source):
            if token.type == "data":
                pending.append(token.value)
                continue
            if pending:
                _feed(h, "data", "".join(pending))
                pending = []
            value = "" if token.type in _DELIMITERS else token.value
            kind = type(value).__name__
            _feed(h, token.type, f"{kind}:{value if isinstance(value, str) else repr(value)}")
        if pending:
            _feed(h, "data", "".join(pending))
    except jinja2.TemplateSyntaxError:
        h = hashlib.sha256(b"unlexable\0" + source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _feed(h: Any, kind: str, value: str) -> None:
    data = value.encode("utf-8", "surrogatepass")
    h.update(f"{kind}:{len(data)}:".encode())
    h.update(data)


def legacy_content_hash(body: str, partial_sources: Mapping[str, str], model: Any) -> str:
    """The content hash of scheme 1 (earlier releases): the raw text of the body and the
    partials (comments included) and the model block, input defaults not included. Kept so
    that deployments and scores recorded under it can still be recognised."""
    canonical = json.dumps(
        {"body": body, "partials": dict(partial_sources), "model": model},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
