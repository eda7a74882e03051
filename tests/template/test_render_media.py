"""`{% media %}` parts (issue 12): made by template text alone, never by a value; the OpenAI
shape; text-only messages unchanged; bounded; counted in tokens and budgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings

import promptreg
from promptreg.errors import BudgetError, InputError, LimitError, RenderError
from promptreg.template.media import MEDIA_PART_TOKENS, MediaPart, content_text
from promptreg.template.prompt import Prompt
from promptreg.template.tokens import count_messages, upper_bound
from tests.template.test_render_properties import VALUES

HEAD = """\
---
version: 1.0.0
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  u: {type: string, required: true}
  v: {type: string}
  k: {type: string}
"""
Make = Callable[[str], Prompt]
IMG = "https://example.com/cat.png"


@pytest.fixture(scope="module")
def make(tmp_path_factory: pytest.TempPathFactory) -> Make:
    root = tmp_path_factory.mktemp("media")
    (root / "promptreg.yaml").write_text("prompts_dir: prompts\n", encoding="utf-8")
    (root / "prompts" / "partials").mkdir(parents=True)
    (root / "prompts" / "partials" / "pic.j2").write_text("{% media u %}\n", encoding="utf-8")
    counter = iter(range(1_000_000))

    def _make(body: str, head: str = HEAD) -> Prompt:
        path = root / "prompts" / f"p{next(counter)}.prompt"
        path.write_text(head + "---\n" + body, encoding="utf-8")
        return promptreg.load(path)

    return _make


def image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def test_the_openai_shape_and_text_only_messages_unchanged(make: Make) -> None:
    body = (
        "system:\nYou describe images.\nuser:\nWhat is this?\n{% media u %}\n"
        '{% media "https://example.com/a.mp3", "audio/mpeg" %}\n{% media k, "video/mp4" %}\n'
        "Thanks.\n"
    )
    messages = make(body).render(u=IMG, k="https://example.com/v.mp4")
    assert messages == [
        {"role": "system", "content": "You describe images."},  # a str, as always
        {
            "role": "user",
            "content": [
                text("What is this?"),
                image(IMG),
                {
                    "type": "media",
                    "media": {"url": "https://example.com/a.mp3", "contentType": "audio/mpeg"},
                },
                {
                    "type": "media",
                    "media": {"url": "https://example.com/v.mp4", "contentType": "video/mp4"},
                },
                text("Thanks."),
            ],
        },
    ]


@pytest.mark.parametrize(
    ("url", "kind", "part"),
    [
        ("https://x/y", None, image("https://x/y")),
        ("https://x/y", "image/jpeg", image("https://x/y")),
        ("https://x/y", "IMAGE/PNG", image("https://x/y")),
        ("data:image/png;base64,AAAA", None, image("data:image/png;base64,AAAA")),
        (
            "data:audio/wav;base64,AAAA",
            None,
            {
                "type": "media",
                "media": {"url": "data:audio/wav;base64,AAAA", "contentType": "audio/wav"},
            },
        ),
        (
            "gs://b/o.pdf",
            "application/pdf",
            {"type": "media", "media": {"url": "gs://b/o.pdf", "contentType": "application/pdf"}},
        ),
    ],
)
def test_part_shapes(make: Make, url: str, kind: str | None, part: dict[str, Any]) -> None:
    prompt = make("user:\n{% media u, k %}\n" if kind else "user:\n{% media u %}\n")
    values = {"u": url, "k": kind} if kind else {"u": url}
    assert prompt.render(**values) == [{"role": "user", "content": [part]}]


def test_no_marker_is_one_user_message_and_not_a_text_prompt(make: Make) -> None:
    prompt = make("Describe: {% media u %}")
    assert prompt.render(u=IMG) == [{"role": "user", "content": [text("Describe:"), image(IMG)]}]
    with pytest.raises(RenderError, match="chat prompt"):
        prompt.render_text(u=IMG)


def test_parts_in_loops_conditions_and_partials(make: Make) -> None:
    body = (
        "user:\n{% for x in [u, u ~ '2'] %}{% media x %}{% endfor %}\n"
        "{% if v %}{% media v %}{% endif %}\n{% include 'partials/pic.j2' %}\n"
        "{% autoescape true %}{% media u %}{% endautoescape %}\n"
    )
    got = make(body).render(u=IMG, v="")
    assert got == [
        {"role": "user", "content": [image(IMG), image(IMG + "2"), image(IMG), image(IMG)]}
    ]


@pytest.mark.parametrize(
    "body",
    [
        "{% macro m(x) %}{% media x %}{% endmacro %}{{ m(u) }}",
        "{% set s %}{% media u %}{% endset %}{{ s }}",
        "{% filter upper %}{% media u %}{% endfilter %}",
        "{% macro w() %}{{ caller() }}{% endmacro %}{% call w() %}{% media u %}{% endcall %}",
        "{% set s %}{% include 'partials/pic.j2' %}{% endset %}{{ s }}",  # a partial's part
        "{% macro m() %}{% include 'partials/pic.j2' %}{% endmacro %}{{ m() }}",
    ],
)
def test_a_captured_part_is_an_error_not_a_silent_loss(make: Make, body: str) -> None:
    for text in ("user:\n" + body + "\n", body):  # a chat prompt, and a text prompt
        with pytest.raises(RenderError, match="can only be output by the template itself"):
            make(text).render(u=IMG)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"u": ""}, "non-empty string"),
        ({"u": "  "}, "non-empty string"),
        ({"u": IMG, "k": "png"}, "not a MIME type"),
        ({"u": IMG, "k": "image/png\nuser:"}, "not a MIME type"),
    ],
)
def test_bad_url_or_content_type(make: Make, values: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=message):
        make("user:\n{% media u, k %}\n" if "k" in values else "user:\n{% media u %}\n").render(
            **values
        )


def test_a_non_string_url_is_an_error(make: Make) -> None:
    with pytest.raises(RenderError, match="non-empty string"):
        make("user:\n{% media 42 %}\n").render(u=IMG)


def test_part_count_and_url_length_are_bounded(make: Make) -> None:
    many = make("user:\n{% for i in range(65) %}{% media u %}{% endfor %}\n")
    with pytest.raises(LimitError, match="max_media_parts") as err:
        many.render(u=IMG)
    assert err.value.limit == "max_media_parts"
    assert (
        len(
            make("user:\n{% for i in range(64) %}{% media u %}{% endfor %}\n").render(u=IMG)[0][
                "content"
            ]
        )
        == 64
    )
    long = make("user:\n{% media u %}\n")
    assert long.render(u="data:," + "x" * (1_000_000 - 6))
    with pytest.raises(LimitError, match="max_media_url_chars"):
        long.render(u="data:," + "x" * 1_000_000)


def test_an_object_passed_as_a_value_makes_no_part(make: Make) -> None:
    """Through the API a value can hold any object: a MediaPart made outside this render
    prints as an error (or is refused as an input), never as a part."""
    head = HEAD.replace("v: {type: string}", "v: {type: object}")
    forged = make("user:\n{{ v.x }}\n{% media u %}\n", head)
    with pytest.raises((InputError, RenderError)):
        forged.render(u=IMG, v={"x": MediaPart(None, IMG, None)})


SPELLINGS = [
    "{{ v }}",
    "{{ '%c'|format(57344) ~ 'm0' ~ '%c'|format(57344) }}",  # a part sentinel built at run time
    "{{ '%c'|format(57344) ~ 'm' ~ v ~ '%c'|format(57344) }}",
    "{{ '%c'|format(57344) ~ '0' ~ '%c'|format(57344) ~ 'm0' ~ '%c'|format(57344) }}",
    "{% set s %}{{ '%c'|format(57344) }}m0{{ '%c'|format(57344) }}{% endset %}{{ s }}",
    "{{ v|e }}{{ v|safe }}",
]


@pytest.mark.parametrize("line", SPELLINGS)
@pytest.mark.parametrize("v", ["0", "m0", " m1 ", "image_url", "media"])
def test_no_value_makes_a_part(make: Make, line: str, v: str) -> None:
    """Text the template builds to spell a part's sentinel is plain text; one that names
    the slot of a real part (`m0` here) is the error a captured part is. Never a part."""
    prompt = make("user:\nbefore\n{% media u %}\n" + line + "\n")
    try:
        messages = prompt.render(u=IMG, v=v)
    except RenderError as err:
        assert "57344" in line and "can only be output by the template itself" in err.message
        return
    assert len(messages) == 1
    parts = messages[0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "text"]
    assert "\ue000" not in repr(parts)


@given(v=VALUES, u=VALUES.filter(lambda s: bool(s.strip())))
@example(v="\nuser:\n", u=" x ")
@example(v="system:", u="user:")
@settings(max_examples=150, deadline=None)
def test_values_fill_parts_but_never_make_or_split_one(make: Make, v: str, u: str) -> None:
    """Whatever text the values hold, the parts are exactly the template's: the url byte for
    byte, the value's text (also its edge whitespace) in the text parts around it."""
    prompt = _shared(make, "system:\nRules.\nuser:\n{{ v }}\n{% media u %}\n{{ v }}\n")
    messages = prompt.render(u=u, v=v)
    around = [text(v)] if v.strip() else []  # a whitespace-only part is left out
    assert messages == [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": [*around, image(u), *around]},
    ]


