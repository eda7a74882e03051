"""Rollback: deploy an earlier version again, as a new tag; a rollback goes back, never forward
(see `rollback_path`)."""

from __future__ import annotations

from collections.abc import Sequence

from promptreg.errors import DeployError
from promptreg.registry.deployed import Deployed
from promptreg.registry.remote import fetch_for_deploy
from promptreg.registry.runtime import Registry
from promptreg.registry.tagging import create_deployment
from promptreg.registry.tags import Deployment, deployments_prefix
from promptreg.registry.verdicts import content_matches
from promptreg.versions import Version


def rollback(
    registry: Registry,
    name: str,
    *,
    env: str,
    to: str | None = None,
    reason: str | None = None,
    push: str | None = None,
    sign: bool = False,
) -> Deployed:
    """Deploy an earlier version again (a new tag, action rollback); nothing is deleted.

    A rollback goes back, never forward: the default target is what ran before the current
    deployment once the rollbacks are undone (see `rollback_path`), so a second rollback goes
    further back instead of re-deploying what the first one rolled back from. `to` names an
    earlier deployment (its seq) or a version; either must be on that path, or (a version)
    never deployed to `env` and older than what runs. Forward is `promote`.
    """
    registry.check_env(env)
    if push is not None:  # what the team's remote says first
        fetch_for_deploy(registry, push, [deployments_prefix(name, env) + "*"])
    log = registry.deployment_log(name, env)
    history = log.valid
    if not history:
        raise DeployError(f"{name} has never been deployed to {env}: nothing to roll back")
    current = history[0]
    path_back = rollback_path(history)
    forward = f"to deploy it again, `promptreg promote {name} --to {env} --version"
    target: Deployment | None
    if to is None:
        target = next_rollback(history)
        # (both hashes were checked against their commits' content by the read model)
        if target is None:
            raise DeployError(_nothing_earlier(name, env, history))
        commit, path = target.commit, target.path
    elif to.isascii() and to.isdigit():
        target = next((d for d in history if d.seq == int(to)), None)
        bad = next((r for r in log.rejected if r.seq is not None and r.seq == int(to)), None)
        if target is None and bad is not None:
            raise DeployError(f"{bad.tag} is not a deployment that counts: {bad.reason}")
        if target is None:
            seqs = ", ".join(str(d.seq) for d in history)
            raise DeployError(f"{name} has no deployment {to} in {env} (deployments: {seqs})")
        if target.content_hash != current.content_hash and not _on_path(target, path_back):
            raise DeployError(
                f"{target.tag} ({name} {target.version}) was rolled back from: a rollback goes "
                f"back, never forward; {forward} {target.version}`"
            )
        commit, path = target.commit, target.path
    else:
        commit, path = registry.released_commit(name, to), None
        wanted = registry.load_at(commit, name)
        deployed = [d for d in history if content_matches(wanted, d.content_hash or "")]
        if (
            deployed
            and deployed[0] is not current
            and not any(_on_path(d, path_back) for d in deployed)
        ):
            raise DeployError(
                f"{name} {wanted.version} was rolled back from in {env}: a rollback goes back, "
                f"never forward; {forward} {wanted.version}`"
            )
        if not deployed and _newer(wanted.version, current.version):
            raise DeployError(
                f"{name} {wanted.version} is newer than what {env} runs ({current.version}): "
                f"a rollback goes back, never forward; {forward} {wanted.version}`"
            )
    prompt = registry.load_at(commit, name, path=path)
    if content_matches(prompt, current.content_hash or ""):
        raise DeployError(f"{env} already runs {name} {prompt.version} ({current.tag})")
    return create_deployment(
        registry,
        prompt,
        env=env,
        commit=commit,
        action="rollback",
        reason=reason,
        push=push,
        forced=False,
        extra={},
        released=None,
        notes=(),
        sign=sign,
    )


def rollback_path(history: Sequence[Deployment]) -> list[Deployment]:
    """The deployments a rollback can go back through, oldest first; the last runs now.

    `history` is one environment's valid deployments, newest first. Replayed oldest first, a
    promotion goes on top; a rollback to content already on the path takes the path back to
    that point (what it rolled back from is off the path for good), then goes on top itself.
    A rollback to content not on the path (an older release never deployed here) goes on top.
    """
    path: list[Deployment] = []
    for deployment in reversed(history):
        if deployment.action == "rollback":
            hashes = [d.content_hash for d in path]
            if deployment.content_hash in hashes:
                del path[len(hashes) - 1 - hashes[::-1].index(deployment.content_hash) :]
        path.append(deployment)
    return path


def next_rollback(history: Sequence[Deployment]) -> Deployment | None:
    """What `rollback` without `--to` would deploy: the newest deployment on the rollback path
    with content other than what runs now (None: nothing earlier)."""
    path = rollback_path(history)
    if not path:
        return None
    running = path[-1].content_hash
    return next((d for d in reversed(path) if d.content_hash != running), None)


def _on_path(target: Deployment, path: Sequence[Deployment]) -> bool:
    return any(d.content_hash == target.content_hash for d in path[:-1])


def _nothing_earlier(name: str, env: str, history: Sequence[Deployment]) -> str:
    current = history[0]
    if all(d.content_hash == current.content_hash for d in history):
        return f"{env} has only ever run {name} {current.version}: nothing to roll back to"
    return (
        f"{env} runs {name} {current.version}, and every earlier deployment there was rolled "
        f"back past: nothing earlier to roll back to (a rollback goes back, never forward; "
        f"to deploy another version, `promptreg promote {name} --to {env} --version V` or "
        f"`promptreg rollback {name} --env {env} --to OLDER_VERSION`)"
    )


def _newer(a: str, b: str) -> bool:
    try:
        return Version(a) > Version(b)
    except ValueError:
        return False
