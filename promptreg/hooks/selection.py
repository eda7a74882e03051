"""Which prompts a list of changed files stands for.

A prompt stands for itself; a partial for every prompt that includes it, directly or through
other partials. Finding those must not cost a template parse per prompt in the repository: a
prompt can only include a partial whose name it spells out (include targets must be string
literals, PR046), so a substring test picks the candidates and only they are parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.hooks.fingerprint import included_sources
from promptreg.names import SUFFIX
from promptreg.project.project import Project
from promptreg.template.environment import TemplateEnv, read_text


@dataclass
class Selection:
    """`prompts`: prompt files (absolute, in order, no repeats). `partials`: names under the
    prompts directory of the other files. `others`: files outside the prompts directory."""

    prompts: list[Path] = field(default_factory=list)
    partials: list[str] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)


def classify(project: Project, files: Iterable[Path]) -> Selection:
    """Sort changed files into prompts, partials and the rest."""
    prompts_dir = Path(os.path.abspath(project.prompts_dir))
    out = Selection()
    seen: set[Path] = set()
    for file in files:
        path = Path(os.path.abspath(file))
        if path in seen:
            continue
        seen.add(path)
        if path.name.endswith(SUFFIX):
            out.prompts.append(path)
        elif path.is_relative_to(prompts_dir):
            out.partials.append(path.relative_to(prompts_dir).as_posix())
        else:
            out.others.append(path)
    return out


def expand(project: Project, selection: Selection, env: TemplateEnv | None = None) -> list[Path]:
    """The selection's prompts, then every other prompt that includes one of its partials."""
    prompts = list(selection.prompts)
    if selection.partials:
        already = set(prompts)
        prompts.extend(
            p
            for p in prompts_including(project, selection.partials, env, skip=already)
            if p not in already
        )
    return prompts


def prompts_including(
    project: Project,
    partials: Sequence[str],
    env: TemplateEnv | None = None,
    *,
    skip: set[Path] | None = None,
) -> list[Path]:
    """Prompt files in the working tree whose include closure reaches any of `partials`
    (names under the prompts directory). `env` reads the partials (default: the working
    tree's); prompts in `skip` are not looked at."""
    env = env or project.env
    wanted = set(partials)
    spelled = _spelled(project, wanted)
    hits = []
    for path in _prompt_files(project.prompts_dir):
        if skip and path in skip:
            continue
        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError):
            continue
        if not any(name in text for name in spelled):
            continue
        try:
            body = split_front_matter(text).body
        except FrontMatterError:
            continue
        sources = included_sources(body, env)
        if sources is not None and wanted.intersection(sources):
            hits.append(path)
    return sorted(hits)


def _prompt_files(prompts_dir: Path) -> list[Path]:
    """Every prompt file, absolute (hidden directories skipped). Unlike
    `Project.prompt_files`, not sorted by name: no path is resolved."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(os.path.abspath(prompts_dir)):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        found.extend(Path(directory, f) for f in files if f.endswith(SUFFIX))
    return found


def _spelled(project: Project, wanted: set[str]) -> set[str]:
    """`wanted` and the partials that (transitively) mention one of them: a prompt that
    includes `a.j2`, which includes `b.j2`, spells `a.j2`, not `b.j2`."""
    texts: dict[str, str] = {}
    root = project.prompts_dir
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        for name in files:
            if name.endswith(SUFFIX):
                continue
            path = Path(directory, name)
            try:
                texts[path.relative_to(root).as_posix()] = read_text(path)
            except (OSError, UnicodeDecodeError):
                continue
    spelled = set(wanted)
    grew = True
    while grew:
        grew = False
        for name, text in texts.items():
            if name not in spelled and any(s in text for s in spelled):
                spelled.add(name)
                grew = True
    return spelled
