"""What a failed lookup says: what exists (deployments, releases), what was meant, and how to
get there. Error paths only, so the runtime registry imports this module only on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from promptreg.errors import PromptNotFoundError, PromptregError
from promptreg.names import name_problem
from promptreg.registry.tags import deployments_prefix, releases_pattern
from promptreg.versions import version_key

if TYPE_CHECKING:
    from promptreg.registry.gitregistry import GitRegistry
    from promptreg.registry.runtime import Registry


def check_known(registry: GitRegistry, name: str) -> None:
    """Raise PromptNotFoundError, saying what exists or what was meant, unless `name` is a
    prompt of the working tree, has a tag, or was ever committed (a deleted prompt keeps
    its past). Called by `history` and `log` only when they found nothing to show."""
    try:
        registry.project.locate(name)
        return
    except PromptNotFoundError:
        if name_problem(name) is not None:
            raise
        if registry.store.tags(releases_pattern(name), deployments_prefix(name)):
            return
        if registry.store.has_head() and registry.store.log([registry.prompt_path(name)]):
            return
        raise


def what_exists(registry: Registry, name: str) -> str:
    """`Deployed: dev 1.1.0; prod —. Released versions: 1.0.0, 1.1.0.` (error paths only)."""
    where = []
    for other in registry.environments:
        current = registry._newest_deployment(name, other)
        where.append(f"{other} {current.version}" if current else f"{other} —")
    versions = ", ".join(sorted(registry.releases(name), key=version_key)) or "none"
    return f"Deployed: {'; '.join(where)}. Released versions: {versions}."


def nothing_deployed(registry: Registry, name: str, env: str) -> str:
    check_known(registry, name)  # a misspelt name is that, not a prompt never deployed
    rejected = registry.reader.log(name, env).rejected
    why = (
        f" {len(rejected)} tag(s) there do not count as deployments "
        f"(the newest, {rejected[0].tag}: {rejected[0].reason}); see `promptreg verify`."
        if rejected
        else ""
    )
    return f"{name} has never been deployed to {env}. {what_exists(registry, name)}{why}"


def no_such_version(registry: GitRegistry, name: str, version: str) -> str:
    check_known(registry, name)
    released = registry.releases(name)
    versions = ", ".join(sorted(released, key=version_key)) or "none yet"
    hint = release_hint(registry, name, released)
    return f"{name} has no released version {version}. Released: {versions}{hint}"


def release_hint(registry: GitRegistry, name: str, released: list[str]) -> str:
    """How to release what the working tree has, when it is not released yet: never a
    suggestion to release a version that already is."""
    try:
        tree = registry.project.load(name, serving_checks=False).version
    except PromptregError:
        return ""
    if tree in released:
        return ""
    return (
        f" (the working tree has {tree}, not released yet: `promptreg release {name}` "
        "tags it once it is committed)"
    )
