"""Red-team cases for the arguments of filters and tests (issue 8 §5, class "hostile filter
arguments"): `json(indent=1e400)` once passed as a NameError about `inf`, a filter given an
argument it cannot take reported Python's words about our wrapper (`_json() takes ...`), and
`{1: 'a', '1': 'b'}|json` wrote the key "1" twice. Every argument of every filter, of any
type or size, is a result or a render error naming the filter; `validate` (which renders the
sample) and `render` give the same answer."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.filters import FILTERS
from jinja2.tests import TESTS

from promptreg.errors import PromptregError
from promptreg.limits import Budget, Limits, active
from promptreg.project.project import Project
from promptreg.template.json_text import json_text
from tests.conftest import Workspace
from tests.template.test_json_filter import node, stringify  # noqa: F401 (node: a fixture)

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  x: {type: object, default: {"a": [1, 2]}}
sample: {x: {"a": [1, 2]}}
---
user:
"""
SMALL = "prompts_dir: prompts\nlimits: {render_timeout: 0.5, max_steps: 20000}\n"


def _outcome(ws: Workspace, body: str) -> str:
    """What `Prompt.render` answers: the text, or the error's message."""
    ws.prompt("t", HEAD + body + "\n")
    try:
        messages = Project.open(ws.root).load("t").render()
    except PromptregError as err:
        return "error: " + str(err)
    return str(messages[0]["content"])


@pytest.mark.parametrize(
    "literal", ["1e400", "-1e400", "1e309", "(1e400)", "[1e999]", "{'a': -1e500}"]
)
@pytest.mark.parametrize(
    "where", ["{{ x|json(indent=L) }}", "{{ L }}", "{% if false %}{{ L }}{% endif %}"]
)
def test_a_literal_too_big_for_a_float_is_pr055_everywhere(
    ws: Workspace, run, literal: str, where: str
):
    # `1e400` is infinity: Jinja compiled it to the name `inf` (NameError at render) or
    # folded it to the text "inf". Now the template does not compile, in every path.
    ws.prompt("t", HEAD + where.replace("L", literal) + "\n")
    ws.prompt("ok", HEAD + "{{ x|json }}\n")
    checked = run("validate")
    assert checked.code == 1
    assert "prompts/t.prompt:9:1: PR055 the number literal is too big for a float" in checked.out
    assert "ok.prompt" not in checked.out  # the other prompt is still checked, and clean
    rendered = run("render", "t", "--sample")
    assert rendered.code == 1 and "PR055" in rendered.err
    assert "NameError" not in rendered.err + checked.out and "internal error" not in rendered.err
    with pytest.raises(PromptregError, match="too big for a float"):
        Project.open(ws.root).load("t").render()


def test_big_finite_literals_still_compile(ws: Workspace):
    assert _outcome(ws, "{{ 1e308 }} {{ x|json(indent=1e300) }}").startswith("1e+308 {\n")


# JSON.stringify's `space`: ToIntegerOrInfinity of a number, clamped to 0..10; a string's
# first 10 characters; anything else (true, null, a list, an object) no indent at all.
HOSTILE_INDENTS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    # Two known differences: V8 reads the gap as a C string (a NUL ends it), and JavaScript
    # cuts it at 10 UTF-16 units (it may split a pair into a lone surrogate, which no request
    # can carry); `json` takes 10 characters.
    st.text(st.characters(max_codepoint=0xFFFF, blacklist_characters="\x00"), max_size=14),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indent=HOSTILE_INDENTS)
def test_json_takes_any_indent_as_javascript_does(node, indent: Any):  # noqa: F811
    value = {"a": [1, {"b": None}], "7": "x"}
    assert json_text(value, indent) == stringify(node, value, indent)


