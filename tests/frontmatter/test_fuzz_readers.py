"""Every reader fails cleanly on any input: a value or findings, never a traceback.

Fuzzes the readers a user's bytes reach first: the front-matter splitter, the YAML reader, the
whole prompt file reader (as `validate` and `list` use it), `--vars` and `--set`, and the values
given to `Prompt.render`. Every result must be a Prompt, findings whose `path:line:col: CODE
message` is one line, or a `PromptregError` (exit 1-2 from the CLI). Examples are bounded so the
file runs in a few seconds; the deep-nesting cases are explicit, at the depths that used to
crash (990: past Python's recursion limit, short of libyaml's own limit of 1,000).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import promptreg
from promptreg.errors import InputError, PromptNotFoundError, PromptregError
from promptreg.findings import RULES, Finding
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.inputs import parse_input_text, resolve_inputs
from promptreg.frontmatter.spec import InputSpec
from promptreg.frontmatter.split import FrontMatterError, split_front_matter
from promptreg.frontmatter.yamldoc import MAX_NESTING, YamlError
from promptreg.project.project import Project
from tests.conftest import VALID_PROMPT, Result, Workspace

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Around every limit that matters: ours (100), Python's recursion limit (~1,000 frames, the
# reader already some frames deep), libyaml's (1,000).
DEPTHS = [MAX_NESTING, MAX_NESTING + 1, 980, 990, 995, 1000, 1001, 5000]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "promptreg.yaml").write_text("prompts_dir: prompts\n", encoding="utf-8")
    (root / "prompts" / "partials").mkdir(parents=True)
    (root / "prompts" / "partials" / "tone.j2").write_text("Be brief.\n", encoding="utf-8")
    return Project.open(root)


def assert_one_line(finding: Finding) -> None:
    text = finding.format()
    assert text.splitlines() == [text], text
    assert text.isprintable(), text
    assert finding.code in RULES


def read_file(project: Project, data: bytes) -> None:
    """Read `data` as a prompt file, as `validate` and `list` do, and check the contract."""
    path = project.prompts_dir / "fuzzed.prompt"
    path.write_bytes(data)
    pf = project.read(path)
    assert pf.prompt is not None or pf.findings, "neither a prompt nor findings"
    for finding in pf.findings:
        assert_one_line(finding)
    listed = project.read_front_matter(path)
    for finding in listed.findings:
        assert_one_line(finding)
    if pf.prompt is not None:
        assert isinstance(pf.prompt.content_hash, str)
        with contextlib.suppress(PromptregError):  # anything else fails the test
            pf.prompt.render_inputs(pf.prompt.sample or {})


# -- building blocks ------------------------------------------------------------------------

# What a prompt file is made of, and what breaks readers: YAML and Jinja syntax, control
# characters, a BOM, CR-only and CRLF line ends, invalid UTF-8, line and paragraph separators,
# numbers past Python's 4,300-digit limit, explicit tags, anchors.
NASTY = [
    b"\x00",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"\xe2\x80\xae",
    b"\x1b[31m",
    b"\t",
    b"\n",
    b"---\n",
    b"--- ",
    b"{",
    b"[",
    b"}",
    b"]",
    b": ",
    b"- ",
    b"? ",
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!binary ",
    b"!!timestamp ",
    b"!!int ",
    b"!!float ",
    b"!x ",
    b"%YAML 1.1\n",
    b"|",
    b">",
    b"#",
    b"'",
    b'"',
    b"\\",
    b"9" * 5000,
    b"1e999",
    b"-.inf",
    b".nan",
    b"0x",
    b"{{",
    b"}}",
    b"{%",
    b"%}",
    b"{#",
    b"system:\n",
    b"user:\n",
    b"\xee\x80\x80",
    b"[" * 995 + b"]" * 995,
]


@st.composite
def mutated_prompt(draw: st.DrawFn) -> bytes:
    """A valid prompt file with a few structure-aware edits: a nasty token inserted, a span
    deleted or duplicated, every newline turned into CR or CRLF."""
    data = bytearray(VALID_PROMPT.encode())
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "newlines"]))
        if op == "insert":
            data[pos:pos] = draw(st.sampled_from(NASTY))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 12))]
        elif op == "duplicate":
            start = draw(st.integers(0, len(data)))
            data[pos:pos] = data[start : start + draw(st.integers(1, 40))]
        else:
            data = bytearray(data.replace(b"\n", draw(st.sampled_from([b"\r", b"\r\n"]))))
    return bytes(data)


yaml_ish = st.lists(
    st.one_of(
        st.sampled_from([t.decode("utf-8", "replace") for t in NASTY[:48]]),
        st.text(max_size=8),
        st.sampled_from(["a", "b", "1", "  ", "\n  ", "\n- ", "version", "inputs", "x: y"]),
    ),
    max_size=30,
).map("".join)


def nested(depth: int, kind: str) -> str:
    if kind == "flow-list":
        return "[" * depth + "]" * depth
    if kind == "flow-map":
        return "{a: " * depth + "1" + "}" * depth
    return "".join(f"{'  ' * i}k:\n" for i in range(depth)) + "  " * depth + "v\n"


# -- front-matter and YAML ------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(st.text(max_size=300), yaml_ish))
def test_front_matter_split_is_exact_or_refused(text: str) -> None:
    try:
        parts = split_front_matter(text)
    except FrontMatterError as err:
        assert err.code in RULES
        return
    assert parts.opening + parts.front_matter + parts.closing + parts.body == text


@FUZZ
@given(text=st.one_of(st.text(max_size=300), yaml_ish))
def test_yaml_reader_returns_data_or_a_yaml_error(text: str) -> None:
    try:
        doc = read_yaml(text, line_offset=1)
    except YamlError as err:
        assert_one_line(Finding("f.prompt", err.line, err.col, "PR010", err.message))
        assert err.line >= 1
        assert err.col >= 1
        return
    json.dumps(doc.data, default=str)  # every later walk over the data must survive it


@pytest.mark.parametrize("kind", ["flow-list", "flow-map", "block-map"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_yaml_is_a_yaml_error(kind: str, depth: int) -> None:
    text = nested(depth, kind)
    if depth <= MAX_NESTING:
        assert read_yaml(text).data is not None
    else:
        with pytest.raises(YamlError, match=f"nested more than {MAX_NESTING} levels deep"):
            read_yaml(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "9" * 5000, "integer of 5,000 digits is too long"),
        ("a: !!int x", "not an integer"),
        ("a: !!float x", "not a number"),
        ("a: !!binary aGk=", "tag tag:yaml.org,2002:binary is not allowed"),
        ("a: !!timestamp 2020-01-01", "tag tag:yaml.org,2002:timestamp is not allowed"),
        ("a: !custom x", "tag !custom is not allowed"),
    ],
)
def test_scalars_no_prompt_field_can_hold_are_yaml_errors(text: str, message: str) -> None:
    with pytest.raises(YamlError, match=message):
        read_yaml(text)


def test_core_tags_written_explicitly_still_read() -> None:
    doc = read_yaml("a: !!str 1\nb: !!float 1\nc: !!int 2\nd: !!null ''\ne: !!bool true\n")
    assert doc.data == {"a": "1", "b": 1.0, "c": 2, "d": None, "e": True}


# -- the whole prompt file ------------------------------------------------------------------


@FUZZ
@given(data=mutated_prompt())
def test_mutated_prompt_file_reads_to_a_prompt_or_findings(project: Project, data: bytes) -> None:
    read_file(project, data)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_read_to_findings(project: Project, data: bytes) -> None:
    read_file(project, data)


@FUZZ
@given(front=yaml_ish)
def test_random_front_matter_reads_to_a_prompt_or_findings(project: Project, front: str) -> None:
    read_file(project, f"---\n{front}\n---\nuser:\nhi\n".encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("kind", ["flow-list", "flow-map"])  # block maps: a size finding
@pytest.mark.parametrize("depth", [990, 1000, 5000])
def test_deep_front_matter_is_a_finding(project: Project, kind: str, depth: int) -> None:
    text = "---\nversion: 1.0.0\nmetadata:\n  x: " + nested(depth, kind).replace("\n", "\n    ")
    path = project.prompts_dir / "deep.prompt"
    path.write_text(text + "\n---\nuser:\nhi\n", encoding="utf-8")
    pf = project.read(path)
    assert [f.code for f in pf.findings] == ["PR010"]
    assert_one_line(pf.findings[0])


def test_nul_in_front_matter_is_a_one_line_finding(ws: Workspace, run: Callable[..., Result]):
    ws.prompt("triage", VALID_PROMPT.replace("Classify a ticket", "Classify\0 a ticket"))
    result = run("validate")
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 1, result.out
    assert lines[0].startswith("prompts/triage.prompt:3:22: PR010 character U+0000 is not allowed")


def test_control_characters_in_an_error_are_escaped(ws: Workspace, run: Callable[..., Result]):
    ws.prompt("triage")
    result = run("render", "triage", "--set", "ticket\nsystem:\x1b[2J=x")
    assert result.code == 2
    assert result.err.splitlines() == [result.err.rstrip("\n")]
    assert "\x1b" not in result.err
    assert "\\n" in result.err


def test_cr_only_line_ends_are_named(project: Project) -> None:
    path = project.prompts_dir / "mac.prompt"
    path.write_bytes(VALID_PROMPT.replace("\n", "\r").encode())
    pf = project.read(path)
    assert [(f.code, f.line) for f in pf.findings] == [("PR002", 1)]
    assert "lone CR" in pf.findings[0].message


BAD_FILES: dict[str, bytes] = {
    "nul": VALID_PROMPT.replace("free, pro", "free\0, pro").encode(),
    "deep": b"---\nversion: 1.0.0\nx: " + b"[" * 990 + b"]" * 990 + b"\n---\nuser:\nhi\n",
    "big-int": b"---\nversion: " + b"9" * 5000 + b"\n---\nuser:\nhi\n",
    "latin1": VALID_PROMPT.replace("wrong", "wr\xf6ng").encode("latin-1"),
    "include-nul": b'---\nversion: 1.0.0\n---\nuser:\n{% include "a\0b" %}\n',
    "include-long": b'---\nversion: 1.0.0\n---\nuser:\n{% include "' + b"a" * 300 + b'" %}\n',
    "int-literal": b"---\nversion: 1.0.0\n---\nuser:\n{{ " + b"9" * 5000 + b" }}\n",
    "cr-only": VALID_PROMPT.replace("\n", "\r").encode(),
    "empty": b"",
}


@pytest.mark.parametrize("bad", sorted(BAD_FILES))
def test_one_bad_file_never_stops_validate_or_list(
    ws: Workspace, run: Callable[..., Result], bad: str
) -> None:
    ws.prompt("a-good")
    ws.write("prompts/b-bad.prompt", BAD_FILES[bad])
    ws.prompt("c-good")
    result = run("validate")
    assert result.code == 1
    assert "3 prompts checked" in result.err
    assert result.out, "the bad file has findings"
    for line in result.out.splitlines():
        assert line.startswith("prompts/b-bad.prompt:"), line
    listing = run("list")
    assert listing.code == 1  # an invalid prompt is listed as such, and fails the listing
    names = [line.split()[0] for line in listing.out.splitlines()[1:]]
    assert names == ["a-good", "b-bad", "c-good"]


# -- values: --vars, --set and the API ------------------------------------------------------

SPECS = {
    kind: InputSpec(name="v", type=kind)
    for kind in ("string", "integer", "number", "boolean", "array", "object")
}


@FUZZ
@given(kind=st.sampled_from(sorted(SPECS)), text=st.one_of(st.text(max_size=60), yaml_ish))
def test_set_text_reads_to_a_value_or_a_value_error(kind: str, text: str) -> None:
    try:
        value = parse_input_text(SPECS[kind], text)
    except ValueError as err:
        assert str(err).isprintable(), err  # the value is quoted, escaped and cut short
        return
    try:
        resolve_inputs({"v": SPECS[kind]}, {"v": value})
    except InputError as err:
        # Typed text always checks; JSON may hold another type, a string U+E000.
        assert kind in ("string", "array", "object"), err


def _deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _cycle() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


@pytest.mark.parametrize(
    "value",
    [_deep_list(990), _deep_list(5000), _cycle(), {"a": _deep_list(2000)}, [10**5000]],
    ids=["990", "5000", "cycle", "in-a-map", "huge-int"],
)
def test_render_refuses_values_no_walk_can_survive(value: Any) -> None:
    specs = {"v": InputSpec(name="v", type="string")}
    with pytest.raises(InputError):
        resolve_inputs(specs, {"v": value})
    specs = {"v": InputSpec(name="v", type="array")}
    if isinstance(value, list) and value and value[0] == 10**5000:
        return  # a shallow list of a big integer is an array: its rendering is bounded elsewhere
    with pytest.raises(InputError, match="nested more than"):
        resolve_inputs(specs, {"v": value})


BUDGETED = VALID_PROMPT.replace("sample:", "budget: {max_input_tokens: 60}\nsample:")


@FUZZ
@given(
    ticket=st.text(st.characters(blacklist_categories=()), max_size=80),
    tier=st.sampled_from(["free", "pro", "\ud800", "\ue000", "x"]),
)
def test_any_string_renders_and_counts_or_is_a_promptreg_error(
    project: Project, ticket: str, tier: str
) -> None:
    """Lone surrogates included: they cannot be encoded, so they cannot be counted or sent."""
    path = project.prompts_dir / "budgeted.prompt"
    path.write_text(BUDGETED, encoding="utf-8")
    prompt = project.load("budgeted")
    try:
        rendered = prompt.render_inputs({"ticket": ticket, "tier": tier})
    except PromptregError:
        return
    assert prompt.count_tokens(rendered).tokens <= 60
    for message in rendered.messages:
        message["content"].encode("utf-8")


def test_shared_values_are_not_taken_for_deep_ones() -> None:
    leaf = [1]
    shared = [leaf] * 500
    specs = {"v": InputSpec(name="v", type="array")}
    assert resolve_inputs(specs, {"v": shared}) == {"v": shared}
    assert resolve_inputs(specs, {"v": _deep_list(MAX_NESTING - 1)})


VARS_PROMPT = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  a: {type: array}
  n: {type: integer}
---
user:
{{ a }} {{ n }}
"""


