"""What a prompt's eval scores were measured on, and by: what `eval --write` records beside the
scores, and what the gate compares with the files as they are now.

Recorded under `evals` (docs/evals.md, "What a score is bound to"):
- `dataset_hash`: the sha256 of the dataset file's bytes;
- `metrics_hash`: the sha256 of the metric definitions (name, kind, options; not the
  thresholds, which judge a score but do not change it);
- `metric_files`: the sha256 of every file a metric reads, by path relative to the project
  root: a judge's rubric and the partials it includes, a `json_schema` metric's schema file.
  They decide what a score means as much as the dataset does. (A `python` metric's module is
  code, like a runner's: not covered.)
- `runner`: what produced the outputs that were scored: `{kind: openai, host, model}` (the
  model the server says answered), `{kind: command, command}`, `{kind: python, function}`.

The gate reads the files from the state the prompt itself was read from (a `Source`): the
working tree for `promptreg check`, the index for the pre-commit hook, the deployment's commit
for `promote` and the pre-push hook. A file that cannot be read there counts as changed.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from promptreg.evals.dataset import sha256_of
from promptreg.template.sources import include_problem, read_regular

if TYPE_CHECKING:
    from promptreg.evals.run import EvalRun
    from promptreg.frontmatter.spec import Metric
    from promptreg.hooks.revisions import Snapshot
    from promptreg.project.project import Project
    from promptreg.registry.gitstore import GitStore

# A path relative to the project root -> the file's bytes, or None when it is not there.
FileReader = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Source:
    """Files in one state of the project. `read` takes paths relative to the project root
    (the directory of promptreg.yaml); `prompts_rel` is the prompts directory relative to it
    ("" for the root itself); `where` names the state in messages."""

    read: FileReader
    prompts_rel: str
    where: str


def tree_source(project: Project) -> Source:
    """The working tree: what `promptreg check` and `promptreg eval` see."""
    root = project.root.resolve()

    def read(rel: str) -> bytes | None:
        if safe_relative(rel) is None:
            return None
        path = (root / rel).resolve()
        if not path.is_relative_to(root):  # a symlink out of the repository
            return None
        try:
            return read_regular(path)
        except OSError:
            return None

    return Source(read, _prompts_rel(project), "the working tree")


def commit_source(store: GitStore, project: Project, commit: str) -> Source:
    """The files as committed in `commit` (promote, pre-push): never the working tree."""
    prefix = _prefix(project.root, store.root)

    def read(rel: str) -> bytes | None:
        clean = safe_relative(rel)
        return None if clean is None else store.read(commit, prefix + clean)

    return Source(read, _prompts_rel(project), f"commit {commit[:12]}")


def snapshot_source(snapshot: Snapshot, project: Project, where: str) -> Source:
    """A hook's state (the index, or a commit), read through its `Snapshot`."""
    prefix = _prefix(project.root, snapshot.root)

    def read(rel: str) -> bytes | None:
        clean = safe_relative(rel)
        return None if clean is None else snapshot.read(prefix + clean)

    return Source(read, _prompts_rel(project), where)


def safe_relative(rel: str) -> str | None:
    """`rel` normalised (posix, no `.`), or None when it is absolute or leaves the root."""
    if not rel or "\0" in rel or rel.startswith(("/", "\\")) or PurePosixPath(rel).is_absolute():
        return None
    clean = posixpath.normpath(rel.replace("\\", "/"))
    if clean == ".." or clean.startswith("../") or clean == ".":
        return None
    return clean


def _prompts_rel(project: Project) -> str:
    rel = project.prompts_dir.resolve().relative_to(project.root.resolve()).as_posix()
    return "" if rel == "." else rel


def _prefix(project_root: Path, repo_root: Path) -> str:
    """The project root relative to the repository root, as a path prefix ("" or "sub/")."""
    try:
        rel = project_root.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"


