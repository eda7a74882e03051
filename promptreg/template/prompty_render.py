"""The render rules a prompt's front-matter can change (issue 12): a `.prompty` file's (§1,
Prompty's rules for names and whitespace) and `whitespace: keep` (§3).

The loader (`project/prompty.py`) marks a Prompty file's spec with its `dialect`; `Prompt`
applies these rules at render time, and nothing else differs from a `.prompt` file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from promptreg.template.render import keep_edges

if TYPE_CHECKING:
    from promptreg.frontmatter.spec import PromptSpec


def render_rules(
    spec: PromptSpec, values: dict[str, Any], given: Mapping[str, Any], names: frozenset[str]
) -> Callable[[str, bool], str] | None:
    """How a message of this prompt is trimmed (None: promptreg's default), after filling
    `values` as Prompty would for a `.prompty` file: `whitespace: keep` keeps the edges
    (`render.keep_edges`), a Prompty dialect trims as Prompty does."""
    if spec.dialect is None:
        return keep_edges if spec.whitespace == "keep" else None
    lenient_values(values, given, names)
    return trim_for(spec.dialect)


def lenient_values(values: dict[str, Any], given: Mapping[str, Any], names: frozenset[str]) -> None:
    """Prompty's jinja2 and chevron print nothing for a name no input gives: every template
    name that is not set (or is an optional input left out) is Jinja's plain `Undefined`, as
    in Prompty's environment: it prints nothing, `default()` replaces it, and looking an
    attribute up on it is an error."""
    for name in names:
        if values.get(name) is None and name not in given:
            values[name] = _undefined()(name=name)


def _undefined() -> type:
    """Jinja's plain `Undefined`, but a private name looked up on it (promptreg's limits ask
    for one to size a value) is an AttributeError, as on any object, not an UndefinedError."""
    global _UNDEFINED
    if _UNDEFINED is None:
        import jinja2

        class Missing(jinja2.Undefined):
            __slots__ = ()

            def __getattr__(self, name: str) -> Any:
                if name.startswith("_"):
                    raise AttributeError(name)
                return super().__getattr__(name)

        _UNDEFINED = Missing
    return _UNDEFINED


_UNDEFINED: type | None = None


def trim_for(dialect: str) -> Callable[[str, bool], str]:
    """How Prompty trims a message: v1 strips whitespace at both ends, v2 line breaks."""
    if dialect == "prompty2":
        return lambda text, last: text.strip("\n")
    return lambda text, last: text.strip()
