"""Read one prompt file into a `Prompt`, or into findings that say exactly what is wrong.

Loading checks what a prompt needs to be usable at all: readable UTF-8, front-matter that is
YAML and fits the schema, a template that parses, includes that exist inside the prompts
directory and do not cycle. `validate` adds the lints on top (see `validate.py`).
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from pathlib import Path

import jinja2

from promptreg._lazyre import lazy_pattern
from promptreg._record import record
from promptreg.codecache import CodeCache
from promptreg.errors import PromptFileError
from promptreg.findings import Finding
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.frontmatter.schema import parse_spec
from promptreg.frontmatter.spec import PromptSpec
from promptreg.frontmatter.split import FileParts, FrontMatterError, split_front_matter
from promptreg.frontmatter.yamldoc import YamlDoc, YamlError
from promptreg.names import PROMPTY_SUFFIX, name_problem
from promptreg.template.environment import Closure, TemplateEnv
from promptreg.template.markers import MARKER
from promptreg.template.prompt import Prompt
from promptreg.template.sources import decode_source, read_regular, symlink_message, symlink_under

_YAML_CODES = {"syntax": "PR010", "duplicate": "PR011", "alias": "PR012"}
_JINJA_TAGS = lazy_pattern(r"\{#.*?#\}|\{%.*?%\}", re.S)


@record
class PromptFile:
    """Everything learnt from reading one file, for `validate` to lint further."""

    path: Path
    shown: str
    name: str
    findings: list[Finding] = field(default_factory=list)
    parts: FileParts | None = None
    doc: YamlDoc | None = None
    spec: PromptSpec | None = None
    template: jinja2.Template | None = None
    closure: Closure | None = None
    prompt: Prompt | None = None
    data: bytes | None = None  # the file's bytes as read (None: not read: PR001/PR004/PR006)

    def add(self, line: int, col: int, code: str, message: str) -> None:
        self.findings.append(Finding(self.shown, line, col, code, message))

    @property
    def body_line(self) -> int:
        return self.parts.body_line if self.parts else 1


def read_prompt_file(
    path: Path, *, name: str, shown: str, env: TemplateEnv, max_bytes: int
) -> PromptFile:
    """Read and check a prompt file on disk."""
    pf = PromptFile(path=path, shown=shown, name=name)
    data = pf.data = _read_bytes(pf, max_bytes, env.prompts_dir)
    return pf if data is None else _parse(pf, data, env, on_disk=True)


def read_front_matter(
    path: Path,
    *,
    name: str,
    shown: str,
    max_bytes: int,
    cache: CodeCache | None = None,
    prompts_dir: Path | None = None,
) -> PromptFile:
    """Read only what the front-matter says (no template work): for listings."""
    pf = PromptFile(path=path, shown=shown, name=name)
    data = _read_bytes(pf, max_bytes, prompts_dir)
    text = None if data is None else _decode(pf, data)
    if text is not None:
        _parse_front_matter(pf, text, cache, on_disk=True)
    return pf


def parse_prompt_bytes(
    data: bytes, *, path: Path, name: str, shown: str, env: TemplateEnv
) -> PromptFile:
    """Check a prompt file's content read from elsewhere (a git revision, a bundle)."""
    return _parse(PromptFile(path=path, shown=shown, name=name), data, env)


def load_light(
    data: bytes, *, path: Path, name: str, shown: str, env: TemplateEnv, content_hash: str | None
) -> Prompt:
    """A Prompt from trusted content (deployed through promote, or a verified bundle): the
    front-matter is parsed and checked now, the template when it is first rendered.
    Raises PromptFileError."""
    pf = PromptFile(path=path, shown=shown, name=name)
    text = _decode(pf, data)
    if text is not None:
        _parse_front_matter(pf, text, env.code_cache)
    if pf.findings or pf.spec is None or pf.parts is None:
        raise PromptFileError(pf.findings or [Finding(shown, 1, 1, "PR002", "not a prompt")])
    return Prompt(
        name=name,
        path=path,
        shown_path=shown,
        spec=pf.spec,
        body=pf.parts.body,
        body_line=pf.parts.body_line,
        env=env,
        content_hash=content_hash,
    )


