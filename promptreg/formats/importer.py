"""`promptreg import`: convert foreign prompt files into promptreg prompts in a project.

Which format a file is comes from its name: `.prompty` is Prompty; `.prompt.yml` (and
`.prompt.yaml`, and any `.yml` whose document has `messages`) is GitHub Models; `.prompt` is
Dotprompt (a promptreg prompt is refused: nothing to convert); `.txt` and `.md` are plain
text prompts with `{{var}}` / `${var}` placeholders. Every result is checked by promptreg's
own loader and lints before the report says it is clean: what they still find is listed
with the file, as is everything the format could not carry. Nothing is overwritten but the
source itself (a Dotprompt file under prompts/ converted in place).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from promptreg._atomic import atomic_write
from promptreg.findings import WARNING_CODES, one_line
from promptreg.formats.dotprompt import draft_dotprompt, partial_finder
from promptreg.formats.export import embedded_source
from promptreg.formats.ghmodels import draft_github
from promptreg.formats.jinja_out import JinjaOut
from promptreg.formats.placeholders import DOLLAR, MUSTACHE, add_text
from promptreg.formats.promptfile import Draft, finish, model_of, prompt_name
from promptreg.formats.prompty import draft_prompty
from promptreg.formats.report import Conversion, Refused
from promptreg.formats.source import read_source
from promptreg.frontmatter.foreign import dotprompt_finding
from promptreg.names import PROMPTY_SUFFIX, SUFFIX
from promptreg.project.project import Project
from promptreg.template.sources import include_problem, symlink_under

MAX_FILES = 10_000
_SUFFIXES = (".prompt.yml", ".prompt.yaml", ".prompty", ".prompt", ".yml", ".yaml", ".txt", ".md")


def format_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".prompt.yml", ".prompt.yaml", ".yml", ".yaml")):
        return "prompt.yml"
    if name.endswith(".prompty"):
        return "prompty"
    if name.endswith(".prompt"):
        return "dotprompt"
    if name.endswith((".txt", ".md")):
        return "text"
    return None


def stem_of(path: Path) -> str:
    name = path.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def collect(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """(file, name prefix) for each file named or found under a directory named (the prefix
    keeps the directory's structure). Raises Refused past MAX_FILES."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for directory, subdirs, files in os.walk(path):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
                for file in sorted(files):
                    full = Path(directory, file)
                    if format_of(full) is not None and not file.lower().startswith("readme"):
                        prefix = Path(directory).relative_to(path).as_posix()
                        found.append((full, "" if prefix == "." else prefix))
        else:
            found.append((path, ""))
        if len(found) > MAX_FILES:
            raise Refused(f"more than {MAX_FILES:,} files to import")
    return found


def convert_file(
    path: Path, *, prefix: str, default_model: str | None, shown: str
) -> tuple[Conversion, Draft | None]:
    """Convert one file (nothing written). Never raises for a bad file: a refused
    Conversion says why."""
    fmt = format_of(path) or "unknown"
    notes: list[str] = []
    try:
        if fmt == "unknown":
            raise Refused("not a format promptreg imports (.prompty, .prompt, .prompt.yml, .txt)")
        if path.is_symlink() or not path.is_file():
            raise Refused("not a regular file")
        text = read_source(path, notes)
        name = prompt_name(stem_of(path), prefix)
        payload = embedded_source(text)
        if payload is not None:  # an unedited `promptreg export`: the prompt it came from
            for partial in payload["partials"]:
                problem = include_problem(partial)
                bad = not partial or partial.endswith("/") or partial.startswith("evals/")
                if problem or bad or partial.endswith(SUFFIX):
                    raise Refused(f"the embedded partial name {partial!r} is not allowed")
            files = {f"{name}{SUFFIX}": payload["file"], **payload["partials"]}
            restored = ("restored exactly from the promptreg prompt this file was exported from",)
            return Conversion(shown, fmt, name, files, restored), None
        draft = _draft(fmt, text, name, path, default_model, notes)
        dataset = draft.metadata.pop("_dataset", None)
        files = {f"{draft.name}{SUFFIX}": finish(draft)}
        if dataset is not None:
            files[dataset[0]] = dataset[1]
        return Conversion(shown, fmt, draft.name, files, tuple(draft.notes)), draft
    except Refused as err:
        return Conversion(shown, fmt, refused=one_line(str(err))), None
    except RecursionError:
        return Conversion(shown, fmt, refused="nested too deeply"), None


def _draft(
    fmt: str, text: str, name: str, path: Path, default_model: str | None, notes: list[str]
) -> Draft:
    if fmt == "prompty":
        return draft_prompty(
            text, name=name, default_model=default_model, notes=notes, base=path.parent
        )
    if fmt == "prompt.yml":
        return draft_github(text, name=name, default_model=default_model, notes=notes)
    if fmt == "dotprompt":
        if path.name.startswith("_"):
            raise Refused("a Dotprompt partial (`_name.prompt`): it is inlined where it is used")
        if _is_promptreg(text):
            raise Refused("already a promptreg prompt (not Dotprompt): nothing to convert")
        return draft_dotprompt(
            text,
            name=name,
            partials=partial_finder(path.parent),
            default_model=default_model,
            notes=notes,
        )
    return draft_text(text, name=name, default_model=default_model, notes=notes)


def _is_promptreg(text: str) -> bool:
    """A promptreg prompt: its own front-matter shape (a `version` and a `model` mapping),
    and nothing of Dotprompt's."""
    from promptreg.formats.source import parse_yaml, split_document

    try:
        front_text, _ = split_document(text)
        front = parse_yaml(front_text or "", "front-matter")
    except Refused:
        return False
    return (
        isinstance(front, dict)
        and "version" in front
        and isinstance(front.get("model"), dict)
        and dotprompt_finding(text, front, "") is None
    )


def draft_text(text: str, *, name: str, default_model: str | None, notes: list[str]) -> Draft:
    """A plain text prompt (a collection's `.txt`/`.md`): one text prompt, its `{{var}}` and
    `${var}` placeholders its inputs, everything else kept byte for byte."""
    draft = Draft(name=name, body="", model={}, notes=notes)
    draft.note(f"version set to {draft.version} (a text file has none)")
    model_of(None, default_model, draft)
    out = JinjaOut()
    used: list[str] = []
    add_text(out, text, (MUSTACHE, DOLLAR), used)
    draft.body = out.source()
    draft.inputs = {var: {"type": "string", "required": True} for var in used}
    return draft


def import_paths(
    project: Project,
    paths: Sequence[Path],
    *,
    to: str = "",
    default_model: str | None = None,
    dry_run: bool = False,
) -> list[Conversion]:
    """Convert every file under `paths` into prompts under `prompts/<to>/`, write them (not
    with `dry_run`) and check each as `validate` would; what it finds joins the notes."""
    results: list[Conversion] = []
    taken: set[str] = set()
    for path, prefix in collect(paths):
        full_prefix = "/".join(p for p in (to.strip("/"), prefix) if p)
        shown = _shown(project, path)
        conversion, _ = convert_file(
            path, prefix=full_prefix, default_model=default_model, shown=shown
        )
        if conversion.refused is None:
            conversion = _place(project, path, conversion, taken)
        if conversion.refused is None and not dry_run:
            try:
                _write(project, conversion)
            except OSError as err:
                conversion = replace(conversion, refused=f"cannot write: {err.strerror or err}")
        if conversion.refused is None:
            findings = check_prompt(project, conversion, written=not dry_run)
            if findings:
                conversion = replace(conversion, notes=conversion.notes + tuple(findings))
        results.append(conversion)
    return results


def check_prompt(project: Project, conversion: Conversion, *, written: bool) -> list[str]:
    """What `validate` finds in the converted prompt (read from memory: also in a dry run;
    a dataset not written yet is not looked for)."""
    from promptreg.app.validate import lint
    from promptreg.project.loader import parse_prompt_bytes

    assert conversion.name is not None
    shown, text = next((k, v) for k, v in conversion.files.items() if k.endswith(SUFFIX))
    pf = parse_prompt_bytes(
        text.encode("utf-8"),
        path=project.root / shown,
        name=conversion.name,
        shown=shown,
        env=project.env,
    )
    lint(pf, project)
    return [
        ("validate warning: " if f.code in WARNING_CODES else "validate: ")
        + f"{f.line}:{f.col}: {f.code} {f.message}"
        for f in pf.findings
        if written or f.code not in ("PR061", "PR043")  # dataset, partials: not written yet
    ]


def _place(project: Project, source: Path, conversion: Conversion, taken: set[str]) -> Conversion:
    """Files relative to the project: the prompt under prompts/, a dataset at the root. An
    existing file is refused unless it is the source itself (Dotprompt converted in place)."""
    placed: dict[str, str] = {}
    for relative, text in conversion.files.items():
        base = project.root if relative.startswith("evals/") else project.prompts_dir
        target = base / relative
        shown = _shown(project, target)
        same = target.exists() and source.exists() and os.path.samefile(target, source)
        partial = not relative.endswith(SUFFIX) and not relative.startswith("evals/")
        if partial and target.is_file() and target.read_text("utf-8", "replace") == text:
            continue  # a partial the project has already, the same
        if relative.endswith(SUFFIX):
            twin = target.with_name(target.name[: -len(SUFFIX)] + PROMPTY_SUFFIX)
            if twin.exists():  # one name, two files: `x.prompty` is a prompt as it is
                why = (
                    "is a prompt as it is (promptreg reads .prompty files in place); to convert "
                    "it, import it into another folder with --to"
                    if source.exists() and os.path.samefile(twin, source)
                    else "names the same prompt: import into another folder with --to"
                )
                return replace(conversion, files={}, refused=f"{_shown(project, twin)} {why}")
        if symlink_under(base, relative) is not None:
            return replace(conversion, files={}, refused=f"{shown}: a symlink is on the way")
        if shown in taken or (target.exists() and not same):
            return replace(
                conversion,
                files={},
                refused=f"{shown} exists already: import into another folder with --to",
            )
        placed[shown] = text
    taken.update(placed)
    return replace(conversion, files=placed)


def _write(project: Project, conversion: Conversion) -> None:
    for shown, text in conversion.files.items():
        target = project.root / shown
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text.encode("utf-8"))


def _shown(project: Project, path: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
