"""promptreg: a Git-native prompt registry.

    import promptreg
    prompt = promptreg.load("prompts/support/triage.prompt")
    messages = prompt.render(ticket="My invoice is wrong")

Imports are lazy so that `import promptreg` stays cheap: a name is imported from its module
the first time it is used. `_PUBLIC` is the one list of the public API (`__all__`, `dir()` and
tab completion read it); the imports under TYPE_CHECKING mirror it for type checkers, and a
test holds the two equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # `X as X`: re-exported for type checkers (strict mode re-exports nothing implicitly)
    from promptreg.errors import BatchRefused as BatchRefused
    from promptreg.errors import BudgetError as BudgetError
    from promptreg.errors import BundleError as BundleError
    from promptreg.errors import ConfigError as ConfigError
    from promptreg.errors import DatasetError as DatasetError
    from promptreg.errors import DeployError as DeployError
    from promptreg.errors import GitError as GitError
    from promptreg.errors import HookExistsError as HookExistsError
    from promptreg.errors import IncompleteRunError as IncompleteRunError
    from promptreg.errors import InputError as InputError
    from promptreg.errors import LimitError as LimitError
    from promptreg.errors import NotARepositoryError as NotARepositoryError
    from promptreg.errors import PromotionRefused as PromotionRefused
    from promptreg.errors import PromptFileError as PromptFileError
    from promptreg.errors import PromptNotFoundError as PromptNotFoundError
    from promptreg.errors import PromptregError as PromptregError
    from promptreg.errors import PushRefusedError as PushRefusedError
    from promptreg.errors import PushRejectedError as PushRejectedError
    from promptreg.errors import ReleaseRefused as ReleaseRefused
    from promptreg.errors import RemoteError as RemoteError
    from promptreg.errors import RenderError as RenderError
    from promptreg.errors import SignatureError as SignatureError
    from promptreg.errors import StaleLockError as StaleLockError
    from promptreg.errors import StateError as StateError
    from promptreg.errors import SyncError as SyncError
    from promptreg.errors import TagExistsError as TagExistsError
    from promptreg.errors import UsageError as UsageError
    from promptreg.errors import WriteError as WriteError
    from promptreg.project.project import Project as Project
    from promptreg.project.project import load as load
    from promptreg.registry.otel import otel_attributes as otel_attributes
    from promptreg.registry.runtime import Registry as Registry
    from promptreg.template.prompt import Prompt as Prompt
    from promptreg.template.prompt import Rendered as Rendered

_ERRORS = "promptreg.errors"
_PUBLIC: dict[str, str] = {
    "load": "promptreg.project.project",
    "Project": "promptreg.project.project",
    "Prompt": "promptreg.template.prompt",
    "Rendered": "promptreg.template.prompt",
    "Registry": "promptreg.registry.runtime",
    "otel_attributes": "promptreg.registry.otel",
    # every public error class: all are PromptregErrors, in promptreg/errors.py
    "PromptregError": _ERRORS,
    "UsageError": _ERRORS,
    "ConfigError": _ERRORS,
    "PromptNotFoundError": _ERRORS,
    "PromptFileError": _ERRORS,
    "InputError": _ERRORS,
    "RenderError": _ERRORS,
    "LimitError": _ERRORS,
    "BudgetError": _ERRORS,
    "WriteError": _ERRORS,
    "GitError": _ERRORS,
    "NotARepositoryError": _ERRORS,
    "TagExistsError": _ERRORS,
    "StaleLockError": _ERRORS,
    "PushRejectedError": _ERRORS,
    "PushRefusedError": _ERRORS,
    "RemoteError": _ERRORS,
    "SyncError": _ERRORS,
    "StateError": _ERRORS,
    "DeployError": _ERRORS,
    "BatchRefused": _ERRORS,
    "ReleaseRefused": _ERRORS,
    "PromotionRefused": _ERRORS,
    "BundleError": _ERRORS,
    "SignatureError": _ERRORS,
    "HookExistsError": _ERRORS,
    "DatasetError": _ERRORS,
    "IncompleteRunError": _ERRORS,
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'promptreg' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next use is a plain attribute read
    return value


def __dir__() -> list[str]:
    """The public API, for `dir(promptreg)` and a REPL's tab completion."""
    return list(__all__)
