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
# Dated snapshots of the usual undated aliases, for the hint: a hint names a snapshot of the
# *same* model, or none (a different model is a different prompt's behaviour). Keys are the
# alias as written in a prompt (lower-case); bedrock ids carry their own version suffix.
SNAPSHOTS = {
    "openai": {
        "gpt-4o": "gpt-4o-2024-08-06",
        "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
        "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
        "gpt-4": "gpt-4-0613",
        "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
        "gpt-4.1": "gpt-4.1-2025-04-14",
        "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
        "o1": "o1-2024-12-17",
        "o3": "o3-2025-04-16",
        "o3-mini": "o3-mini-2025-01-31",
        "o4-mini": "o4-mini-2025-04-16",
    },
    "anthropic": {
        "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5": "claude-haiku-4-5-20251001",
        "claude-opus-4-1": "claude-opus-4-1-20250805",
        "claude-opus-4-0": "claude-opus-4-20250514",
        "claude-sonnet-4-0": "claude-sonnet-4-20250514",
        "claude-3-7-sonnet": "claude-3-7-sonnet-20250219",
        "claude-3-5-haiku": "claude-3-5-haiku-20241022",
    },
    "bedrock": {
        "anthropic.claude-sonnet-4-5": "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-opus-4-1": "anthropic.claude-opus-4-1-20250805-v1:0",
    },
}
SNAPSHOTS["azure"] = SNAPSHOTS["openai"]


def pinned_snapshot(provider: str, name: str) -> str | None:
    """A dated snapshot of the model `name` aliases (None when promptreg knows none)."""
    return SNAPSHOTS.get(provider.lower(), {}).get(name.lower())


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
        snapshot = pinned_snapshot(provider, name)
        pin = (
            f"pin a dated snapshot of it, such as {snapshot!r}"
            if snapshot
            else "pin one of its dated snapshots (the provider's model list names them)"
        )
        return (
            "PR031",
            f"model {name!r} is an undated alias that moves between snapshots; {pin}, "
            "or list it under lint.allowed_models",
        )
    return None