_CACHE: dict[str, Prompt] = {}


def _shared(make: Make, body: str) -> Prompt:
    if body not in _CACHE:
        _CACHE[body] = make(body)
    return _CACHE[body]


def test_tokens_count_text_parts_and_a_fixed_amount_per_part(make: Make) -> None:
    prompt = make("user:\nhello\n{% media u %}\n{% media u %}\n")
    rendered = prompt.render_inputs({"u": IMG})
    exact = count_messages(rendered.messages, provider="openai", model="gpt-4o-2024-08-06")
    plain = count_messages(
        [{"role": "user", "content": "hello"}], provider="openai", model="gpt-4o-2024-08-06"
    )
    assert exact.exact
    assert exact.tokens == plain.tokens + 2 * MEDIA_PART_TOKENS
    bound = upper_bound(rendered.messages)
    assert bound == upper_bound([{"role": "user", "content": "hello"}]) + 2 * MEDIA_PART_TOKENS


def test_the_budget_counts_parts(make: Make) -> None:
    head = HEAD + "budget: {max_input_tokens: 1700}\n"
    assert make("user:\nhi\n{% media u %}\n", head).render(u=IMG)
    with pytest.raises(BudgetError):
        make("user:\nhi\n{% media u %}\n{% media u %}\n", head).render(u=IMG)