@pytest.mark.parametrize(
    ("indent", "same_as"),
    [(math.inf, 10), (-math.inf, 0), (math.nan, None), (10**400, 10), (-(10**400), 0)],
)
def test_json_indents_json_cannot_carry_follow_javascript(indent: Any, same_as: Any):
    # JSON.stringify(v, null, Infinity) indents 10 spaces; NaN and -Infinity: none.
    value = {"a": [1]}
    assert json_text(value, indent) == json_text(value, same_as)


def test_json_indent_infinity_computed_at_render_time(ws: Workspace):
    assert _outcome(ws, "{{ x|json(indent=(1e308 * 10)) }}") == json_text({"a": [1, 2]}, 10)


def test_an_undefined_indent_is_an_undefined_name_not_javascripts_undefined(ws: Workspace):
    assert "has no attribute 'nope'" in _outcome(ws, "{{ x|json(indent=x.nope) }}")


@pytest.mark.parametrize(
    ("keys", "name"),
    [
        ("{1: 'a', '1': 'b'}", '"1"'),
        ("{'1': 'a', 1: 'b'}", '"1"'),
        ("{true: 1, 'true': 2}", '"true"'),
        ("{false: 1, 'false': 2}", '"false"'),
        ("{none: 1, 'null': 2}", '"null"'),
        ("{1.5: 1, '1.5': 2}", '"1.5"'),
        ("{1e21: 1, '1e+21': 2}", '"1e+21"'),
        ("{(1e308 * 10): 1, 'Infinity': 2}", '"Infinity"'),
        ("{0.1: 1, '0.1': 2}", '"0.1"'),
        ("{'a': {2: 1, '2': 2}}", '"2"'),
        ("{'4294967295': 1, 4294967295: 2}", '"4294967295"'),
    ],
)
def test_keys_that_are_one_property_name_are_a_render_error(ws: Workspace, run, keys: str, name):
    # JSON.stringify cannot write a name twice; keeping one value would drop the other.
    ws.prompt("t", HEAD + "{{ " + keys + "|json }}\n")
    result = run("validate")
    assert result.code == 1 and "PR050" in result.out
    assert "filter `json`: ValueError: keys" in result.out
    assert f"are both the property {name}" in result.out
    rendered = run("render", "t", "--sample")
    assert rendered.code == 1 and f"are both the property {name}" in rendered.err


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(
        st.one_of(
            st.integers(-5, 5), st.booleans(), st.none(), st.sampled_from([0.5, -0.0, 1e21, 2.0])
        ),
        min_size=1,
        max_size=4,
    ),
    strings=st.booleans(),
)
def test_json_writes_every_name_once_or_refuses(keys: list[Any], strings: bool):
    value: dict[Any, Any] = dict.fromkeys(keys, 0)
    if strings:  # the same names again, as strings
        value.update({json.loads(json_text({k: 0})).popitem()[0]: 1 for k in keys})
    token = active.set(Budget(Limits()))
    try:
        text = json_text(value)
    except ValueError as err:
        assert "are both the property" in str(err)
        assert strings
        return
    finally:
        active.reset(token)
    names = [name for name, _ in json.loads(text, object_pairs_hook=list)]
    assert len(names) == len(set(names)) == len(value)


_ARGUMENTS = st.sampled_from(
    [
        "1e308 * 10",
        "-(1e308 * 10)",
        "(1e308 * 10) - (1e308 * 10)",
        "10**300",
        "-(10**300)",
        "2**63",
        "-1",
        "0",
        "1.5",
        "true",
        "none",
        "'abc'",
        "''",
        "[1, 2]",
        "{'a': 1}",
        "x",
        "x.a",
        "range(3)",
    ]
)
_SUBJECTS = st.sampled_from(["'a b'", "[3, 1, 2]", "{'a': 1}", "x", "1.5", "none", "-7", "''"])


