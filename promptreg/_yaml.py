"""The one place that speaks YAML.

Reading is fast and strict: PyYAML's C safe loader (the pure-Python one where libyaml is
missing) with YAML 1.2 core scalars (`yes`/`no`/`on`/`off` stay strings, no sexagesimal or
leading-zero octal ints, timestamps stay strings), duplicate keys refused (PyYAML silently keeps
the last one, so a reviewer would never see the shadowed value), and aliases and merge keys
refused (they hide content from review and make YAML bombs possible; an anchor that nothing
refers to is harmless and passes). Every key's position is kept so findings can point at the
exact line.

Writing is careful: `rewrite_front_matter` round-trips through ruamel.yaml so comments, key
order and quoting survive, and replaces the file atomically. ruamel is imported only there: it
costs ~100 ms to import and reading never needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from promptreg._atomic import atomic_write

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing on this platform
    _BaseLoader = yaml.SafeLoader

Path_ = tuple[str | int, ...]


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


class YamlError(Exception):
    """A problem in YAML text. `kind` is syntax, duplicate or alias; line/col are 1-based."""

    def __init__(self, kind: str, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.col = col


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML plus where each key (or list item) stands: path -> (line, col), 1-based."""

    data: Any
    positions: dict[Path_, tuple[int, int]]

    def position(self, path: Path_) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path:
            pos = self.positions.get(path)
            if pos is not None:
                return pos
            path = path[:-1]
        return self.positions.get((), (1, 1))


_PLAIN_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _build(
    loader: _Loader,
    node: yaml.Node,
    path: Path_,
    positions: dict[Path_, tuple[int, int]],
    seen: set[int],
    offset: int,
) -> Any:
    """Construct the value of `node` in one walk that also records every key's and item's
    position and refuses duplicate keys, merge keys and any node reached twice (an alias)."""
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
            out[loader.construct_object(key_node)] = _build(
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
    return loader.construct_object(node)


def read_yaml(text: str, *, line_offset: int = 0) -> YamlDoc:
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
        raise YamlError("syntax", what, line + line_offset, col) from None
    except yaml.YAMLError as err:
        raise YamlError("syntax", str(err), 1 + line_offset, 1) from None
    finally:
        loader.dispose()
    return YamlDoc(data, positions)


def dump_yaml(data: Any) -> str:
    """Block-style YAML that `read_yaml` reads back as the same data (key order kept)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


def rewrite_front_matter(path: Path, edit: Callable[[Any], None]) -> bool:
    """Apply `edit` to the front-matter of the prompt file at `path`, changing nothing else.

    `edit` receives ruamel's round-trip map and mutates it in place. The file is replaced
    atomically, and only when the text actually changed. Returns whether it changed.
    """
    import io

    from ruamel.yaml import YAML

    from promptreg.errors import PromptregError
    from promptreg.frontmatter import FrontMatterError, split_front_matter

    raw = path.read_bytes().decode("utf-8")
    # Like the loader, look past a BOM and CRLF line ends; write the file's own ones back.
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    crlf = raw.split("\n", 1)[0].endswith("\r")
    original = raw[len(bom) :].replace("\r\n", "\n") if crlf else raw[len(bom) :]
    try:
        parts = split_front_matter(original)
    except FrontMatterError as err:
        raise PromptregError(err.message, path=str(path), line=err.line) from None
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000  # never re-wrap a long line the user wrote
    offset = _sequence_offset(parts.front_matter)
    rt.indent(mapping=2, sequence=offset + 2, offset=offset)
    data = rt.load(parts.front_matter)
    edit(data)
    out = io.StringIO()
    rt.dump(data, out)
    text = parts.opening + out.getvalue() + parts.closing + parts.body
    if text == original:
        return False
    atomic_write(path, (bom + (text.replace("\n", "\r\n") if crlf else text)).encode("utf-8"))
    return True


def _sequence_offset(front_matter: str) -> int:
    """How far the file indents a block sequence's dashes under its key (0 or 2, usually)."""
    match = re.search(r"^( *)\S[^\n]*:[ \t]*\n( *)- ", front_matter, re.M)
    return len(match.group(2)) - len(match.group(1)) if match else 0