def test_content_text_for_people() -> None:
    long = "data:image/png;base64," + "A" * 1000
    shown = content_text(
        [
            text("Look:"),
            image(IMG),
            image(long),
            {"type": "media", "media": {"url": "https://x/a.mp3", "contentType": "audio/mpeg"}},
        ]
    )
    assert shown.splitlines() == [
        "Look:",
        f"[image: {IMG}]",
        f"[image: {long[:40]}… (1,022 characters)]",
        "[audio/mpeg: https://x/a.mp3]",
    ]
    assert content_text("plain") == "plain"


def test_the_content_hash_covers_the_tag(make: Make) -> None:
    hashes = {
        make(body).content_hash
        for body in (
            "user:\n{% media u %}\n",
            "user:\n{% media v %}\n",
            "user:\n{% media u, 'image/png' %}\n",
            "user:\n{{ u }}\n",
        )
    }
    assert len(hashes) == 4


KEEP = HEAD + "whitespace: keep\n"


def test_whitespace_keep_around_parts_in_first_middle_and_last_messages(make: Make) -> None:
    """`whitespace: keep` with parts: each text piece keeps its bytes, values with theirs; a
    tag's own line breaks are not text; the last message keeps its final line break (as a
    text-only message does), a middle one loses the one that ends its last line."""
    body = (
        "user:\n  a {{ v }}\n{% media u %}\n b \n\n"
        "assistant:\n{% media u %}\nmid\n\n"
        "user:\n\n c\n{% media u %}\nend\n\n"
    )
    assert make(body, KEEP).render(u=IMG, v=" x ") == [
        {"role": "user", "content": [text("  a  x "), image(IMG), text(" b \n")]},
        {"role": "assistant", "content": [image(IMG), text("mid\n")]},
        {"role": "user", "content": [text("\n c"), image(IMG), text("end\n")]},
    ]


def test_whitespace_keep_with_parts_and_no_marker(make: Make) -> None:
    assert make("  Look:\n{% media u %}\nafter\n\n", KEEP).render(u=IMG) == [
        {"role": "user", "content": [text("  Look:"), image(IMG), text("after\n")]}
    ]


def test_a_part_at_the_very_start_of_a_text_without_markers(make: Make) -> None:
    assert make("{% media u %}\nafter").render(u=IMG) == [
        {"role": "user", "content": [image(IMG), text("after")]}
    ]


def test_a_message_without_parts_stays_a_str_next_to_one_with_parts(make: Make) -> None:
    """A placeholder followed by an `m` of template text reads like a part's head: the
    message before the one with a part is still plain text."""
    messages = make("system:\n{{ v }}more\nuser:\n{% media u %}\n").render(u=IMG, v=" x")
    assert messages == [
        {"role": "system", "content": " xmore"},
        {"role": "user", "content": [image(IMG)]},
    ]


SENTINEL = "'%c'|format(57344)"


@pytest.mark.parametrize(
    ("line", "after"),
    [
        # a part's sentinel naming the slot just past the last one: plain text, no IndexError
        (f"{{{{ {SENTINEL} ~ 'm2' ~ {SENTINEL} }}}}", "m2"),
        # a placeholder naming the part's slot: the part is no text, so it restores to nothing
        (f"{{{{ {SENTINEL} ~ '0' ~ {SENTINEL} }}}}z", "z"),
    ],
)
def test_a_slot_spelled_at_run_time_is_plain_text(make: Make, line: str, after: str) -> None:
    assert make("user:\n{% media u %}\n" + line + "\n").render(u=IMG) == [
        {"role": "user", "content": [image(IMG), text(after)]}
    ]
