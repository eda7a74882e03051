"""Reading the registry's past and present: deployment history, the status matrix, the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptreg._yaml import YamlError, read_yaml
from promptreg.errors import PromptregError
from promptreg.frontmatter import FrontMatterError, split_front_matter
from promptreg.registry import Registry
from promptreg.tags import Deployment, parse_deployment
from promptreg.templating import decode_source
from promptreg.versions import Version


@dataclass(frozen=True)
class StatusRow:
    name: str
    tree_version: str | None  # None: the working-tree file does not load
    tree_hash: str | None
    deployed: dict[str, Deployment | None]
    released: bool  # the working tree's version has a release tag with the same content
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
    """Every prompt (in the tree or deployed) against every environment."""
    envs = registry.environments
    newest = _newest_deployments(registry)
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
        released = False
        markers: list[str] = []
        if tree_version is None:
            markers.append("invalid" if name in in_tree else "not in working tree")
        else:
            release = registry.releases(name).get(tree_version)
            if release is not None:
                try:
                    released = registry.load_at(release.commit, name).content_hash == tree_hash
                except PromptregError:
                    released = False
                if not released:
                    markers.append("changed since release (bump the version)")
            else:
                markers.append("unreleased")
            last = deployed.get(envs[-1])
            if last is not None and _newer(tree_version, last.version):
                markers.append(f"ahead of {envs[-1]}")
        rows.append(StatusRow(name, tree_version, tree_hash, deployed, released, tuple(markers)))
    return rows


def _newest_deployments(registry: Registry) -> dict[tuple[str, str], Deployment]:
    """The newest deployment of every (name, env), reading only the winners' messages."""
    winners: dict[tuple[str, str], tuple[int, Any]] = {}
    envs = set(registry.environments)
    for ref in registry.store.tags("prompts/"):
        head, _, seq = ref.name.rpartition("/")
        name, at, env = head.removeprefix("prompts/").rpartition("@")
        if not at or env not in envs or not seq.isdigit():
            continue
        key = (name, env)
        if key not in winners or int(seq) > winners[key][0]:
            winners[key] = (int(seq), ref)
    out = {}
    for key, (_, ref) in winners.items():
        deployment = parse_deployment(ref)
        if deployment is not None:
            out[key] = deployment
    return out


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
        prompt = registry.project.load(name)
        prefix = path[: -len(name + ".prompt")]
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