@pytest.mark.parametrize("kind", ["flow-list", "block-map"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_vars_file_is_a_usage_error(
    ws: Workspace, run: Callable[..., Result], kind: str, depth: int
) -> None:
    ws.prompt("v", VARS_PROMPT)
    # A block map 1,000 deep is over a megabyte of indentation: lift the --vars size limit
    # (lint.max_file_bytes) so that the nesting check is what answers.
    ws.write("promptreg.yaml", "prompts_dir: prompts\nlint: {max_file_bytes: 100000000}\n")
    body = nested(depth, kind).replace("\n", "\n  ")
    vars_file = ws.write("vars.yaml", f"a:\n  {body}\nn: 1\n")
    result = run("render", "v", "--vars", str(vars_file))
    if depth <= MAX_NESTING:
        assert result.code in (0, 2), result.err  # a block map is not an array: exit 2
    else:
        assert result.code == 2, result.err
        assert "nested more than 100 levels deep" in result.err


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_set_json_is_a_usage_error(
    ws: Workspace, run: Callable[..., Result], depth: int
) -> None:
    ws.prompt("v", VARS_PROMPT)
    result = run("render", "v", "--set", f"a={'[' * depth}{']' * depth}", "--set", "n=1")
    if depth <= MAX_NESTING:
        assert result.code == 0, result.err
    else:
        assert result.code == 2, result.err
        assert "nested more than 100 levels deep" in result.err


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), yaml_ish.map(str.encode)))
def test_any_vars_file_renders_or_exits_2(
    ws: Workspace, run: Callable[..., Result], data: bytes
) -> None:
    ws.prompt("v", VARS_PROMPT)
    vars_file = ws.write("vars.yaml", data)
    result = run("render", "v", "--vars", str(vars_file))
    assert result.code in (0, 1, 2), result.err
    assert "internal error" not in result.err
    if result.code:
        assert len(result.err.splitlines()) == 1, result.err


