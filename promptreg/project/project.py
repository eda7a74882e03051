"""A promptreg project: its root, its config, its prompts directory and the prompts in it."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from functools import cached_property
from pathlib import Path

from promptreg.codecache import code_cache_for
from promptreg.errors import PromptFileError, PromptNotFoundError, UsageError
from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.names import (
    PROMPTY_SUFFIX,
    SUFFIXES,
    name_for_path,
    name_problem,
    path_for_name,
    strip_suffix,
)
from promptreg.project.config import Config, find_root, load_config
from promptreg.project.loader import PromptFile, read_front_matter, read_prompt_file
from promptreg.project.serving import add_serving_findings
from promptreg.template.environment import TemplateEnv
from promptreg.template.prompt import Prompt
from promptreg.template.sources import read_text


class Project:
    def __init__(self, config: Config) -> None:
        self.config = config

    @classmethod
    def open(cls, start: str | os.PathLike[str] | None = None) -> Project:
        """The project containing `start` (default: the working directory)."""
        root = find_root(Path(start) if start is not None else Path.cwd())
        return cls(load_config(root))

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def prompts_dir(self) -> Path:
        return self.config.prompts_dir

    @cached_property
    def env(self) -> TemplateEnv:
        return TemplateEnv(
            self.prompts_dir,
            code_cache=code_cache_for(self.root),
            limits=self.config.limits,
            max_bytes=self.config.lint.max_file_bytes,
        )

    def prompt_files(self) -> list[Path]:
        """Every prompt file under the prompts directory (see `walk_files`), sorted by name."""
        return sorted(prompt_files_under(self.prompts_dir), key=self.name_for)

    def names(self) -> list[str]:
        return [self.name_for(p) for p in self.prompt_files()]

    @cached_property
    def _real_prompts_dir(self) -> Path:
        return self.prompts_dir.resolve()

    @cached_property
    def _prompts_prefix(self) -> str:
        return os.path.join(self.prompts_dir, "")

    def name_for(self, path: Path) -> str:
        text = str(path)
        if text.startswith(self._prompts_prefix) and path.is_absolute():
            # `name_for_path` by string (pathlib's relative_to costs ~20 µs a prompt validated)
            return strip_suffix(text[len(self._prompts_prefix) :].replace(os.sep, "/"))
        try:
            if path.is_absolute() and path.is_relative_to(self.prompts_dir):
                return name_for_path(path, self.prompts_dir)  # no symlinks to resolve
            return name_for_path(path.resolve(), self._real_prompts_dir)
        except ValueError:
            return strip_suffix(path.name)

    def shown(self, path: Path) -> str:
        """How to print a path: relative to the working directory when it is below it."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)

    def locate(self, ref: str) -> Path:
        """A prompt named by its name (`support/triage`) or by its file path."""
        if "@" in ref:
            raise UsageError(f"{ref!r}: name a prompt in the working tree (no @)")
        if not _can_name_a_file(ref):
            raise PromptNotFoundError(self._not_found(ref, name_problem(ref)))
        as_path = Path(ref)
        if ref.endswith(SUFFIXES) and as_path.is_file():
            # Not resolved: a symlink on the way must stay visible to be refused (PR006).
            return Path(os.path.abspath(as_path))
        problem = name_problem(ref)
        candidate = path_for_name(ref, self.prompts_dir) if problem is None else None
        if candidate is not None and is_file(candidate):
            return candidate
        if candidate is not None and is_file(prompty := candidate.with_suffix(PROMPTY_SUFFIX)):
            return prompty
        raise PromptNotFoundError(self._not_found(ref, problem))

    def _not_found(self, ref: str, problem: str | None) -> str:
        """Why `ref` names no prompt, with what the user probably meant. A suggestion is never
        what was typed: a file whose name breaks the rules is reported as such."""
        names = self.names()
        if problem is not None and ref in names:
            shown = self.shown(path_for_name(ref, self.prompts_dir))
            return f"{shown} is not a valid prompt name ({problem}): rename the file"
        import difflib  # only on the error path: it costs ~5 ms to import

        folded = [n for n in names if n.lower() == ref.lower() and n != ref]
        close = folded + [
            n for n in difflib.get_close_matches(ref, names, n=3) if n != ref and n not in folded
        ]
        if close:
            case = " (prompt names are lower-case)" if folded and ref != ref.lower() else ""
            return f"no prompt named {_short(ref)}; did you mean {', '.join(close[:3])}?{case}"
        count = f"{len(names)} prompt{'s' if len(names) != 1 else ''}"
        why = f": {problem}" if problem is not None else ""
        return (
            f"no prompt named {_short(ref)}{why} "
            f"({count} under {self.shown(self.prompts_dir)}; see `promptreg list`)"
        )

    def read(self, path: Path) -> PromptFile:
        return read_prompt_file(
            path,
            name=self.name_for(path),
            shown=self.shown(path),
            env=self.env,
            max_bytes=self.config.lint.max_file_bytes,
        )

    def read_front_matter(self, path: Path) -> PromptFile:
        """Only the front-matter of a prompt file, checked (no template work)."""
        return read_front_matter(
            path,
            name=self.name_for(path),
            shown=self.shown(path),
            max_bytes=self.config.lint.max_file_bytes,
            cache=self.env.code_cache,
            prompts_dir=self.prompts_dir,
        )

    def load(self, ref: str, *, serving_checks: bool = True) -> Prompt:
        """Load a prompt by name or path. Raises `PromptFileError` listing its findings: what
        makes the file unreadable and, unless `serving_checks` is off (for commands that show
        or compare a file rather than serve it), what makes it serve something other than
        what it says (serving.py: an unpinned model, an undeclared variable)."""
        return _checked(self.read(self.locate(ref)), self, serving_checks)

    def prompts_including(
        self,
        partials: Iterable[str],
        env: TemplateEnv | None = None,
        *,
        skip: Collection[Path] = (),
    ) -> list[Path]:
        """The prompt files whose include closure reaches any of `partials` (names under the
        prompts directory), in path order. `env` reads the partials (default: the working
        tree's); prompts in `skip` are not looked at.

        It must not cost a template parse per prompt: a prompt can only include a partial
        whose name it spells out (include targets are string literals, PR046), so a
        substring test picks the candidates and only they are parsed."""
        from promptreg.template.includes import included_sources  # not on an application's start

        env = env or self.env
        wanted = set(partials)
        spelled = self._spelled(wanted)
        hits = []
        for path in prompt_files_under(self.prompts_dir):
            if path in skip:
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
        return hits

    def _spelled(self, wanted: set[str]) -> set[str]:
        """`wanted` and the partials that (transitively) mention one of them: a prompt that
        includes `a.j2`, which includes `b.j2`, spells `a.j2`, not `b.j2`."""
        root = Path(os.path.abspath(self.prompts_dir))
        texts: dict[str, str] = {}
        for path in walk_files(root):
            if path.name.endswith(SUFFIXES):
                continue
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


