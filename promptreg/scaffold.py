"""`promptreg init` and `promptreg new`: create files, never clobber existing ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from promptreg._atomic import atomic_write
from promptreg.config import CONFIG_FILE, DATA_DIR
from promptreg.errors import UsageError
from promptreg.names import name_problem, path_for_name
from promptreg.project import Project

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


@dataclass(frozen=True)
class Created:
    path: Path
    created: bool  # False: the file existed and was left alone


def scaffold_text(name: str) -> str:
    return (DATA_DIR / "scaffold" / name).read_text("utf-8")


def init(root: Path) -> list[Created]:
    """Scaffold a project in `root`: config, an example prompt and partial, pre-commit config."""
    prompts = root / "prompts"
    plan = [
        (root / CONFIG_FILE, scaffold_text("promptreg.yaml")),
        (prompts / "hello.prompt", scaffold_text("hello.prompt")),
        (prompts / "partials" / "style.j2", scaffold_text("style.j2")),
        (root / PRE_COMMIT_CONFIG, scaffold_text("pre-commit-snippet.yaml")),
    ]
    return [_create(path, text) for path, text in plan]


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
    from promptreg.loader import parse_prompt_bytes
    from promptreg.validate import lint

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
