"""`promptreg init` and `promptreg new`: create files, never clobber existing ones.

The `.pre-commit-config.yaml` that `init` writes must work on the spot, before promptreg has
a release to point at: `repo: local` hooks (pre-commit's `language: system`) that run the
promptreg installed in the project, with the ids, files and stages of `.pre-commit-hooks.yaml`
(a test keeps them equal). Over an existing config, only the hooks it lacks are offered, as
list items to paste under its own `repos:` key.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from promptreg._atomic import atomic_write
from promptreg.errors import UsageError
from promptreg.names import name_problem, path_for_name
from promptreg.project.config import CONFIG_FILE, DATA_DIR
from promptreg.project.project import Project

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


@dataclass(frozen=True)
class Created:
    path: Path
    created: bool  # False: the file existed and was left alone


@dataclass(frozen=True)
class LocalHook:
    """One of promptreg's hooks as a `repo: local` hook running `promptreg hook <command>`."""

    id: str
    command: str
    files: str | None
    stage: str = "pre-commit"

    def text(self) -> str:
        lines = [
            f"      - id: {self.id}",
            f"        name: promptreg {self.command.replace('-', ' ')}",
            f"        entry: promptreg hook {self.command}",
            "        language: system",
        ]
        if self.files is None:
            lines += ["        always_run: true", "        pass_filenames: false"]
        else:
            lines.append(f"        files: {self.files}")
        lines.append("        require_serial: true")
        if self.stage != "pre-commit":
            lines.append(f"        stages: [{self.stage}]")
        return "\n".join(lines) + "\n"


LOCAL_HOOKS = (
    LocalHook("promptreg-validate", "validate", r"^(prompts/|promptreg\.yaml$|evals/.*\.jsonl$)"),
    LocalHook("promptreg-version-bump", "version-bump", "^prompts/"),
    LocalHook("promptreg-evals-fresh", "evals-fresh", "^(prompts/|evals/)"),
    LocalHook("promptreg-no-secrets", "no-secrets", "^prompts/"),
    LocalHook("promptreg-pre-push", "pre-push", None, stage="pre-push"),
)

_CONFIG_HEAD = """\
# promptreg's hooks (see promptreg's README, "Pre-commit"). They run the promptreg installed in
# this project's environment (`pip install git-promptreg`): `pre-commit install` once, then
# every commit touching prompts/ is checked. promptreg-pre-push gates deployment tags on push.
default_install_hook_types: [pre-commit, pre-push]
repos:
"""
_LOCAL_HEAD = "  - repo: local\n    hooks:\n"


def pre_commit_config() -> str:
    """The whole `.pre-commit-config.yaml` `init` writes."""
    return _CONFIG_HEAD + _LOCAL_HEAD + "".join(h.text() for h in LOCAL_HOOKS)


def pre_commit_addition(missing: list[LocalHook]) -> str:
    """The `repos:` list item adding `missing` hooks to an existing config (no `repos:` key)."""
    return _LOCAL_HEAD + "".join(h.text() for h in missing) if missing else ""


@dataclass(frozen=True)
class Scaffolded:
    """What `init` did: each file created or kept; for a kept pre-commit config, the hooks it
    lacks (empty: all there), or `unreadable` when it is not a YAML mapping."""

    files: list[Created]
    missing_hooks: list[LocalHook] = field(default_factory=list)
    unreadable: str | None = None
    has_repos_key: bool = True

    def addition(self) -> str:
        """What to paste into the kept pre-commit config: nothing when every hook is there."""
        if not self.missing_hooks:
            return ""
        head = "" if self.has_repos_key else "repos:\n"
        return head + pre_commit_addition(self.missing_hooks)


def scaffold_text(name: str) -> str:
    return (DATA_DIR / "scaffold" / name).read_text("utf-8")