def walk_files(directory: Path) -> Iterator[Path]:
    """Every file under `directory` (absolute, not resolved), the one way promptreg walks a
    prompts directory: hidden directories (`.drafts/`, `.git/`) are skipped, since no prompt
    name has a segment starting with `.`, and symlinked directories are not followed (git
    stores the link, so a registry would not see what is behind it). A symlinked *file* is
    listed: reading it gives PR006."""
    for folder, subdirs, files in os.walk(os.path.abspath(directory)):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        yield from (Path(folder, f) for f in sorted(files))


def in_hidden_directory(path: Path, directory: Path) -> bool:
    """Whether `path` lies in a hidden directory under `directory`: one `walk_files` skips,
    so no command counts a prompt there as one of the project's."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(directory))
    except ValueError:
        return False
    return any(part.startswith(".") for part in rel.parts[:-1])


def prompt_files_under(directory: Path) -> list[Path]:
    """The prompt files `walk_files` finds under `directory`, in path order."""
    return sorted(p for p in walk_files(directory) if p.name.endswith(SUFFIXES))


def load(path: str | os.PathLike[str]) -> Prompt:
    """Load one prompt file. Includes resolve against the project's prompts directory (found
    from `promptreg.yaml` above the file), or against the file's own directory when the file
    is outside it. Raises `PromptFileError` when the file is invalid."""
    if not is_file(Path(path)):
        raise PromptNotFoundError(f"no such prompt file: {path!r}")
    file = Path(os.path.abspath(path))  # not resolved: symlinks are refused (PR006)
    project = Project.open(file.parent)
    if not file.resolve().is_relative_to(project.prompts_dir.resolve()):
        project = Project(
            Config(root=file.parent, prompts_dir=file.parent, lint=project.config.lint)
        )
    return _checked(project.read(file), project, True)


def _checked(pf: PromptFile, project: Project, serving_checks: bool) -> Prompt:
    if serving_checks:
        add_serving_findings(pf, project.config.lint.allowed_models)
    if pf.prompt is None or pf.findings:
        raise PromptFileError(pf.findings)
    return pf.prompt


def _can_name_a_file(ref: str) -> bool:
    """Whether `ref` could be a path at all: `Path.is_file` raises on a NUL, a name too long
    for the file system, or a directory on the way that may not be searched."""
    try:
        os.stat(ref)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except (OSError, ValueError):
        return False
    return True


def is_file(path: Path) -> bool:
    """Whether `path` is a file: a name no file can have (a NUL, too long) is not one, where
    `Path.is_file` raises."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _short(ref: str) -> str:
    return repr(ref) if len(ref) <= 80 else repr(ref[:60]) + "..."
