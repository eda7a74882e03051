"""Reading the registry's past and present: deployment history, the status matrix, the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptreg.errors import PromptregError
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.frontmatter.yamldoc import YamlError
from promptreg.registry.runtime import Registry
from promptreg.registry.tags import Deployment, parse_release
from promptreg.template.sources import decode_source
from promptreg.versions import Version


@dataclass(frozen=True)
class StatusRow:
    name: str
    tree_version: str | None  # None: the working-tree file does not load
    tree_hash: str | None
    deployed: dict[str, Deployment | None]
    markers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "working_tree": {"version": self.tree_version, "content_hash": self.tree_hash},
            "environments": {
                env: None
                if d is None
                else {"version": d.version, "seq": d.seq, "tag": d.tag, "date": d.date}
                for env, d in self.deployed.items()
            },
            "markers": list(self.markers),
        }


def status(registry: Registry) -> list[StatusRow]:
    """Every prompt (in the tree or deployed) against every environment. The refs are listed
    once for all prompts: the newest deployment of each (name, env) and the release tags."""
    envs = registry.environments
    newest, releases = _tags_by_prompt(registry)
    in_tree = set(registry.project.names())
    names = sorted(in_tree | {name for name, _ in newest})
    rows = []
    for name in names:
        deployed = {env: newest.get((name, env)) for env in envs}
        tree_version: str | None = None
        tree_hash: str | None = None
        try:
            tree = registry.project.load(name)
            tree_version, tree_hash = tree.version, tree.content_hash
        except PromptregError:
            pass
        markers: list[str] = []
        if tree_version is None:
            markers.append("invalid" if name in in_tree else "not in working tree")
        else:
            if (name, tree_version) not in releases:
                markers.append("unreleased")
            else:
                release = registry.release(name, tree_version)
                if release is None or release.problem is not None or release.commit is None:
                    markers.append("release tag rejected (see `promptreg verify`)")
                elif registry.load_at(release.commit, name).content_hash != tree_hash:
                    markers.append("changed since release (bump the version)")
            last = deployed.get(envs[-1])
            if last is not None and _newer(tree_version, last.version):
                markers.append(f"ahead of {envs[-1]}")
        rows.append(StatusRow(name, tree_version, tree_hash, deployed, tuple(markers)))
    return rows


def _tags_by_prompt(
    registry: Registry,
) -> tuple[dict[tuple[str, str], Deployment], set[tuple[str, str]]]:
    """From one listing: what every (name, env) runs (its newest valid deployment, judged by
    the read model) and every (name, version) with a release tag."""
    newest = registry.running()
    releases = set()
    for ref in registry.store.tags("prompts/"):
        release = parse_release(ref.name)
        if release is not None:
            releases.add(release)
    return newest, releases


def _newer(a: str, b: str) -> bool:
    try:
        return Version(a) > Version(b)
    except ValueError:
        return False


@dataclass(frozen=True)
class LogEntry:
    commit: str
    author: str
    date: str
    subject: str
    version: str | None  # None: the prompt did not exist (or did not parse) at that commit

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "author": self.author,
            "date": self.date,
            "subject": self.subject,
            "version": self.version,
        }


def log(registry: Registry, name: str) -> list[LogEntry]:
    """Commits that changed the prompt or any partial it includes now, newest first."""
    path = registry.prompt_path(name)
    paths = [path]
    try:
        prompt = registry.project.load(name, serving_checks=False)
        prefix = registry.prompts_prefix
        paths += [prefix + partial for partial in prompt.partials]
    except PromptregError:
        pass
    if not registry.store.has_head():
        return []
    entries = []
    for commit, author, date, subject in registry.store.log(paths):
        entries.append(LogEntry(commit, author, date, subject, _version_at(registry, commit, path)))
    return entries


def _version_at(registry: Registry, commit: str, path: str) -> str | None:
    data = registry.store.read(commit, path)
    if data is None:
        return None
    try:
        parts = split_front_matter(decode_source(data))
        version = read_yaml(parts.front_matter).data.get("version")
    except (UnicodeDecodeError, FrontMatterError, YamlError, AttributeError):
        return None
    return version if isinstance(version, str) else None
