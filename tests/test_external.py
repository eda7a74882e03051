"""Real prompt files of other projects (Prompty, Dotprompt, GitHub Models) thrown at validate.

They are not promptreg prompts, so every one must be rejected: exit 1, each finding a
well-formed `path:line:col: PRxxx message` line that makes sense for the file (unknown keys
such as dotprompt's `config`, a model given as a string, Handlebars that is not Jinja), and
never a traceback. The collection lives in shared/external (see its README); a few files are
vendored in tests/data/external so the test runs on a fresh clone as well.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Result, Workspace
from tests.formats_support import external_root

HERE = Path(__file__).parent
VENDORED = HERE / "data" / "external"
EXTERNAL = external_root()
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>PR\d{3}) (?P<msg>.+)$")
SUFFIXES = (".prompt.yml", ".prompty", ".prompt", ".yml")


@dataclass(frozen=True)
class Expect:
    code: str
    line: int
    says: str = ""  # a piece of the message


# Relative to shared/external (and to tests/data/external for the vendored ones).
SELECTION: dict[str, list[Expect]] = {
    # dotprompt: recognised (Handlebars, or its front-matter keys) and named as one, PR090,
    # with the import command, instead of a pile of schema and Jinja errors
    "dotprompt/examples/error-invalid-yaml.prompt": [
        Expect("PR010", 8, "mapping values are not allowed")
    ],
    "dotprompt/examples/error-multiple-issues.prompt": [
        Expect("PR090", 1, "Dotprompt file (Handlebars `{{#"),
    ],
    "dotprompt/examples/error-unclosed-block.prompt": [
        Expect("PR090", 1, "`promptreg import prompts/dotprompt/"),
    ],
    "dotprompt/examples/error-unbalanced-brace.prompt": [Expect("PR002", 1, "no front-matter")],
    "dotprompt/examples/error-unmatched-closing-block.prompt": [
        Expect("PR090", 1, "Handlebars `{{/")
    ],
    "dotprompt/examples/valid-greeting.prompt": [Expect("PR090", 1, "at line 17")],
    "dotprompt/examples/autocomplete.prompt": [Expect("PR090", 1, '`{{role "')],
    "dotprompt/examples/warning-unused-variable.prompt": [
        Expect("PR090", 1, "front-matter `config:`")
    ],
    "dotprompt/examples/partials/circular-partial-a.prompt": [Expect("PR090", 1, "`{{>")],
    "dotprompt/go/example/example.prompt": [Expect("PR090", 1)],
    # the monaco samples open with a licence comment, before any `---`
    "dotprompt/packages/monaco/samples/01-basic.prompt": [Expect("PR090", 1)],
    "dotprompt/packages/monaco/samples/02-schema-and-config.prompt": [Expect("PR090", 1)],
    "dotprompt/packages/monaco/samples/06-partials.prompt": [Expect("PR090", 1)],
    "dotprompt/packages/monaco/samples/10-kitchen-sink.prompt": [Expect("PR090", 1)],
    "dotprompt/packages/monaco/samples/11-multilingual-unicode.prompt": [Expect("PR090", 1)],
    # Prompty: `name`, `authors`, model.api/configuration/parameters, `template`
    "prompty/v1_python-0.1.50/tests/prompts/basic.prompty": [
        Expect("PR020", 2, "unknown key `name`"),
        Expect("PR021", 2, "`version` is required"),
        Expect("PR020", 4, "unknown key `authors`"),
        Expect("PR021", 7, "`model.provider` is required"),
        Expect("PR020", 8, "model.api: unknown key `api`"),
        Expect("PR020", 9, "model.configuration"),
    ],
    "prompty/v1_python-0.1.50/tests/prompts/chat.prompty": [
        Expect("PR020", 8, "model.api"),
    ],
    "prompty/v1_python-0.1.50/tests/prompts/faithfulness.prompty": [
        Expect("PR020", 4, "unknown key `base`"),
        Expect("PR020", 13, "unknown key `template`"),
        Expect("PR044", 16, "'evaluation.prompty' is a prompt file"),
    ],
    "prompty/v1_python-0.1.50/tests/prompts/basic_mustache.prompty": [
        Expect("PR020", 23, "`template`"),
        Expect("PR040", 38),
    ],
    "prompty/v2_main/python-tests/prompts/basic.prompty": [
        Expect("PR020", 8, "model.id"),
        Expect("PR022", 18, "inputs: must be a mapping of input name to declaration, not a list"),
        Expect("PR020", 28, "`template`"),
    ],
    "prompty/v2_main/python-tests/prompts/shorthand_model_string.prompty": [
        Expect("PR022", 3, "model: must be a mapping"),
    ],
    "prompty/v2_main/python-tests/prompts/shorthand_empty_frontmatter.prompty": [
        Expect("PR013", 1, "not null"),
    ],
    "prompty/promptflow/examples/prompty/chat-basic/chat.prompty": [
        Expect("PR020", 10, "did you mean `params`?"),
        Expect("PR023", 18, "'list' is not a type"),
    ],
    "prompty/promptflow/examples/flex-flows/chat-with-functions/chat_with_tools.prompty": [
        Expect("PR048", 23, "before the first role marker"),
    ],
    # GitHub Models: plain YAML documents, no front-matter at all
    "github_models/ai-inference/__fixtures__/prompts/simple.prompt.yml": [
        Expect("PR002", 1, "no front-matter")
    ],
    "github_models/gh-models/examples/sample_prompt.yml": [Expect("PR002", 1)],
    "github_models/tafreeman-prompts/testing/evals/test-simple.prompt.yml": [Expect("PR002", 1)],
}
VENDORED_FILES = sorted(str(p.relative_to(VENDORED)) for p in VENDORED.rglob("*") if p.is_file())
VENDORED_FILES.remove("README.md")


def _source(relative: str) -> Path | None:
    if EXTERNAL is not None and (EXTERNAL / relative).is_file():
        return EXTERNAL / relative
    if (VENDORED / relative).is_file():
        return VENDORED / relative
    return None


def _dest_name(relative: str, index: int) -> str:
    """A valid prompt name for a foreign file: `<project>/<nn>-<stem>`."""
    group, _, rest = relative.partition("/")
    stem = rest.rsplit("/", 1)[-1]
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"{group.replace('_', '-')}/{index:03d}-{slug}"


def _copy_in(ws: Workspace, relatives: list[str], base: Path | None) -> dict[str, str]:
    """Copy each file under prompts/ as a .prompt; returns {shown path: source relative}."""
    shown: dict[str, str] = {}
    for i, relative in enumerate(relatives):
        source = base / relative if base is not None else _source(relative)
        assert source is not None, relative
        dest = ws.prompts / f"{_dest_name(relative, i)}.prompt"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        shown[os.path.relpath(dest, ws.root)] = relative
    return shown


def _parse(out: str) -> list[re.Match[str]]:
    matches = []
    for line in out.splitlines():
        match = FINDING.match(line)
        assert match, f"malformed finding line: {line!r}"
        matches.append(match)
    return matches


def _check_run(
    ws: Workspace, run: Callable[..., Result], relatives: list[str], base: Path | None = None
) -> dict[str, list[re.Match[str]]]:
    shown = _copy_in(ws, relatives, base)
    result = run("validate", "prompts")
    assert "Traceback" not in result.err + result.out
    assert "internal error" not in result.err
    assert result.code == 1
    assert f"{len(relatives)} prompt" in result.err
    by_file: dict[str, list[re.Match[str]]] = {path: [] for path in shown}
    for match in _parse(result.out):
        assert match["path"] in shown, match["path"]
        assert int(match["line"]) >= 1 and int(match["col"]) >= 1
        by_file[match["path"]].append(match)
    silent = [shown[path] for path, found in by_file.items() if not found]
    assert not silent, f"foreign files that passed validation: {silent}"

    as_json = run("validate", "--json", "prompts")
    assert as_json.code == 1
    data = json.loads(as_json.out)
    assert data["ok"] is False and data["files"] == len(relatives)
    assert len(data["findings"]) == sum(len(v) for v in by_file.values())
    return {shown_path: by_file[shown_path] for shown_path in shown}


def _assert_expected(found: list[re.Match[str]], expected: list[Expect], relative: str) -> None:
    for want in expected:
        hits = [
            m
            for m in found
            if m["code"] == want.code and int(m["line"]) == want.line and want.says in m["msg"]
        ]
        listing = "\n".join(m.group(0) for m in found)
        assert hits, f"{relative}: expected {want} among:\n{listing}"


def _run_selection(
    ws: Workspace, run: Callable[..., Result], relatives: list[str], base: Path | None
) -> None:
    results = _check_run(ws, run, relatives, base)
    for found, relative in zip(results.values(), relatives, strict=True):
        _assert_expected(found, SELECTION[relative], relative)


def test_selection_of_external_files(ws: Workspace, run: Callable[..., Result]) -> None:
    if EXTERNAL is None:
        pytest.skip("shared/external is not on this machine (the vendored test still runs)")
    assert len(SELECTION) >= 20
    _run_selection(ws, run, list(SELECTION), None)


def test_vendored_files(ws: Workspace, run: Callable[..., Result]) -> None:
    """Always runs: the vendored copies, with the same expectations as the originals."""
    assert 3 <= len(VENDORED_FILES) <= 5
    assert set(VENDORED_FILES) <= set(SELECTION)
    _run_selection(ws, run, VENDORED_FILES, VENDORED)


@pytest.mark.parametrize("relative", VENDORED_FILES)
def test_vendored_copies_are_byte_identical(relative: str) -> None:
    if EXTERNAL is None:
        pytest.skip("shared/external is not on this machine")
    assert (VENDORED / relative).read_bytes() == (EXTERNAL / relative).read_bytes()


def _every_external_prompt() -> list[str]:
    if EXTERNAL is None:
        return []
    found = []
    for path in sorted(EXTERNAL.rglob("*")):
        relative = path.relative_to(EXTERNAL).as_posix()
        if not path.is_file() or relative.startswith("dotprompt/spec/"):
            continue  # the spec suite is YAML test vectors, not prompt files
        if path.name.endswith((".prompt", ".prompty", ".prompt.yml")) or (
            "/examples/" in relative and path.suffix == ".yml"
        ):
            found.append(relative)
    return found


def test_every_external_prompt_file(ws: Workspace, run: Callable[..., Result]) -> None:
    """All of them at once: each is rejected with at least one well-formed finding."""
    relatives = _every_external_prompt()
    if not relatives:
        pytest.skip("shared/external is not on this machine")
    assert len(relatives) >= 100
    results = _check_run(ws, run, relatives)
    codes = {m["code"] for found in results.values() for m in found}
    # the foreign formats fail for the reasons one would expect
    assert {"PR002", "PR020", "PR021", "PR022", "PR040"} <= codes


@pytest.mark.parametrize(
    ("sample", "line", "says"),
    [
        ("02-schema-and-config.prompt", 15, "did not find expected comment or line break"),
        ("06-partials.prompt", 7, "did not find expected key"),
        ("10-kitchen-sink.prompt", 17, "did not find expected key"),
    ],
)
def test_monaco_samples_with_broken_yaml(
    ws: Workspace, run: Callable[..., Result], sample: str, line: int, says: str
) -> None:
    """Monaco samples 02, 06 and 10 have broken YAML: with their licence header removed (so
    the file starts at `---`), the YAML itself is refused, at the line that breaks."""
    relative = f"dotprompt/packages/monaco/samples/{sample}"
    source = _source(relative)
    if source is None:
        pytest.skip("shared/external is not on this machine")
    text = source.read_text("utf-8")
    text = text[text.index("---\n") :]
    ws.write("prompts/monaco/sample.prompt", text)
    result = run("validate", "prompts/monaco/sample.prompt")
    assert result.code == 1
    [finding] = _parse(result.out)
    assert (finding["code"], int(finding["line"])) == ("PR010", line)
    assert says in finding["msg"]
