"""Media parts (images, audio, video) in chat messages: `{% media url %}` or
`{% media url, content_type %}` in a template (issue 12: Dotprompt's `{{media}}`).

A part is decided by template text alone, as a role marker is (issue 8, guarantee 1): only the
`{% media %}` tag makes one. The tag compiles to an output of a `MediaPart`, an object no input
value can be (it is bound to the render that made it); `render.finalize` swaps it for a part
sentinel `\\ue000m<n>\\ue000` whose url and content type sit in the render's slot list, as a
placeholder's value does. A value can fill a part's url, but no value, whatever its text,
makes a part: text holding U+E000 is held in a placeholder and restored as plain text.

A part printed where output is captured (a macro, `{% call %}`, `{% filter %}` or `{% set %}`
block) would reach the message as a value, so it is an error there, not a silent loss.

Output: a message with parts has `content` as a list in the OpenAI shape: `{"type": "text",
"text"}` and, for an image (content type `image/*`, or none given), `{"type": "image_url",
"image_url": {"url"}}`. Audio and video have no URL part in OpenAI's chat API (its
`input_audio` takes base64 data, and there is no video part), so they are the generic
`{"type": "media", "media": {"url", "contentType"}}` (Dotprompt's own shape), which a gateway
or a `python:` runner can map to its provider's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from jinja2 import Undefined, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

from promptreg._lazyre import lazy_pattern
from promptreg.frontmatter.checks import RESERVED_CHAR
from promptreg.limits import LimitExceeded, current

__all__ = [
    "MEDIA_PART_TOKENS",
    "MediaError",
    "MediaPart",
    "MediaTag",
    "RenderSlots",
    "content_text",
    "part_of",
]

# What a media part adds to the token estimate and budget: the most an image costs at the
# providers' own resizing (Anthropic ~1,600 for 1.15 megapixels; OpenAI high detail up to
# ~1,450; Gemini 258). Audio and video cost per second of media; promptreg cannot see their
# length, so they count the same: for them the estimate is not an upper bound.
MEDIA_PART_TOKENS = 1_600

_TOKEN = "[A-Za-z0-9!#$&^_.+-]"
_CONTENT_TYPE = lazy_pattern(rf"[A-Za-z0-9]{_TOKEN}{{0,126}}/{_TOKEN}{{1,127}}\Z")
_DATA_URL = lazy_pattern(r"data:([^;,]{1,255})[;,]")


if TYPE_CHECKING:  # the shapes, for the type checker: five TypedDicts cost ~0.25 ms at import,
    # on the runtime path (`import promptreg` → `render`), and a dict is a dict at run time

    class TextPart(TypedDict):
        type: Literal["text"]
        text: str

    class ImageUrl(TypedDict):
        url: str

    class ImagePart(TypedDict):
        type: Literal["image_url"]
        image_url: ImageUrl

    class MediaRef(TypedDict):
        url: str
        contentType: NotRequired[str]

    class GenericPart(TypedDict):
        type: Literal["media"]
        media: MediaRef

    ContentPart = TextPart | ImagePart | GenericPart


render_slots: ContextVar[RenderSlots | None] = ContextVar("promptreg_render_slots", default=None)
"""The render in progress's slots (set by `render.render_raw`)."""


def current_slots() -> RenderSlots | None:
    """The slots of the render in progress (None outside `render.render_raw`)."""
    return render_slots.get()


class MediaError(Exception):
    """A `{% media %}` part that cannot be made (a url that is not a string, a bad content
    type, a part where output is captured). Not a TypeError: the sandbox would swallow it."""


class MediaPart:
    """What `{% media %}` outputs: a part for the render whose slot list is `owner`."""

    __slots__ = ("content_type", "owner", "url")

    def __init__(self, owner: object, url: str, content_type: str | None) -> None:
        self.owner = owner
        self.url = url
        self.content_type = content_type

    def __str__(self) -> str:
        raise MediaError(
            "a `{% media %}` part can only be output by the template itself, not inside a "
            "macro, {% call %}, {% filter %} or {% set %} block"
        )

    __html__ = __str__