def init(root: Path) -> Scaffolded:
    """Scaffold a project in `root`: config, an example prompt and partial, pre-commit config.
    Raises `UsageError` when `root` is not inside a git work tree: the registry, the hooks and
    `release`/`promote` all live in git, so a project outside one would fail at its first
    commit."""
    _require_git(root)
    prompts = root / "prompts"
    plan = [
        (root / CONFIG_FILE, scaffold_text("promptreg.yaml")),
        (prompts / "hello.prompt", scaffold_text("hello.prompt")),
        (prompts / "partials" / "style.j2", scaffold_text("style.j2")),
        (root / PRE_COMMIT_CONFIG, pre_commit_config()),
    ]
    files = [_create(path, text) for path, text in plan]
    kept = files[-1]
    if kept.created:
        return Scaffolded(files)
    present, has_repos, unreadable = _hook_ids(kept.path)
    missing = [h for h in LOCAL_HOOKS if h.id not in present]
    return Scaffolded(files, missing, unreadable, has_repos)


def _require_git(root: Path) -> None:
    where = root if root.is_dir() else root.parent
    while not where.is_dir() and where != where.parent:
        where = where.parent
    try:
        proc = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:
        raise UsageError(f"git is needed and could not be run: {err}") from None
    if proc.returncode != 0 or proc.stdout.strip() != "true":
        raise UsageError(
            f"{root} is not in a git repository: promptreg keeps its registry in git. "
            f"Run `git init {root}` first, then `promptreg init {root}` again"
        )


def _hook_ids(path: Path) -> tuple[set[str], bool, str | None]:
    """The hook ids an existing pre-commit config names, in any repo entry; whether it has a
    `repos:` key; why it could not be read."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        return set(), True, f"not valid YAML ({type(err).__name__})"
    if data is None:
        return set(), False, None
    if not isinstance(data, dict):
        return set(), True, "not a YAML mapping"
    ids: set[str] = set()
    for repo in data.get("repos") or []:
        if isinstance(repo, dict):
            for hook in repo.get("hooks") or []:
                if isinstance(hook, dict) and isinstance(hook.get("id"), str):
                    ids.add(hook["id"])
    return ids, "repos" in data, None


def new_prompt(project: Project, name: str, *, description: str, provider: str, model: str) -> Path:
    """Create `prompts/<name>.prompt` from a template that passes `validate` as is."""
    problem = name_problem(name)
    if problem:
        raise UsageError(problem)
    path = path_for_name(name, project.prompts_dir)
    text = (
        "---\n"
        "version: 0.1.0\n"
        f"description: {_yaml_string(description)}\n"
        "owners: []\n"
        "model:\n"
        f"  provider: {_yaml_string(provider)}\n"
        f"  name: {_yaml_string(model)}\n"
        "  params: {temperature: 0.2}\n"
        "inputs:\n"
        "  question: {type: string, required: true, max_chars: 4000}\n"
        "budget: {max_input_tokens: 2000, max_output_tokens: 500}\n"
        'sample: {question: "What can you help me with?"}\n'
        "---\n"
        "system:\n"
        "You are a helpful assistant.\n"
        "\n"
        "user:\n"
        "{{ question }}\n"
    )
    _refuse_unless_valid(project, path, name, text)
    if not _create(path, text).created:
        raise UsageError(f"{project.shown(path)} already exists; not overwriting it")
    return path


def _refuse_unless_valid(project: Project, path: Path, name: str, text: str) -> None:
    """`new` promises a file that validates as is: run validate's checks on the text first
    (an unpinned `--model` is the usual reason), and write nothing when one fails."""
    from promptreg.app.validate import lint
    from promptreg.project.loader import parse_prompt_bytes

    shown = project.shown(path)
    pf = parse_prompt_bytes(
        text.encode("utf-8"), path=path, name=name, shown=shown, env=project.env
    )
    lint(pf, project)
    if pf.findings:
        problems = "; ".join(f"{f.code} {f.message}" for f in pf.findings)
        raise UsageError(f"{shown} would not validate, so it was not written: {problems}")


def _create(path: Path, text: str) -> Created:
    try:
        atomic_write(path, text.encode("utf-8"), exclusive=True)
    except FileExistsError:
        return Created(path, False)
    return Created(path, True)


def _yaml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