def metrics_hash(metrics: Iterable[Metric]) -> str:
    """`metrics_hash`: sha256 over each metric's name, kind and options, as canonical JSON in
    name order (reordering the list changes nothing; `ignore_case`, a judge's model, a
    pattern do)."""
    canonical = json.dumps(
        sorted(
            ({"name": m.name, "kind": m.kind, "options": dict(m.options)} for m in metrics),
            key=lambda d: str(d["name"]),
        ),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return sha256_of(canonical.encode("utf-8"))


# -- the files metrics read ----------------------------------------------------------------------


def metric_references(metrics: Iterable[Metric], source: Source) -> dict[str, str]:
    """The files the metrics name directly, as paths relative to the project root, each with
    the metric that reads it: a judge's rubric (under the prompts directory first, then from
    the root, as the judge looks it up) and a json_schema metric's schema file."""
    out: dict[str, str] = {}
    for metric in metrics:
        ref = metric.options.get("rubric" if metric.kind == "judge" else "schema")
        if metric.kind not in ("judge", "json_schema") or not isinstance(ref, str) or not ref:
            continue
        path = ref
        if metric.kind == "judge" and include_problem(ref) is None:
            under = posixpath.join(source.prompts_rel, ref) if source.prompts_rel else ref
            if source.read(under) is not None:
                path = under
        clean = safe_relative(path)
        out.setdefault(clean if clean is not None else path, metric.name)
    return out


def record_metric_files(project: Project, metrics: Iterable[Metric]) -> dict[str, str]:
    """`metric_files` for a run in the working tree: every file the metrics read, rubrics'
    included partials too, with its sha256 (a file that cannot be read is left out: the run
    could not have used it)."""
    source = tree_source(project)
    paths = list(metric_references(metrics, source))
    for path in list(paths):
        if source.prompts_rel and not path.startswith(source.prompts_rel + "/"):
            continue  # a rubric outside the prompts directory includes nothing from it
        paths.extend(_rubric_partials(project, source, path))
    files = {}
    for path in sorted(set(paths)):
        data = source.read(path)
        if data is not None:
            files[path] = sha256_of(data)
    return files


def _rubric_partials(project: Project, source: Source, path: str) -> list[str]:
    """The partials a rubric under the prompts directory includes (closure), as paths."""
    data = source.read(path)
    if data is None:
        return []
    env = project.env
    name = path[len(source.prompts_rel) + 1 :] if source.prompts_rel else path
    try:
        closure = env.closure(env.analyse(data.decode("utf-8"), name=name, filename=name))
    except Exception:  # the run refused a broken rubric already; nothing more to record
        return []
    prefix = source.prompts_rel + "/" if source.prompts_rel else ""
    return [prefix + partial for partial in closure.partials]


# -- the runner ----------------------------------------------------------------------------------


def record_runner(run: EvalRun) -> dict[str, Any]:
    """`runner` for a run: the kind, and for `openai` the host of the base URL and the model(s)
    that answered the prompt's calls; the command or `module:function` for the others."""
    kind, _, target = run.runner.partition(":")
    if kind == "openai":
        pinned = run.prompt.model.name if run.prompt.model is not None else None
        answered = sorted({r.model or pinned or "" for r in run.results if r.error is None} - {""})
        record: dict[str, Any] = {"kind": "openai"}
        if answered:
            record["model"] = answered[0] if len(answered) == 1 else answered
        host = _host(target)
        if host:
            record["host"] = host
        return record
    if kind == "command":
        return {"kind": "command", "command": target}
    return {"kind": kind, "function": target}


def _host(url: str) -> str | None:
    """The host (and port) of a base URL: never its credentials, path or query."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return f"{host}:{port}" if port is not None else host


def describe_runner(runner: Mapping[str, Any]) -> str:
    """A recorded runner in words: `python runner stubs:answer`, `openai gpt-4o at host`."""
    kind = runner.get("kind")
    if kind == "command":
        return f"the command runner `{runner.get('command')}`"
    if kind == "python":
        return f"the python runner `{runner.get('function')}`"
    model = runner.get("model")
    named = ", ".join(model) if isinstance(model, list) else model
    at = f" at {runner['host']}" if runner.get("host") else ""
    return f"the openai runner ({named or 'model not recorded'}{at})"
