"""The `Prompt`: a checked prompt file, compiled on first render, rendered many times."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2
from jinja2.exceptions import SecurityError

from promptreg import limits
from promptreg.errors import BudgetError, LimitError, RenderError
from promptreg.frontmatter.inputs import resolve_inputs
from promptreg.frontmatter.spec import Budget, Evals, InputSpec, ModelSpec, PromptSpec
from promptreg.template.content_hash import content_hash, legacy_content_hash
from promptreg.template.media import MediaError
from promptreg.template.render import (
    ChatMessage,
    LeadingTextError,
    NoneOutputError,
    render_raw,
    rendered_messages,
)
from promptreg.template.sandbox_filters import FilterError
from promptreg.template.tokens import TokenCount, count_messages, upper_bound

if TYPE_CHECKING:
    from promptreg.registry.tags import Deployment
    from promptreg.template.environment import Closure, TemplateEnv


class Rendered(NamedTuple):
    """A rendering: `messages` always (a text prompt is one user message); `text` for text
    prompts only."""

    messages: list[ChatMessage]
    text: str | None

    @property
    def kind(self) -> str:
        return "text" if self.text is not None else "chat"


class _Compiled:
    """What a Prompt works out lazily, shared by its copies (`with_deployment`)."""

    def __init__(
        self,
        template: jinja2.Template | None,
        closure: Closure | None,
        content_hash: str | None,
    ) -> None:
        self.template = template
        self.closure = closure
        self.content_hash = content_hash
        self.lock = threading.Lock()


class Prompt:
    """A prompt file that passed loading: parsed, typed, its include closure known and hashed.

    `render(**inputs)` checks the inputs against the declaration, renders in the sandbox,
    splits the chat roles, and enforces `budget.max_input_tokens`. A prompt resolved through
    the git registry also carries the commit it was read at (`revision`) and, when it came
    from an environment, the deployment tag that put it there (`deployment`).
    """

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        shown_path: str,
        spec: PromptSpec,
        body: str,
        body_line: int,
        env: TemplateEnv,
        template: jinja2.Template | None = None,
        closure: Closure | None = None,
        content_hash: str | None = None,
        revision: str | None = None,
        deployment: Deployment | None = None,
    ) -> None:
        """`template`, `closure` and `content_hash` may be left out (all three, or the hash
        alone): they are worked out on first need, so loading many prompts (a registry's
        `get_all`) compiles no template nobody renders."""
        self.name = name
        self.path = path
        self.shown_path = shown_path
        self.spec = spec
        self.body = body
        self.body_line = body_line
        self.revision = revision
        self.deployment = deployment
        self._env = env
        self._lazy = _Compiled(template, closure, content_hash)

    def __repr__(self) -> str:
        return f"<Prompt {self.name} {self.version} {self.content_hash[:19]}>"

    def with_deployment(self, deployment: Deployment | None) -> Prompt:
        """The same prompt (sharing its compiled template) as deployed by `deployment`."""
        clone = copy.copy(self)
        clone.deployment = deployment
        return clone

    def _analyse(self) -> Closure:
        """Parse and compile the body and walk its include closure (once)."""
        lazy = self._lazy
        if lazy.closure is None:
            with lazy.lock:
                if lazy.closure is None:
                    try:
                        analysis = self._env.analyse(
                            self.body, name=self.name, filename=str(self.path)
                        )
                    except jinja2.TemplateSyntaxError as err:
                        raise self._syntax_error(err) from None
                    template = self._env.template(analysis)
                    closure = self._env.closure(analysis)
                    if closure.problems:
                        first = closure.problems[0]
                        raise RenderError(
                            f"{first.code} {first.message}",
                            path=self.shown_path,
                            line=self.body_line - 1 + first.line,
                        )
                    if lazy.template is None:
                        lazy.template = template
                    lazy.closure = closure
        assert lazy.closure is not None
        return lazy.closure

    def _syntax_error(self, err: jinja2.TemplateSyntaxError) -> RenderError:
        line = self.body_line - 1 + (err.lineno or 1)
        if getattr(err, "code", None) == "PR055":  # environment.CompileLimitError
            limit = getattr(err, "limit", "compile")
            return LimitError(f"{err.message}", limit=limit, path=self.shown_path, line=line)
        return RenderError(f"template syntax error: {err.message}", path=self.shown_path, line=line)

    @property
    def content_hash(self) -> str:
        """`sha256:` over what decides the request to the model: the body and the included
        partials as Jinja reads them (comments not counted), the model block and the inputs'
        defaults (see `environment.content_hash`)."""
        lazy = self._lazy
        if lazy.content_hash is None:
            closure = self._analyse()
            lazy.content_hash = content_hash(
                self.body,
                closure.sources,
                front_matter=self.spec.raw,
                cache=self._env.code_cache,
                dialect=self.spec.dialect,
            )
        return lazy.content_hash

    @property
    def hash_known(self) -> bool:
        """Whether the content hash is worked out already (or was given)."""
        return self._lazy.content_hash is not None

    def know_content_hash(self, value: str) -> None:
        """Take `value` as the content hash without analysing the template: only for a hash
        computed from this same content before (see hashcache.py)."""
        if self._lazy.content_hash is None:
            self._lazy.content_hash = value

    @property
    def legacy_content_hash(self) -> str:
        """The content hash under scheme 1 (raw text with comments, no input defaults), which
        deployments, bundles and scores recorded by earlier releases carry."""
        closure = self._analyse()
        return legacy_content_hash(self.body, closure.sources, self.spec.raw.get("model"))

    def has_content_hash(self, recorded: str | None) -> bool:
        """Whether `recorded` (from a tag, a bundle or an `evals` block) is this prompt's
        content hash, under the current scheme or under scheme 1: the one comparison to use
        where a record made by an earlier release must still be recognised."""
        if recorded is None:
            return False
        # Scheme 1 never covered `output`/`tools` (no release that wrote it knew them). The
        # legacy hash is computed only when needed: it analyses the template.
        return recorded == self.content_hash or (
            not _asks_structured(self.spec) and recorded == self.legacy_content_hash
        )

    def is_legacy_match(self, recorded: str | None) -> bool:
        """Whether `recorded` matches only under scheme 1 *and* scheme 1 does not prove it is
        the same request: the prompt has a non-null input default, which scheme 1 does not
        cover (a tag copied onto a commit that only changed a default would match). Without
        defaults, scheme 1 covers everything that decides the request: a full match."""
        if recorded is None or recorded == self.content_hash or not self.has_input_defaults:
            return False
        return not _asks_structured(self.spec) and recorded == self.legacy_content_hash

    @property
    def has_input_defaults(self) -> bool:
        """Whether any input declares a non-null `default` (what scheme 2 covers and scheme 1
        does not; the same test `environment.content_hash` applies)."""
        inputs = self.spec.raw.get("inputs")
        if not isinstance(inputs, Mapping):
            return False
        return any(
            isinstance(decl, Mapping) and decl.get("default") is not None
            for decl in inputs.values()
        )

    @property
    def partials(self) -> tuple[str, ...]:
        """Names of every partial the body includes, transitively, in include order."""
        return self._analyse().partials

    @property
    def variables(self) -> frozenset[str]:
        """Every variable the body and its partials use."""
        return self._analyse().variables

    def partial_sources(self) -> dict[str, str]:
        """The text of every included partial, by name."""
        return dict(self._analyse().sources)

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def model(self) -> ModelSpec | None:
        return self.spec.model

    @property
    def inputs(self) -> Mapping[str, InputSpec]:
        return self.spec.inputs

    @property
    def description(self) -> str | None:
        return self.spec.description

    @property
    def budget(self) -> Budget | None:
        return self.spec.budget

    @property
    def sample(self) -> Mapping[str, Any] | None:
        return self.spec.sample

    @property
    def evals(self) -> Evals | None:
        return self.spec.evals

    def request(self, rendered: Rendered) -> dict[str, Any]:
        """The body an OpenAI-compatible client posts for `rendered` (`request_body`)."""
        from promptreg.frontmatter.structured import request_body

        return request_body(self.spec, rendered.messages)

    @property
    def template(self) -> jinja2.Template:
        """The compiled template (compiled once, on first use), its include closure walked:
        partials from the code cache, not compiled again by Jinja's loader at first render."""
        lazy = self._lazy
        template = lazy.template
        if template is None and lazy.closure is None:  # (a hash known from a cache or bundle)
            self._analyse()
            template = lazy.template
        if template is None:
            with lazy.lock:
                if lazy.template is None:
                    try:
                        analysis = self._env.analyse(
                            self.body, name=self.name, filename=str(self.path)
                        )
                        lazy.template = self._env.template(analysis)
                    except jinja2.TemplateSyntaxError as err:
                        raise self._syntax_error(err) from None
                template = lazy.template
        return template

    def render(self, **inputs: Any) -> list[ChatMessage]:
        """Chat messages `[{"role", "content"}, ...]`; a text prompt is one user message."""
        return self.render_inputs(inputs).messages

    def render_text(self, **inputs: Any) -> str:
        """The text of a text prompt (no role markers). A chat prompt raises `RenderError`."""
        rendered = self.render_inputs(inputs)
        if rendered.text is None:
            raise RenderError(
                "is a chat prompt: use render() for its messages", path=self.shown_path
            )
        return rendered.text

    def render_inputs(self, inputs: Mapping[str, Any], *, check_budget: bool = True) -> Rendered:
        values = resolve_inputs(
            self.spec.inputs, inputs, prompt=self.shown_path, limits=self._env.limits
        )
        trim = None  # issue 12: `whitespace: keep`, and a .prompty file's rules
        if self.spec.dialect is not None or self.spec.whitespace == "keep":
            from promptreg.template.prompty_render import render_rules

            trim = render_rules(self.spec, values, inputs, self.variables)
        values.update(self._env.globals)
        template = self.template
        try:
            raw, slots = render_raw(template, values)
            keep = trim is not None and not self.spec.dialect  # `whitespace: keep`
            rendered = Rendered(*rendered_messages(raw, slots, trim, keep=keep))
        except LeadingTextError as err:
            raise RenderError(
                "text before the first role marker: put it under `system:` or `user:`",
                path=self.shown_path,
                line=self.body_line,
            ) from err
        except Exception as err:  # anything the template's code raised (limits.py: LimitExceeded)
            raise self._render_error(err) from err
        if check_budget:
            self.check_budget(rendered)
        return rendered

    def count_tokens(self, rendered: Rendered, *, kept: bool = False) -> TokenCount:
        """`kept`: in the code cache (validate's samples, not an app's renders: each new)."""
        model = self.spec.model
        provider, name = (model.provider, model.name) if model else ("", "")
        cache = self._env.code_cache if kept else None
        return count_messages(rendered.messages, provider=provider, model=name, cache=cache)

    def check_budget(self, rendered: Rendered, *, kept: bool = False) -> None:
        """Raise BudgetError when `rendered` is over `budget.max_input_tokens`."""
        budget = self.spec.budget
        limit = budget.max_input_tokens if budget else None
        if limit is None or upper_bound(rendered.messages) <= limit:
            return
        count = self.count_tokens(rendered, kept=kept)
        if count.tokens > limit:
            how = "" if count.exact else " (estimated)"
            raise BudgetError(
                f"rendered prompt is {count.tokens:,} tokens{how}, over the budget of {limit:,}",
                path=self.shown_path,
                tokens=count.tokens,
                budget=limit,
            )

    def _render_error(self, err: BaseException) -> RenderError:
        path, line = self.shown_path, None
        where = _template_frame(err.__traceback__, self._env.prompts_dir)
        if where is not None:
            filename, lineno = where
            if filename == str(self.path):
                line = self.body_line - 1 + lineno
            else:
                path, line = _relative(filename), lineno
        if isinstance(err, limits.LimitExceeded):
            return LimitError(str(err), limit=err.key, path=path, line=line)
        if isinstance(err, (RecursionError, MemoryError)):
            what = "nested too deeply" if isinstance(err, RecursionError) else "out of memory"
            return LimitError(
                f"template work {what} (recursive macros or includes?)",
                limit="recursion",
                path=path,
                line=line,
            )
        if isinstance(err, SecurityError):
            message = f"the sandbox refused: {err}"
        elif isinstance(err, jinja2.UndefinedError):
            message = f"{err.message}: declare it under `inputs` or fix the name"
        elif isinstance(err, NoneOutputError):
            message = f"{err}; give it a default or wrap it in {{% if %}}"
        elif isinstance(err, (MediaError, FilterError)):
            message = str(err)
        else:
            message = f"{type(err).__name__}: {err}"
        return RenderError(message, path=path, line=line)


def _asks_structured(spec: PromptSpec) -> bool:
    return "output" in spec.raw or "tools" in spec.raw


def _template_frame(tb: TracebackType | None, prompts_dir: Path) -> tuple[str, int] | None:
    """The innermost traceback frame that is template code: Jinja rewrites those frames so
    they carry the template's file name (a file under the prompts directory) and line."""
    root = str(prompts_dir)
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(root):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).relative_to(Path.cwd()))
    except ValueError:
        return filename
