"""PyYAML, as promptreg reads and writes YAML: used through `promptreg.frontmatter._yaml` only.

Kept apart so that importing promptreg does not import PyYAML (~30 ms): a registry whose
parsed front-matter is in the cache never needs it.
"""

from __future__ import annotations

import re
import sys
from typing import Any, ClassVar

import yaml
import yaml.reader

from promptreg.frontmatter.yamldoc import MAX_NESTING, Path_, YamlDoc, YamlError

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing on this platform
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader resolving plain scalars as YAML 1.2's core schema does."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}


class _Dumper(yaml.SafeDumper):
    """Writes what `_Loader` reads back unchanged: a string that YAML 1.2 would take for a
    number or a boolean (`1e3`, `0x1F`) is quoted."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}  # type: ignore[misc]


def _resolver(tag: str, pattern: str, first: list[str]) -> None:
    for cls in (_Loader, _Dumper):
        cls.add_implicit_resolver(tag, re.compile(pattern, re.X), first)


_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF"))
_resolver(
    "tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$", list("-+0123456789")
)
_resolver(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9]+[eE][-+]?[0-9]+
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    list("-+0123456789."),
)


_PLAIN_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_FLOAT = "tag:yaml.org,2002:float"


def _build(
    loader: _Loader,
    node: yaml.Node,
    path: Path_,
    positions: dict[Path_, tuple[int, int]],
    seen: set[int],
    offset: int,
) -> Any:
    """Construct the value of `node` in one walk that also records every key's and item's
    position and refuses duplicate keys, merge keys, any node reached twice (an alias) and
    nesting deeper than `MAX_NESTING` (this walk, and every later one over the data, recurses:
    libyaml's own limit of 1,000 levels is past the interpreter's recursion limit)."""
    if len(path) >= MAX_NESTING and not isinstance(node, yaml.ScalarNode):
        mark = node.start_mark
        message = f"nested more than {MAX_NESTING} levels deep"
        raise YamlError("syntax", message, mark.line + 1 + offset, mark.column + 1)
    if id(node) in seen:
        line, col = positions.get(path, (node.start_mark.line + 1 + offset, 1))
        raise YamlError("alias", "anchors and aliases are not allowed", line, col)
    seen.add(id(node))
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTIONS:
        mark = node.start_mark
        message = f"the tag {node.tag} is not allowed: use plain mappings and lists"
        raise YamlError("syntax", message, mark.line + 1 + offset, mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            pos = (mark.line + 1 + offset, mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("syntax", "keys must be plain scalars", *pos)
            key = key_node.value
            # Plain `<<` is a merge key to YAML 1.1 readers; our 1.2 resolver leaves it a str.
            if key == "<<" and (key_node.tag == "tag:yaml.org,2002:merge" or not key_node.style):
                raise YamlError("alias", "merge keys (`<<`) are not allowed", *pos)
            if key in first_seen:
                raise YamlError(
                    "duplicate",
                    f"duplicate key `{key}` (first defined at line {first_seen[key][0]})",
                    *pos,
                )
            first_seen[key] = pos
            child = (*path, key)
            positions[child] = pos
            out[_scalar(loader, key_node, offset)] = _build(
                loader, value_node, child, positions, seen, offset
            )
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = (*path, i)
            positions[child] = (item.start_mark.line + 1 + offset, item.start_mark.column + 1)
            items.append(_build(loader, item, child, positions, seen, offset))
        return items
    return _scalar(loader, node, offset)


_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"


def _scalar(loader: _Loader, node: yaml.Node, offset: int) -> Any:
    """A scalar's value, built here directly for the tags our resolvers give plain scalars
    (PyYAML's generic constructor costs several times more per value); floats (`.inf`,
    `1_000.5`) go through PyYAML. Any other tag (`!!binary`, `!!timestamp`, `!custom`) is
    refused: it would hand the rest of promptreg a value no prompt field can hold."""
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    try:
        if tag == _INT:
            return int(value, 16) if value.startswith("0x") else int(value)
        if tag == _BOOL:
            return value in ("true", "True", "TRUE")
        if tag == _NULL:
            return None
        if tag == _FLOAT:
            return loader.construct_object(node)
    except (ValueError, IndexError, OverflowError):  # `!!float ""`, past the digit limit
        mark = node.start_mark
        limit = sys.get_int_max_str_digits()
        if tag == _INT and len(value) > limit:
            message = f"an integer of {len(value):,} digits is too long (at most {limit:,})"
        else:
            shown = f"{value[:20]!r}{'...' if len(value) > 20 else ''}"
            message = f"{shown} is not {'an integer' if tag == _INT else 'a number'}"
        raise YamlError("syntax", message, mark.line + 1 + offset, mark.column + 1) from None
    mark = node.start_mark
    message = f"the tag {tag} is not allowed: use plain strings, numbers, booleans or null"
    raise YamlError("syntax", message, mark.line + 1 + offset, mark.column + 1)


def parse(text: str, *, line_offset: int = 0) -> YamlDoc:
    """Parse one YAML document. Raises `YamlError`; positions are shifted by `line_offset`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(None, {})
        mark = node.start_mark
        positions: dict[Path_, tuple[int, int]] = {(): (mark.line + 1 + line_offset, 1)}
        data = _build(loader, node, (), positions, set(), line_offset)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as err:
        problem = err.problem_mark or err.context_mark
        line, col = (problem.line + 1, problem.column + 1) if problem else (1, 1)
        what = err.problem or err.context or "invalid YAML"
        if "maximum nesting depth" in what:  # libyaml's own limit (1,000 levels): say ours
            what = f"nested more than {MAX_NESTING} levels deep"
        raise YamlError("syntax", what, line + line_offset, col) from None
    except yaml.reader.ReaderError as err:  # a character YAML refuses anywhere (NUL, ESC...)
        pos = min(err.position, len(text))
        line = text.count("\n", 0, pos) + 1 + line_offset
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = err.character if isinstance(err.character, int) else ord(err.character[:1] or b"?")
        message = f"character U+{char:04X} is not allowed in YAML: {err.reason}"
        raise YamlError("syntax", message, line, col) from None
    except yaml.YAMLError as err:
        raise YamlError("syntax", str(err), 1 + line_offset, 1) from None
    except RecursionError:  # the pure-Python composer, where libyaml is missing
        message = f"nested more than {MAX_NESTING} levels deep"
        raise YamlError("syntax", message, 1 + line_offset, 1) from None
    finally:
        loader.dispose()
    return YamlDoc(data, positions)


def dump(data: Any) -> str:
    """Block-style YAML that `read_yaml` reads back as the same data (key order kept)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
