"""What a template's text tells us, worked out once and kept: its compiled code, the
variables it reads, what it includes, where it reaches for private attributes.

All of it is a function of the text alone (and of Jinja's version), so it is cached on disk
by `CodeCache` under a key of the text: a template seen before costs a file read and an
unmarshal (~50 µs) instead of a parse, a code generation and a Python compile (~1 ms).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import CodeType
from typing import Any

from jinja2 import nodes

from promptreg._record import record

FORMAT = "5"  # 3: role-marker lines compile to sentinels; 4: code bounded by sandbox.py;
# 5: a literal that is not a finite number is refused (environment.py)


@record(frozen=True)
class Reference:
    """An include/import/extends statement: its target (None when not a literal) and line."""

    target: str | None
    lineno: int
    ignore_missing: bool


@record(frozen=True)
class TemplateProblem:
    """A problem found by static analysis; `line` is relative to the template analysed."""

    code: str
    message: str
    line: int


@record(frozen=True)
class Analysis:
    code: CodeType
    variables: frozenset[str]
    references: tuple[Reference, ...]
    problems: tuple[TemplateProblem, ...]
    first_use: dict[str, int]  # variable -> first line reading it

    def to_data(self) -> tuple[Any, ...]:
        """Marshal-able data (see `codecache.memoize`)."""
        return (
            FORMAT,
            self.code,
            tuple(sorted(self.variables)),
            tuple((r.target, r.lineno, r.ignore_missing) for r in self.references),
            tuple((p.code, p.message, p.line) for p in self.problems),
            self.first_use,
        )

    @classmethod
    def from_data(cls, data: Any) -> Analysis:
        """Raises ValueError or TypeError for anything not of this format."""
        fmt, code, variables, refs, problems, first_use = data
        if fmt != FORMAT or not isinstance(code, CodeType):
            raise ValueError("not an analysis of this format")
        return cls(
            code,
            frozenset(variables),
            tuple(Reference(*r) for r in refs),
            tuple(TemplateProblem(*p) for p in problems),
            dict(first_use),
        )


def inspect_ast(
    ast: nodes.Template, variables: frozenset[str]
) -> tuple[tuple[Reference, ...], tuple[TemplateProblem, ...], dict[str, int]]:
    """References, sandbox-escape attempts and first uses of `variables`, in one tree walk."""
    refs: list[Reference] = []
    problems: list[TemplateProblem] = []
    first_use: dict[str, int] = {}
    for node in ast.find_all(_INTERESTING):
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in variables and node.name not in first_use:
                first_use[node.name] = node.lineno
        elif isinstance(node, _REFERENCE_NODES):
            refs.append(_reference(node))
        else:
            problem = _private_access(node)
            if problem is not None:
                problems.append(problem)
    return tuple(refs), tuple(problems), first_use


def references(ast: nodes.Template) -> Iterator[Reference]:
    """The include/import/extends statements of a parsed template."""
    for node in ast.find_all(_REFERENCE_NODES):
        yield _reference(node)


_REFERENCE_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_INTERESTING = (nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter, *_REFERENCE_NODES)


def _reference(node: nodes.Node) -> Reference:
    target = node.template  # type: ignore[attr-defined]
    literal = (
        target.value if isinstance(target, nodes.Const) and isinstance(target.value, str) else None
    )
    return Reference(literal, node.lineno, bool(getattr(node, "ignore_missing", False)))


def _private_access(node: nodes.Node) -> TemplateProblem | None:
    """A `_private` attribute or item, directly or through the `attr` filter (getattr by
    another name): sandbox-escape attempts visible in the source."""
    attr: Any
    if isinstance(node, nodes.Filter):
        first = node.args[0] if node.name == "attr" and node.args else None
        attr = first.value if isinstance(first, nodes.Const) else None
    elif isinstance(node, nodes.Getattr):
        attr = node.attr
    else:
        arg = node.arg  # type: ignore[attr-defined]
        attr = arg.value if isinstance(arg, nodes.Const) else None
    if isinstance(attr, str) and attr.startswith("_"):
        return TemplateProblem(
            "PR047",
            f"template reaches for the private attribute `{attr}`: the sandbox refuses it",
            node.lineno,
        )
    return None
