"""Prompt names: `support/triage` is the file `prompts/support/triage.prompt`."""

from __future__ import annotations

from pathlib import Path

from promptreg._lazyre import DIGITS, LOWER, is_word

SUFFIX = ".prompt"
PROMPTY_SUFFIX = ".prompty"  # Microsoft Prompty files are prompts as they are (issue 12 §1)
SUFFIXES = (SUFFIX, PROMPTY_SUFFIX)
MAX_SEGMENT = 100
# A tag is a file under .git/refs/tags/ until it is packed, so its name must fit the file
# system wherever the repository is cloned: each `/`-separated part within NAME_MAX (255
# bytes) once git adds `.lock` while writing it, and the whole ref well within PATH_MAX (1024
# on macOS) to leave room for the repository's own path. Git itself sets no other limit.
MAX_REF_PART = 250
MAX_REF = 900


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid prompt name, or None when it is."""
    if not name:
        return "a prompt name cannot be empty"
    for segment in name.split("/"):
        if not is_word(segment, LOWER + DIGITS, LOWER + DIGITS + "._-"):
            return (
                f"invalid name segment {segment!r} in {name!r}: segments are lower-case "
                "letters, digits, `.`, `_` and `-`, starting with a letter or digit, joined by `/`"
            )
        if segment.endswith(SUFFIXES) or set(segment) == {"."}:
            return f"invalid name segment {segment!r} in {name!r}"
        if len(segment) > MAX_SEGMENT:  # a file name must fit the file system's 255 bytes
            return f"name segment {segment[:20]!r}... is over {MAX_SEGMENT} characters"
    return None


def ref_problem(tag: str) -> str | None:
    """Why the tag `tag` (without refs/tags/) cannot be a git ref on every file system, or
    None when it can (rule PR007)."""
    if len(tag) <= MAX_REF_PART and tag.isascii():  # the usual case: every part fits, and all
        return None  # of it (validate asks 2,000 prompts x (environments + 1))
    ref = f"refs/tags/{tag}"
    if len(ref.encode("utf-8")) > MAX_REF:
        return (
            f"its tag {tag[:40]!r}... is {len(ref.encode('utf-8'))} bytes as a ref, over {MAX_REF}"
        )
    for part in tag.split("/"):
        size = len(part.encode("utf-8"))
        if size > MAX_REF_PART:
            return (
                f"its tag {tag[:40]!r}... has a part of {size} bytes ({part[:20]!r}...), over "
                f"{MAX_REF_PART}: git stores a tag as a file, whose name must fit the file system"
            )
    return None


def name_for_path(path: Path, prompts_dir: Path) -> str:
    """The prompt name of a file under `prompts_dir` (no validation)."""
    return strip_suffix(path.relative_to(prompts_dir).as_posix())


def strip_suffix(relative: str) -> str:
    """A prompt file's path without its suffix (`.prompt` or `.prompty`)."""
    for suffix in SUFFIXES:
        if relative.endswith(suffix):
            return relative[: -len(suffix)]
    return relative


def path_for_name(name: str, prompts_dir: Path, suffix: str = SUFFIX) -> Path:
    return prompts_dir.joinpath(*name.split("/")).with_name(name.rsplit("/", 1)[-1] + suffix)
