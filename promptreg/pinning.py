"""Is a model name pinned? `latest` never is; known providers' undated aliases are not either.

An undated alias (`gpt-4o`, `claude-sonnet-4-5`) silently moves to a new snapshot when the
provider says so, and the prompt's evals stop describing what runs. Pin the dated id instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# Providers whose model ids carry a snapshot date: the pattern a pinned id ends with.
_DATED = {
    "openai": re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})\Z"),
    "azure": re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})\Z"),
    "anthropic": re.compile(r"-\d{8}\Z|@\d{8}\Z"),
    "bedrock": re.compile(r"-\d{8}-v\d+(:\d+)?\Z"),
}
_EXAMPLES = {
    "openai": "gpt-4o-2024-08-06",
    "azure": "gpt-4o-2024-08-06",
    "anthropic": "claude-sonnet-4-5-20250929",
    "bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0",
}
_LATEST = re.compile(r"(^|[-_.:/@])latest($|[-_.:/@])", re.I)


def pinning_problem(
    provider: str, name: str, allowed: Collection[str] = ()
) -> tuple[str, str] | None:
    """(rule code, message) when `name` is not pinned, else None. `allowed` names pass."""
    if name in allowed:
        return None
    if _LATEST.search(name):
        return "PR030", f"model {name!r} is not pinned: `latest` moves; name a dated snapshot"
    dated = _DATED.get(provider.lower())
    if dated is not None and not dated.search(name):
        example = _EXAMPLES[provider.lower()]
        return (
            "PR031",
            f"model {name!r} is an undated alias that moves between snapshots; pin a dated id "
            f"such as {example!r}, or list it under lint.allowed_models",
        )
    return None
