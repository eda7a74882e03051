"""A promptreg project: its root, its config, its prompts directory and the prompts in it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from promptreg.codecache import code_cache_for
from promptreg.config import Config, find_root, load_config
from promptreg.errors import PromptFileError, PromptNotFoundError, UsageError
from promptreg.loader import PromptFile, read_front_matter, read_prompt_file
from promptreg.names import SUFFIX, name_for_path, name_problem, path_for_name
from promptreg.prompt import Prompt
from promptreg.templating import TemplateEnv


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
            self.prompts_dir, code_cache=code_cache_for(self.root), limits=self.config.limits
        )

    def prompt_files(self) -> list[Path]:
        """Every `*.prompt` under the prompts directory, sorted by name (hidden dirs skipped)."""
        found: list[Path] = []
        for directory, subdirs, files in os.walk(self.prompts_dir):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            found.extend(Path(directory, f) for f in files if f.endswith(SUFFIX))
        return sorted(found, key=lambda p: self.name_for(p))

    def names(self) -> list[str]:
        return [self.name_for(p) for p in self.prompt_files()]

    @cached_property
    def _real_prompts_dir(self) -> Path:
        return self.prompts_dir.resolve()

    def name_for(self, path: Path) -> str:
        try:
            if path.is_absolute() and path.is_relative_to(self.prompts_dir):
                return name_for_path(path, self.prompts_dir)  # no symlinks to resolve
            return name_for_path(path.resolve(), self._real_prompts_dir)
        except ValueError:
            return path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name

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
        as_path = Path(ref)
        if ref.endswith(SUFFIX) and as_path.is_file():
            return as_path.resolve()
        problem = name_problem(ref)
        candidate = path_for_name(ref, self.prompts_dir) if problem is None else None
        if candidate is not None and candidate.is_file():
            return candidate
        names = self.names()
        import difflib  # only on the error path: it costs ~5 ms to import

        close = difflib.get_close_matches(ref, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        count = f"{len(names)} prompt{'s' if len(names) != 1 else ''}"
        listing = (
            ""
            if close
            else f" ({count} under {self.shown(self.prompts_dir)}; see `promptreg list`)"
        )
        raise PromptNotFoundError(f"no prompt named {ref!r}{hint}{listing}")

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
        )

    def load(self, ref: str) -> Prompt:
        """Load a prompt by name or path. Raises `PromptFileError` listing its findings."""
        pf = self.read(self.locate(ref))
        if pf.prompt is None:
            raise PromptFileError(pf.findings)
        return pf.prompt

    def prompts_including(self, partials: Iterable[str]) -> list[Path]:
        """The prompts whose include closure contains any of `partials` (names under prompts/)."""
        wanted = set(partials)
        hits = []
        for path in self.prompt_files():
            pf = self.read(path)
            if pf.closure is not None and wanted.intersection(pf.closure.partials):
                hits.append(path)
        return hits


def load(path: str | os.PathLike[str]) -> Prompt:
    """Load one prompt file. Includes resolve against the project's prompts directory (found
    from `promptreg.yaml` above the file), or against the file's own directory when the file
    is outside it. Raises `PromptFileError` when the file is invalid."""
    file = Path(path).resolve()
    if not file.is_file():
        raise PromptNotFoundError(f"no such prompt file: {path}")
    project = Project.open(file.parent)
    if not file.is_relative_to(project.prompts_dir.resolve()):
        project = Project(
            Config(root=file.parent, prompts_dir=file.parent, lint=project.config.lint)
        )
    pf = project.read(file)
    if pf.prompt is None:
        raise PromptFileError(pf.findings)
    return pf.prompt
