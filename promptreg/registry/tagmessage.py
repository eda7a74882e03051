"""Tag messages as promptreg writes and reads them, without a YAML library on either side.

A release or deployment message is a `# summary` line and flat `key: value` lines: YAML 1.2
that any YAML reader reads, written here by hand in a shape this module also reads by hand.
An application's first `get` reads one message, and `get_all` thousands: importing PyYAML
costs ~30 ms and its emitter ~1 ms a message (`promote --all` wrote 2,000), so neither may
sit on those paths, whatever a message holds (a forced promotion's overrides, a reason of
several lines). Values are written as

- plain scalars where the fast reader reads them back as the same value (`prod`, `1.0.0`,
  `12`, `0.93`, `true`, `null`);
- double-quoted strings otherwise, with only the escapes YAML and this reader both decode
  (`\\\\ \\" \\n \\r \\t \\b \\f \\0 \\xXX \\uXXXX \\UXXXXXXXX`);
- flow collections of those (`{"accuracy": 0.93}`, `["gate: stale scores"]`), one level.

A value outside that (a nested mapping, a non-finite float) makes `write_message` fall back
to the YAML writer for the whole message; that message then reads through the YAML reader.
`read_message` reads anything else — a hand-written message, a key written twice, a form it
does not know — with the YAML reader, so both readers give one answer on every input (the
value or None); `test_tags.py` holds them to it on random messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

# Keys the fast path may read: words YAML 1.2 reads as strings (not null/true/false).
_KEY = re.compile(r"(?!(?:null|true|false)\Z)[a-z_][a-z0-9_]*\Z")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:e[-+]?[0-9]+)?\Z")
_PLAIN = re.compile(r"[A-Za-z0-9_./@:+-][A-Za-z0-9_./@:+ -]*\Z")
# Plain scalars the YAML reader resolves to something other than a string (YAML 1.2's core
# schema, as `_yaml_pyyaml` configures it): the fast path leaves them to that reader.
_RESOLVED = re.compile(
    r"""(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE
        |[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+
        |[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9]+[eE][-+]?[0-9]+
        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z""",
    re.X,
)
_MAX_NUMBER = 100  # digits; longer numbers go to the YAML reader (and its limits)
# A double-quoted string with the escapes both readers decode alike, and nothing else.
_QUOTED = r'"(?:[^"\\]|\\(?:[\\"nrtbf0]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}))*"'
# One item of a flow collection as `write_message` writes it: a quoted string or a scalar.
_ITEM = _QUOTED + r"|-?[0-9][0-9.e+-]*|true|false|null"
_SIMPLE_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b"}
_SIMPLE_ESCAPES |= {"f": "\f", "0": "\0"}


# The patterns of quoted strings and flow collections compile on first use (~0.1–0.4 ms
# each): most messages have none of them, and an application's start reads a few messages.
@cache
def _quoted_pattern() -> re.Pattern[str]:
    return re.compile(_QUOTED + r"\Z")


@cache
def _escape_pattern() -> re.Pattern[str]:
    return re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)


@cache
def _flow_pattern(mapping: bool) -> re.Pattern[str]:
    if mapping:
        pair = rf"(?:{_QUOTED}): (?:{_ITEM})"
        return re.compile(rf"\{{(?:{pair}(?:, {pair})*)?\}}\Z")
    return re.compile(rf"\[(?:(?:{_ITEM})(?:, (?:{_ITEM}))*)?\]\Z")


@cache
def _token_pattern() -> re.Pattern[str]:
    return re.compile(rf"({_QUOTED})|(-?[0-9][0-9.e+-]*|true|false|null)")


_NOT_SIMPLE = object()


# -- reading -----------------------------------------------------------------------------------


def read_message(message: str) -> Any:
    """A tag message's YAML, or None when it is not YAML that promptreg reads.

    The messages promptreg writes are read here directly (~20x faster than a YAML parser,
    and no YAML library imported); anything else goes to the YAML reader, so both readers
    give one answer on every input: the same value, or None."""
    data = read_fast(message)
    return data if data is not None else _read_yaml_message(message)


def read_fast(message: str) -> dict[str, Any] | None:
    """The message's mapping when it is in the shape `write_message` writes; None when only
    the YAML reader can say what it is."""
    data: dict[str, Any] = {}
    for line in message.split("\n"):
        if not line or line.startswith("#"):
            continue
        key, sep, raw = line.partition(": ")
        simple = sep and key not in data and _KEY.match(key) and line.isprintable()
        value = _value(raw) if simple else _NOT_SIMPLE
        if value is _NOT_SIMPLE:
            return None
        data[key] = value
    return data if data else None  # no keys: YAML says what it is


def _read_yaml_message(message: str) -> Any:
    from promptreg.frontmatter._yaml import read_yaml
    from promptreg.frontmatter.yamldoc import YamlError

    try:
        return read_yaml(message).data
    except (YamlError, RecursionError, ValueError, OverflowError):
        # RecursionError: a message nested ~1000 deep; ValueError: an integer past Python's
        # int-to-str limit. Neither is a message promptreg wrote.
        return None


def _value(raw: str) -> Any:
    if raw[:1] == '"':
        return _quoted(raw) if _quoted_pattern().match(raw) else _NOT_SIMPLE
    if raw[:1] == "{" and raw != "{}":
        return _flow(raw, mapping=True) if _flow_pattern(True).match(raw) else _NOT_SIMPLE
    if raw[:1] == "[":
        return _flow(raw, mapping=False) if _flow_pattern(False).match(raw) else _NOT_SIMPLE
    if raw == "{}":
        return {}  # (a new one each time: the cached `_scalar` returns immutable values only)
    return _scalar(raw)


@lru_cache(maxsize=4096)
def _scalar(raw: str) -> Any:
    """A plain or single-quoted scalar's value, or _NOT_SIMPLE. Cached: the messages of a
    registry repeat their values (`action: promote`, an environment, a commit) thousands of
    times, and every value this returns is immutable."""
    if raw in ("null", "~"):
        return None
    if raw in ("true", "false"):
        return raw == "true"
    if len(raw) <= _MAX_NUMBER and _INT.match(raw):
        return int(raw)
    if len(raw) <= _MAX_NUMBER and _FLOAT.match(raw):
        return float(raw)
    if len(raw) >= 2 and raw[0] == raw[-1] == "'" and "'" not in raw[1:-1].replace("''", ""):
        return raw[1:-1].replace("''", "'")
    if (
        _PLAIN.match(raw)
        and raw[0] not in "-:?@"
        and not raw.endswith((" ", ":"))
        and ": " not in raw
        and not _RESOLVED.match(raw)
    ):
        return raw
    return _NOT_SIMPLE


def _quoted(raw: str) -> Any:
    """The string a double-quoted scalar (already matched by `_QUOTED`) stands for."""
    bad = False

    def one(m: re.Match[str]) -> str:
        nonlocal bad
        code = m.group(1) or m.group(2) or m.group(3)
        if code is None:
            return _SIMPLE_ESCAPES[m.group(4)]
        point = int(code, 16)
        if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
            bad = True  # no character, or half of one: the YAML reader's call
            return ""
        return chr(point)

    text = _escape_pattern().sub(one, raw[1:-1])
    return _NOT_SIMPLE if bad else text


def _flow(raw: str, *, mapping: bool) -> Any:
    """A one-level flow collection (already matched by its pattern)."""
    items = []
    for quoted, scalar in _token_pattern().findall(raw[1:-1]):
        value = _quoted(quoted) if quoted else _number_or_word(scalar)
        if value is _NOT_SIMPLE:
            return _NOT_SIMPLE
        items.append(value)
    if not mapping:
        return items
    keys, values = items[0::2], items[1::2]
    if len(set(keys)) != len(keys):
        return _NOT_SIMPLE  # a key written twice: the YAML reader refuses it
    return dict(zip(keys, values, strict=True))


def _number_or_word(raw: str) -> Any:
    value = _scalar(raw)
    return value if value is None or isinstance(value, bool | int | float) else _NOT_SIMPLE


# -- writing -----------------------------------------------------------------------------------


def write_message(summary: str, data: Mapping[str, Any]) -> str:
    """`# summary` and one `key: value` line per item, read back by `read_message` as `data`
    (without a YAML library); where a value has no such form, the YAML writer's text."""
    lines = ["# " + summary]
    for key, value in data.items():
        text = _write(value, top=True)
        if text is None or not _KEY.match(key):
            return _yaml_message(summary, data)
        lines.append(f"{key}: {text}")
    message = "\n".join(lines) + "\n"
    if not _same(read_message(message), dict(data)):  # belt and braces: never write a lie
        return _yaml_message(summary, data)
    return message


def _yaml_message(summary: str, data: Mapping[str, Any]) -> str:
    from promptreg.frontmatter._yaml import dump_yaml

    return f"# {summary}\n" + dump_yaml(dict(data))


def _write(value: Any, *, top: bool) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= _MAX_NUMBER else None
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value, top=top)
    if not top:
        return None
    if isinstance(value, Mapping):
        pairs = [(_write(k, top=False), _write(v, top=False)) for k, v in value.items()]
        if not all(isinstance(k, str) for k in value) or any(
            k is None or v is None or k[:1] != '"' for k, v in pairs
        ):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if isinstance(value, list | tuple):
        items = [_write(v, top=False) for v in value]
        if any(i is None for i in items):
            return None
        return "[" + ", ".join(i for i in items if i is not None) + "]"
    return None


def _float(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        text = f"{mantissa}.0{e}{exponent}"
    return text if _FLOAT.match(text) and len(text) <= _MAX_NUMBER else None


def _string(value: str, *, top: bool) -> str:
    if top:
        plain = _scalar(value)
        if isinstance(plain, str) and plain == value:
            return value
    out = ['"']
    for char in value:
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