def _probe(ws: Workspace, expr: str) -> None:
    ws.write("promptreg.yaml", SMALL)
    out = _outcome(ws, expr)
    if out.startswith("error: "):
        # Jinja's own errors (undefined, sandbox) and the limits say what they are; anything
        # Python raised inside a filter or test names it.
        said = out.split(": ", 2)[-1]
        assert "Error: " not in said or "filter `" in said or "test `" in said, out
        assert "NameError" not in out and "_json()" not in out, out


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted({*FILTERS, "json", "chat_history"})),
    subject=_SUBJECTS,
    args=st.lists(_ARGUMENTS, max_size=3),
    keyword=st.booleans(),
)
def test_every_filter_takes_hostile_arguments_cleanly(
    ws: Workspace, name: str, subject: str, args: list[str], keyword: bool
):
    if name in ("map", "select", "reject", "selectattr", "rejectattr") and args:
        args[0] = "'" + sorted(FILTERS)[len(args[0]) % len(FILTERS)] + "'"
    rendered = ", ".join(args)
    if keyword and args:
        rendered = ", ".join([*args[:-1], "indent=" + args[-1]])
    _probe(ws, f"{{{{ {subject}|{name}({rendered}) }}}}")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(TESTS)), subject=_SUBJECTS, args=st.lists(_ARGUMENTS, max_size=2)
)
def test_every_test_takes_hostile_arguments_cleanly(
    ws: Workspace, name: str, subject: str, args: list[str]
):
    _probe(ws, f"{{{{ {subject} is {name}({', '.join(args)}) }}}}")


@pytest.mark.parametrize(
    ("expr", "named"),
    [
        ("{{ x|json(1, 2) }}", "filter `json`: TypeError: json takes"),
        ("{{ x|json(foo=1) }}", "filter `json`: TypeError: json got an unexpected keyword"),
        ("{{ 'a'|center(none) }}", "filter `center`: TypeError"),
        ("{{ 'a'|center(1e308 * 10) }}", "filter `center`"),
        ("{{ 1.5|round(1, 'x') }}", "filter `round`: FilterArgumentError"),
        ("{{ x|dictsort(by='z') }}", "filter `dictsort`: FilterArgumentError"),
        ("{{ 'a b'|wordwrap('a') }}", "filter `wordwrap`: TypeError"),
        ("{{ 'a'|truncate(-1) }}", "filter `truncate`: AssertionError: expected length"),
        ("{{ 7 is divisibleby(0) }}", "test `divisibleby`: ZeroDivisionError"),
    ],
)
def test_a_filter_given_what_it_cannot_take_is_named(ws: Workspace, run, expr: str, named: str):
    ws.prompt("t", HEAD + expr + "\n")
    checked = run("validate")
    assert checked.code == 1 and named in checked.out
    rendered = run("render", "t", "--sample")
    assert rendered.code == 1 and named in rendered.err and "internal error" not in rendered.err


@pytest.mark.parametrize(
    ("tag", "said"),
    [
        # An undefined url or content type is an undefined name, as everywhere else (it was
        # "the url must be a non-empty string, not Undefined").
        ("{% media x.nope %}", "has no attribute 'nope'"),
        ("{% media 'http://a/b.png', x.nope %}", "has no attribute 'nope'"),
        # A value of any size is named by its kind, never printed whole.
        ("{% media x %}", "the url must be a non-empty string, not a value of type dict"),
        ("{% media range(90000)|list %}", "not a value of type list"),
        ("{% media 'http://a/b.png', 'image/png'|center(90000) %}", "'... is not a MIME type"),
        ("{% media 1e400 %}", "PR055 the number literal is too big"),
    ],
)
def test_media_arguments_of_any_kind_fail_cleanly(ws: Workspace, run, tag: str, said: str):
    ws.prompt("t", HEAD + tag + "\n")
    checked = run("validate")
    assert checked.code == 1 and said in checked.out
    rendered = run("render", "t", "--sample")
    assert rendered.code == 1 and said in rendered.err
    assert len(rendered.err) < 1000  # no value printed whole