def _parse(pf: PromptFile, data: bytes, env: TemplateEnv, *, on_disk: bool = False) -> PromptFile:
    text = _decode(pf, data)
    if text is None or not _parse_front_matter(pf, text, env.code_cache, on_disk=on_disk):
        return pf
    _read_template(pf, env)
    if pf.findings or pf.spec is None or pf.template is None or pf.closure is None or not pf.parts:
        return pf
    pf.prompt = Prompt(
        name=pf.name,
        path=pf.path,
        shown_path=pf.shown,
        spec=pf.spec,
        body=pf.parts.body,
        body_line=pf.parts.body_line,
        env=env,
        template=pf.template,
        closure=pf.closure,
    )
    return pf


def _parse_front_matter(
    pf: PromptFile, text: str, cache: CodeCache | None, *, on_disk: bool = False
) -> bool:
    """Split and check the front-matter; False when the template cannot even be looked at.
    A `.prompty` file is read through its Prompty view (project/prompty.py); `on_disk`: a
    sample file it names (`${file:...}`) can be read beside it."""
    problem = name_problem(pf.name)
    if problem:
        pf.add(1, 1, "PR005", problem)
    try:
        pf.parts = split_front_matter(text)
    except FrontMatterError as err:
        if not _foreign(pf, text, None):
            pf.add(err.line, 1, err.code, err.message)
        return False
    try:
        pf.doc = read_yaml(pf.parts.front_matter, line_offset=1, cache=cache)
    except YamlError as err:  # said first, also in a Dotprompt file: `import` needs YAML too
        pf.add(err.line, err.col, _YAML_CODES[err.kind], err.message)
        return False
    adapted = None
    if pf.path.name.endswith(PROMPTY_SUFFIX):
        from promptreg.project.prompty import adapt, disk_reader

        reader = disk_reader(pf.path) if on_disk else None
        adapted = adapt(pf.doc, pf.parts, pf.add, reader)
        pf.doc, pf.parts = adapted.doc, adapted.parts
    pf.spec, spec_findings = parse_spec(pf.doc, pf.shown)
    if spec_findings and _foreign(pf, text, pf.doc.data):
        pf.spec = pf.doc = None  # nothing else to lint: the file is not a promptreg prompt
        return False
    pf.findings.extend(spec_findings)
    if adapted is not None and pf.spec is not None:
        from promptreg.project.prompty import with_dialect

        pf.spec = with_dialect(pf.spec, adapted)
    return True


def _foreign(pf: PromptFile, text: str, front: object) -> bool:
    """A Dotprompt file (same suffix, other format): one finding, PR090, naming `import`,
    instead of the schema and Jinja errors it would otherwise raise. Asked only once the
    file has failed as a promptreg prompt."""
    from promptreg.frontmatter.foreign import CODE, dotprompt_finding

    found = dotprompt_finding(text, front, pf.shown)
    if found is not None:
        pf.add(found[0], 1, CODE, found[1])
    return found is not None


def _read_bytes(pf: PromptFile, max_bytes: int, prompts_dir: Path | None) -> bytes | None:
    if prompts_dir is not None and _symlinked(pf, prompts_dir):
        return None
    try:
        size = pf.path.stat().st_size
        if size > max_bytes:
            pf.add(
                1,
                1,
                "PR004",
                f"file is {size:,} bytes, over the limit of {max_bytes:,} (lint.max_file_bytes)",
            )
            return None
        return read_regular(pf.path)
    except OSError as err:
        pf.add(1, 1, "PR001", f"cannot read: {err.strerror or err}")
        return None


def _symlinked(pf: PromptFile, prompts_dir: Path) -> bool:
    """A prompt file that is a symlink, or lies under a symlinked directory of the prompts
    directory, is refused (PR006): git would store the link, and the deployed prompt would
    be the link's target path, not the text validated here."""
    relative = _relative_under(pf.path, prompts_dir)
    link = None if relative is None else symlink_under(prompts_dir, relative)
    if link is None:
        return False
    assert relative is not None
    pf.add(1, 1, "PR006", symlink_message("this prompt file", link, relative))
    return True


