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
    from promptreg.project.project import Project, load
    from promptreg.registry.runtime import Registry
    from promptreg.template.prompt import Prompt, Rendered

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
]

_WHERE = {
    "BudgetError": "promptreg.errors",
    "InputError": "promptreg.errors",
    "LimitError": "promptreg.errors",
    "PromptFileError": "promptreg.errors",
    "PromptregError": "promptreg.errors",
    "RenderError": "promptreg.errors",
    "Project": "promptreg.project.project",
    "load": "promptreg.project.project",
    "Prompt": "promptreg.template.prompt",
    "Rendered": "promptreg.template.prompt",
    "Registry": "promptreg.registry.runtime",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'promptreg' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
