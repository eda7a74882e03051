"""Where template sources come from: partials read by name under the prompts directory (from
disk or, through a reader, from git), the include names allowed, symlinks refused (PR006), and
the bytes of a prompt or partial file decoded one way everywhere.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import jinja2

from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.names import SUFFIXES


class IncludeError(jinja2.TemplateNotFound):
    """An include that is missing (PR043) or not allowed (PR044)."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(name, message)
        self.code = code
        self.detail = message


def include_problem(name: str) -> str | None:
    """Why an include target is not allowed, or None."""
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        return f"include {name!r} contains a control character"
    if name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        return f"include {name!r} must be a path relative to the prompts directory"
    if any(part in ("..", ".") for part in name.split("/")):
        return f"include {name!r} escapes the prompts directory (no `..`)"
    if name.endswith(SUFFIXES):
        return f"include {name!r} is a prompt file; move the shared text into a partial (.j2)"
    return None


PartialReader = Callable[[str], str]
"""Reads a partial by its name under the prompts directory; raises FileNotFoundError if absent
and IncludeError (PR044, PR006) if it may not be read."""


MAX_PARTIAL_BYTES = 1_000_000
"""The default of `lint.max_file_bytes`, which holds partials as it holds prompt files."""


def directory_reader(prompts_dir: Path, max_bytes: int = MAX_PARTIAL_BYTES) -> PartialReader:
    """Partials from a prompts directory on disk. A symlink on the way (the partial itself or
    a directory above it) is refused with PR006: git stores the link, not what it points to,
    so following it here would render something else than a deployed prompt does. A file over
    `max_bytes` is refused (PR004) before it is read."""

    def read(name: str) -> str:
        link = symlink_under(prompts_dir, name)
        if link is not None:
            raise IncludeError(name, "PR006", symlink_message(f"include {name!r}", link, name))
        path = prompts_dir / name
        size = path.stat().st_size
        if size > max_bytes:
            raise IncludeError(name, "PR004", too_big_message(name, size, max_bytes))
        return read_text(path)

    return read


def too_big_message(name: str, size: int, max_bytes: int) -> str:
    return (
        f"included template {name!r} is {size:,} bytes, over the limit of {max_bytes:,} "
        "(lint.max_file_bytes)"
    )


def symlink_under(root: Path, relative: str) -> str | None:
    """The first part of `relative` (a `/`-separated path under `root`: a directory on the
    way, or the file itself) that is a symbolic link on disk, or None."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        if os.path.islink(root.joinpath(*parts[:depth])):
            return "/".join(parts[:depth])
    return None


def symlink_message(what: str, link: str, relative: str) -> str:
    """The PR006 message: the same words for the working tree and for git."""
    where = "is a symlink" if link == relative else f"lies under the symlinked directory {link!r}"
    return (
        f"{what} {where} (under the prompts directory): git stores a link, not the file it "
        "points to, so promptreg refuses it; replace it with the file itself"
    )


class PartialLoader(jinja2.BaseLoader):
    """Jinja's view of the partials: only names `include_problem` allows, via one reader."""

    def __init__(
        self, prompts_dir: Path, reader: PartialReader, max_bytes: int = MAX_PARTIAL_BYTES
    ) -> None:
        self.prompts_dir = prompts_dir
        self.reader = reader
        self.max_bytes = max_bytes

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        problem = include_problem(template)
        if problem:
            raise IncludeError(template, "PR044", problem)
        try:
            source = self.reader(template)
        except IncludeError:  # an OSError too, through jinja2.TemplateNotFound
            raise
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise IncludeError(
                template, "PR043", f"included template {template!r} not found under prompts/"
            ) from None
        except OSError as err:  # a name too long, a permission denied, a symlink loop
            raise IncludeError(
                template, "PR043", f"included template {template!r} cannot be read: {err.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise IncludeError(
                template, "PR043", f"included template {template!r} is not UTF-8"
            ) from None
        if len(source) > self.max_bytes // 4:  # a reader that cannot tell the size first (git)
            size = len(source.encode("utf-8", "surrogatepass"))
            if size > self.max_bytes:
                raise IncludeError(
                    template, "PR004", too_big_message(template, size, self.max_bytes)
                )
        if RESERVED_CHAR in source:
            line = source.count("\n", 0, source.index(RESERVED_CHAR)) + 1
            raise IncludeError(
                template, "PR049", f"included template {template!r} contains U+E000 (line {line})"
            )
        return source, str(self.prompts_dir / template), lambda: True


def read_text(path: Path) -> str:
    """A partial or prompt file's text from disk (see `decode_source`)."""
    return decode_source(read_regular(path))


def beside(base: Path, relative: str) -> Path | None:
    """`base / relative` when `relative` stays under `base` with no symlink anywhere on the way
    (None otherwise): a file a prompt names beside itself (`${file:x.json}`, a Dotprompt
    partial) must not be an absolute path, `..`, or reached through a linked directory, which
    would read a file from elsewhere on the machine into a sample or a prompt."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
        return None
    path = base
    for part in parts:
        path = path / part
        if path.is_symlink():
            return None
    return path


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path` if it is a regular file (at most `limit` + 1 of them). A FIFO,
    a device or a socket under the prompts directory would block `validate` forever or
    stream without end (git can store none of them): it is an OSError here. Opened without
    blocking and checked on the open descriptor, so nothing can swap the file in between."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read() if limit is None else handle.read(limit + 1)
    finally:
        os.close(fd)


def decode_source(data: bytes) -> str:
    """A prompt or partial's text: UTF-8 (BOM dropped), newlines normalised to `\\n`.

    Normalising keeps content hashes equal across checkouts with and without CRLF conversion.
    Raises UnicodeDecodeError.
    """
    text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n") if "\r" in text else text