def _relative_under(path: Path, directory: Path) -> str | None:
    """`path` below `directory` as written (symlinks not resolved: they are what is looked
    for), or None when it is not below it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(directory)).as_posix()
    except ValueError:
        pass
    try:  # (only then: resolving costs an lstat of every part, for every prompt validated)
        return absolute.relative_to(directory.resolve()).as_posix()
    except ValueError:
        return None


def _decode(pf: PromptFile, data: bytes) -> str | None:
    try:
        return decode_source(data)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        pf.add(
            line, col, "PR001", f"not valid UTF-8: byte 0x{data[err.start]:02x} cannot be decoded"
        )
        return None


def _read_template(pf: PromptFile, env: TemplateEnv) -> None:
    assert pf.parts is not None
    body, offset = pf.parts.body, pf.parts.body_line - 1
    reserved = body.find(RESERVED_CHAR)
    if reserved >= 0:
        pf.add(offset + body.count("\n", 0, reserved) + 1, 1, "PR049", "template contains U+E000")
        return
    try:
        analysis = env.analyse(body, name=pf.name, filename=str(pf.path))
    except jinja2.TemplateSyntaxError as err:
        code = getattr(err, "code", "PR040")  # PR055: cannot be compiled within limits
        line, col, message = syntax_error_position(body, err, env.env.preprocess(body))
        if code == "PR040":
            from promptreg.template.text_lint import raw_hint

            message += raw_hint(body, line, message, offset + line)
        pf.add(offset + line, col, code, message)
        return
    except (ValueError, RecursionError) as err:  # Jinja's lexer and parser do not catch these
        # An integer literal past Python's 4,300 digits, or nesting past the recursion limit.
        what = "nested too deeply" if isinstance(err, RecursionError) else str(err).split(":")[0]
        pf.add(offset + 1, 1, "PR040", f"template cannot be compiled: {what}")
        return
    pf.template = env.template(analysis)
    pf.closure = env.closure(analysis)
    for problem in pf.closure.problems:
        pf.add(offset + problem.line, 1, problem.code, problem.message)
    _check_leading_text(pf, body, offset)


_AT_OFFSET = lazy_pattern(r"\A(unexpected char .+) at (\d+)\Z", re.S)


def syntax_error_position(
    body: str, err: jinja2.TemplateSyntaxError, lexed: str | None = None
) -> tuple[int, int, str]:
    """(line, column, message) of a Jinja syntax error in `body`. Jinja's lexer reports an
    unexpected character by its offset in the source it lexed (`unexpected char '#' at
    37387`: `lexed`, the body after role markers became sentinels) and every error at column
    1: the offset becomes a line and column here. Other errors carry a line only."""
    message = err.message or "template syntax error"
    line = err.lineno or 1
    match = _AT_OFFSET.match(message)
    lexed = body if lexed is None else lexed
    if match is not None:
        pos = int(match.group(2))
        if 0 <= pos <= len(lexed) and lexed.count("\n", 0, pos) + 1 == line:
            start = lexed.rfind("\n", 0, pos) + 1
            col = pos - start + 1
            original = body.split("\n")[line - 1] if line <= body.count("\n") + 1 else ""
            same = original == lexed[start:].split("\n", 1)[0]
            return line, col if same else 1, match.group(1)
    return line, 1, message


def _check_leading_text(pf: PromptFile, body: str, offset: int) -> None:
    """Text before the first role marker would be lost between roles: refuse it."""
    first = MARKER.search(body)
    if first is None:
        return
    leading = _JINJA_TAGS.sub("", body[: first.start()])
    if leading.strip():
        stripped = len(leading) - len(leading.lstrip())
        line = offset + body.count("\n", 0, first.start()) + 1
        text_line = offset + leading.count("\n", 0, stripped) + 1
        pf.add(
            min(text_line, line),
            1,
            "PR048",
            f"text before the first role marker (`{first.group(1)}:` at line {line}): "
            "put it under a role",
        )