@pytest.mark.parametrize("text", ["9" * 5000, "[" + "9" * 5000 + "]"])
def test_set_with_a_huge_integer_is_a_usage_error(
    ws: Workspace, run: Callable[..., Result], text: str
) -> None:
    ws.prompt("v", VARS_PROMPT)
    name = "n" if text[0] == "9" else "a"
    result = run("render", "v", "--set", f"{name}={text}")
    assert result.code == 2
    assert "at most 4,300 digits" in result.err
    assert len(result.err) < 300, "the value is not echoed whole"


# -- name lookup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Triage", "no prompt named 'Triage'; did you mean triage? (prompt names are lower-case)"),
        ("TRIAGE", "did you mean triage? (prompt names are lower-case)"),
        ("triag", "no prompt named 'triag'; did you mean triage?"),
        ("x y", "no prompt named 'x y': invalid name segment 'x y'"),
        ("T", "prompts/T.prompt is not a valid prompt name (invalid name segment 'T'"),
    ],
)
def test_name_lookup_messages_never_suggest_what_was_typed(
    ws: Workspace, run: Callable[..., Result], typed: str, expected: str
) -> None:
    ws.prompt("triage")
    ws.prompt("T")
    result = run("render", typed)
    assert result.code == 2
    assert expected in result.err
    assert f"did you mean {typed}?" not in result.err
    assert f"did you mean {typed}," not in result.err


