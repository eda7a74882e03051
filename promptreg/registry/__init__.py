"""Git as the registry: the git store, the tag scheme and tag objects, selectors, the ref index,
the read model of deployments, the runtime `Registry`, bundles, signatures, deploy and history.

Layer 4 of promptreg. `Registry` is exposed here lazily (module `__getattr__`), so importing
`promptreg.registry.tags` does not import the runtime registry and what it pulls in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptreg.registry.runtime import Registry

__all__ = ["Registry"]


def __getattr__(name: str) -> Any:
    if name == "Registry":
        from promptreg.registry.runtime import Registry

        return Registry
    raise AttributeError(f"module 'promptreg.registry' has no attribute {name!r}")