class RenderSlots(list[Any]):
    """A render's placeholder values (str) and media parts (`MediaPart`), by slot number;
    `media` counts the parts made, against `limits.max_media_parts`."""

    __slots__ = ("media",)

    def __init__(self) -> None:
        super().__init__()
        self.media = 0


def make_part(owner: RenderSlots | None, url: Any, content_type: Any) -> MediaPart:
    """Check a part's url and content type against the limits (`max_media_parts`,
    `max_media_url_chars`) and make it."""
    limits = current()
    if owner is not None:
        owner.media += 1
    if owner is not None and owner.media > limits.max_media_parts:
        raise LimitExceeded(
            "max_media_parts", f"more than {limits.max_media_parts:,} media parts in one render"
        )
    for value in (url, content_type):
        if isinstance(value, Undefined):  # StrictUndefined: an error naming it
            value._fail_with_undefined_error()
    if not isinstance(url, str) or not url.strip():
        raise MediaError(f"`{{% media %}}`: the url must be a non-empty string, not {_shown(url)}")
    if len(url) > limits.max_media_url_chars:
        raise LimitExceeded(
            "max_media_url_chars",
            f"a media url is {len(url):,} characters, over the limit of "
            f"{limits.max_media_url_chars:,}",
        )
    if content_type is not None and (
        not isinstance(content_type, str) or not _CONTENT_TYPE.match(content_type)
    ):
        raise MediaError(
            f"`{{% media %}}`: content type {_shown(content_type)} is not a MIME type such as "
            "image/png"
        )
    return MediaPart(owner, url.replace(RESERVED_CHAR, ""), content_type)


def _shown(value: Any) -> str:
    """A value in an error: a string's head, or only the kind of anything else (its text
    could be of any size, and building it is work nobody bounded)."""
    if isinstance(value, str):
        return repr(value[:60]) + ("..." if len(value) > 60 else "")
    return "null" if value is None else f"a value of type {type(value).__name__}"


def part_of(media: MediaPart) -> ImagePart | GenericPart:
    """The message part for `media` (shapes: see the module docstring)."""
    kind = media.content_type
    if kind is None:
        found = _DATA_URL.match(media.url)
        kind = found[1] if found else None
    if kind is None or kind.lower().startswith("image/"):
        return {"type": "image_url", "image_url": {"url": media.url}}
    return {"type": "media", "media": {"url": media.url, "contentType": kind}}


def content_text(content: str | list[ContentPart]) -> str:
    """A message's content as text, for people (show, site, diffs, review): text parts as they
    are, a media part as a line `[image: URL]` / `[audio/mpeg: URL]`."""
    if isinstance(content, str):
        return content
    return "".join(_part_lines(content))


def _part_lines(parts: list[ContentPart]) -> Iterator[str]:
    for i, part in enumerate(parts):
        if i:
            yield "\n"
        if part["type"] == "text":
            yield part["text"]
        elif part["type"] == "image_url":
            yield f"[image: {_short(part['image_url']['url'])}]"
        else:
            media = part["media"]
            yield f"[{media.get('contentType', 'media')}: {_short(media['url'])}]"


def _short(url: str) -> str:
    """A data: URL is mostly base64 nobody reads: shown by its head and size."""
    if url.startswith("data:") and len(url) > 80:
        return f"{url[:40]}… ({len(url):,} characters)"
    return url


class MediaTag(Extension):
    """`{% media url %}` / `{% media url, content_type %}`: outputs a media part."""

    tags = {"media"}  # noqa: RUF012 (Jinja's own declaration)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        if parser.stream.skip_if("comma"):
            args.append(parser.parse_expression())
        else:
            args.append(nodes.Const(None))
        call = self.call_method("_part", args, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _part(self, url: Any, content_type: Any = None) -> MediaPart:
        return make_part(current_slots(), url, content_type)