def test_name_lookup_without_a_close_match_lists_where_to_look(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    ws.prompt("triage")
    result = run("render", "zzz")
    assert result.code == 2
    assert "no prompt named 'zzz' (1 prompt under prompts; see `promptreg list`)" in result.err


def test_project_locate_raises_a_promptreg_error(ws: Workspace) -> None:
    ws.prompt("triage")
    with pytest.raises(PromptregError, match="did you mean triage"):
        Project.open(ws.root).load("Triage")


def test_escaped_paths_stay_findings(tmp_path: Path) -> None:
    finding = Finding("a\nb.prompt", 1, 1, "PR001", "x\0y\u202ez")
    assert finding.format() == "a\\nb.prompt:1:1: PR001 x\\x00y\\u202ez"


def test_undecodable_command_line_bytes_are_a_usage_error(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    """Python hands `--set ticket=<byte 0xff>` over as a lone surrogate: not text."""
    ws.prompt("triage")
    result = run("render", "triage", "--set", "ticket=caf\udcff", "--json")
    assert result.code == 2
    assert "input `ticket`: contains a lone surrogate" in result.err


@pytest.mark.parametrize("ref", ["a\0b", "a\0.prompt", "x" * 5000, "x" * 5000 + ".prompt"])
def test_a_name_no_file_can_have_is_not_found(ws: Workspace, ref: str) -> None:
    ws.prompt("triage")
    with pytest.raises(PromptNotFoundError):
        Project.open(ws.root).load(ref)
    with pytest.raises(PromptNotFoundError):
        promptreg.load(ref)


@pytest.mark.parametrize("command", ["render", "validate", "show"])
def test_a_name_too_long_for_a_file_is_a_usage_error(
    ws: Workspace, run: Callable[..., Result], command: str
) -> None:
    ws.prompt("triage")
    result = run(command, "x" * 5000 + ".prompt")
    assert result.code == 2, result.err
    assert "internal error" not in result.err


def test_a_name_segment_over_100_characters_is_refused(
    ws: Workspace, run: Callable[..., Result]
) -> None:
    result = run("new", "x" * 101)
    assert result.code == 2
    assert "is over 100 characters" in result.err
    assert run("new", "x" * 100).code == 0


@pytest.mark.parametrize("hook", ["no-secrets", "validate", "version-bump", "evals-fresh"])
def test_hooks_given_a_name_too_long_for_a_file_skip_it(
    repo: Workspace, run: Callable[..., Result], hook: str
) -> None:
    result = run("hook", hook, "prompts/" + "x" * 5000 + ".prompt")
    assert result.code == 0, result.err
