"""Any file, any bytes: `import` converts it or refuses it with a one-line reason, never an
exception. Random text, edited copies of real files of each format, and YAML documents of
odd shapes (a model that is a number, inputs that are a list of lists, ...), bounded."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.formats.importer import convert_file
from promptreg.formats.promptfile import finish

SUFFIXES = (".prompty", ".prompt", ".prompt.yml", ".txt")
SEEDS = {
    ".prompty": "---\nname: x\nmodel:\n  api: chat\n  configuration: {type: openai, name: gpt-4o}\n"
    "inputs:\n  q: {type: string}\nsample: {q: hi}\n---\nsystem:\nHi {{q}}\n\nuser:\n{{q}}\n",
    ".prompt": "---\nmodel: googleai/gemini-2.0-flash\ninput:\n  schema:\n    q: string\n---\n"
    '{{role "system"}}Hi {{#if q}}{{q}}{{else}}x{{/if}}{{#each xs}}{{@index}}{{/each}}\n',
    ".prompt.yml": "model: openai/gpt-4o\nmessages:\n- role: system\n  content: Hi {{q}}\n"
    "testData:\n- {q: a, expected: b}\nevaluators:\n- name: e\n  string: {contains: b}\n",
    ".txt": "Hi {{q}} and ${r}\n",
}

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "model",
        "messages",
        "input",
        "inputs",
        "sample",
        "template",
        "config",
        "testData",
        "evaluators",
        "modelParameters",
        "output",
        "version",
        "name",
        "role",
        "content",
        "schema",
    ]
)
_DOCS = st.recursive(
    _JSONISH, lambda inner: st.dictionaries(_KEYS, inner, max_size=5), max_leaves=20
)


def _convert(tmp: Path, suffix: str, text: str) -> None:
    path = tmp / f"f{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    conversion, _ = convert_file(
        path, prefix="", default_model="openai/gpt-4o-2024-08-06", shown="f"
    )
    if conversion.refused is not None:
        assert conversion.refused and "\n" not in conversion.refused
    else:
        assert conversion.files


settings_ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings_
@given(suffix=st.sampled_from(SUFFIXES), text=st.text(max_size=200))
def test_random_text(tmp_path: Path, suffix: str, text: str) -> None:
    _convert(tmp_path, suffix, text.replace("\x00", ""))


@settings_
@given(
    suffix=st.sampled_from(SUFFIXES),
    cut=st.integers(0, 400),
    insert=st.sampled_from(
        ["{{", "}}", "{%", "{{#if", "{{/each}}", "---\n", ":", "\n- ", "~", "@"]
    ),
)
def test_edited_seeds(tmp_path: Path, suffix: str, cut: int, insert: str) -> None:
    seed = SEEDS[suffix]
    cut = min(cut, len(seed))
    _convert(tmp_path, suffix, seed[:cut] + insert + seed[cut:])


@settings_
@given(suffix=st.sampled_from(SUFFIXES[:3]), doc=_DOCS, body=st.sampled_from(["", "Hi {{x}}\n"]))
def test_odd_shapes(tmp_path: Path, suffix: str, doc: object, body: str) -> None:
    front = json.dumps(doc)
    text = front if suffix == ".prompt.yml" else f"---\n{front}\n---\n{body}"
    _convert(tmp_path, suffix, text)
    assert finish  # the writer every conversion goes through
