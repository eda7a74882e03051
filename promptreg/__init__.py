"""promptreg: a Git-native prompt registry.

    import promptreg
    prompt = promptreg.load("prompts/support/triage.prompt")
    messages = prompt.render(ticket="My invoice is wrong")

Imports are lazy so that `import promptreg` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptreg.errors import (
        BudgetError,
        InputError,
        LimitError,
        PromptFileError,
        PromptregError,
        RenderError,
    )
    from promptreg.otel import otel_attributes
    from promptreg.project import Project, load
    from promptreg.prompt import Prompt, Rendered
    from promptreg.registry import Registry

__all__ = [
    "BudgetError",
    "InputError",
    "LimitError",
    "Project",
    "Prompt",
    "PromptFileError",
    "PromptregError",
    "Registry",
    "RenderError",
    "Rendered",
    "load",
    "otel_attributes",
]

_WHERE = {
    "BudgetError": "promptreg.errors",
    "InputError": "promptreg.errors",
    "LimitError": "promptreg.errors",
    "PromptFileError": "promptreg.errors",
    "PromptregError": "promptreg.errors",
    "RenderError": "promptreg.errors",
    "Project": "promptreg.project",
    "load": "promptreg.project",
    "Prompt": "promptreg.prompt",
    "Rendered": "promptreg.prompt",
    "Registry": "promptreg.registry",
    "otel_attributes": "promptreg.otel",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'promptreg' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
