"""Read a promptreg template (Jinja with role marker lines) into the few constructs other
formats can express: text, role markers, printed variables (`{{ a.b }}`), `{% if %}` on a
variable or an (in)equality, and `{% for x in xs %}`. Partials included with a literal name
are read in place. Anything else (filters, expressions, macros, `{% set %}`) is recorded as
what the target cannot express, with its line.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2
from jinja2 import nodes

from promptreg.formats.jinja_out import history_source
from promptreg.formats.report import Refused
from promptreg.template.markers import MARKER
from promptreg.template.media import MediaTag

_PLAIN = jinja2.Environment(keep_trailing_newline=False, extensions=[MediaTag])
_STATEMENTS = {
    "FromImport": "from … import",
    "Import": "import",
    "Macro": "macro",
    "CallBlock": "call",
    "Assign": "set",
    "AssignBlock": "set",
    "FilterBlock": "filter",
    "With": "with",
    "For": "for (with a filter or recursive)",
    "Include": "include (of a name that is not a literal)",
}
_MAX_DEPTH = 32


@dataclass
class Piece:
    # text, literal (a printed string), marker, var, json, history, media, if, elif, else,
    # endif, for, endfor
    kind: str
    value: str = ""
    # for: the iterable's path; if/elif: "==" / "!=" comparison operand; json: its indent;
    # media: its content type (a path or a JSON string literal; value: the url, likewise)
    extra: str = ""


@dataclass
class Reading:
    pieces: list[Piece] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)  # constructs the target cannot express
    partials: list[str] = field(default_factory=list)
    # `{{ {"a": a, "b": b}|json }}`: the names of each such mapping (Dotprompt's `this`
    # at the top level, when they are all the inputs, in order)
    this_names: list[tuple[str, ...]] = field(default_factory=list)
    json_filter: bool = False  # the `json` filter anywhere (Prompty's Jinja has none)
    # the marker lines of the source being read: a text chunk that starts with `user:` is a
    # marker only if its line is one (after `{% endif %}` on the same line it is text)
    marker_lines: frozenset[int] = frozenset()
    media: bool = False  # a `{% media %}` part (only Dotprompt has one)


def read_template(body: str, partials: Mapping[str, str]) -> Reading:
    reading = Reading()
    _read(body, partials, reading, 0)
    return reading


def _read(source: str, partials: Mapping[str, str], reading: Reading, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise Refused("partials nest too deeply")
    try:
        tree = _PLAIN.parse(source)
    except jinja2.TemplateSyntaxError as err:
        raise Refused(f"line {err.lineno}: {err.message}") from None
    if any(node.name == "json" for node in tree.find_all(nodes.Filter)):
        reading.json_filter = True
    outer = reading.marker_lines
    reading.marker_lines = frozenset(
        source.count("\n", 0, m.start()) + 1 for m in MARKER.finditer(source)
    )
    _body(tree.body, partials, reading, depth)
    reading.marker_lines = outer


def _body(body: list[nodes.Node], partials: Mapping[str, str], out: Reading, depth: int) -> None:
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    _text(child.data, out, child.lineno)
                elif isinstance(child, nodes.Const) and isinstance(child.value, str):
                    # `{{ "{{" }}`, `{{ "\n" }}`: text, and a value (never trimmed)
                    out.pieces.append(Piece("literal", child.value))
                elif (json := _json(child, out)) is not None:
                    out.pieces.append(json)
                elif (media := _media(child)) is not None:
                    out.media = True
                    out.pieces.append(media)
                else:
                    path = _path(child)
                    if path is None:
                        out.cannot.append(f"line {child.lineno}: an expression other than a name")
                    out.pieces.append(Piece("var", path or "?"))
        elif isinstance(node, nodes.For) and node == _history_for():
            out.pieces.append(Piece("history"))  # Dotprompt's `{{history}}`, as imported
        elif isinstance(node, nodes.If):
            _if(node, partials, out, depth)
        elif isinstance(node, nodes.For) and _simple_for(node):
            assert isinstance(node.target, nodes.Name)
            out.pieces.append(Piece("for", node.target.name, _path(node.iter) or "?"))
            _body(node.body, partials, out, depth)
            if node.else_:
                out.cannot.append(f"line {node.lineno}: `{{% for %}}…{{% else %}}`")
            out.pieces.append(Piece("endfor"))
        elif isinstance(node, nodes.Include) and isinstance(node.template, nodes.Const):
            name = str(node.template.value)
            if name not in partials:
                raise Refused(f"line {node.lineno}: partial {name!r} not found")
            out.partials.append(name)
            _read(partials[name].removesuffix("\n"), partials, out, depth + 1)
        else:
            what = _STATEMENTS.get(type(node).__name__, type(node).__name__.lower())
            out.cannot.append(f"line {node.lineno}: `{{% {what} %}}`")


def _merge_text(value: str, out: Reading) -> None:
    """A printed string literal is text, never a marker."""
    if out.pieces and out.pieces[-1].kind == "text":
        out.pieces[-1].value += value
    else:
        out.pieces.append(Piece("text", value))


def _text(data: str, out: Reading, line: int) -> None:
    pos = 0
    for match in MARKER.finditer(data):
        if match.start() == 0 and line not in out.marker_lines:
            continue  # the chunk starts mid-line (after a tag): text
        if match.start() > pos:
            _merge_text(data[pos : match.start()], out)
        out.pieces.append(Piece("marker", match.group(1)))
        pos = match.end()
    if pos < len(data):
        _merge_text(data[pos:], out)


def _if(node: nodes.If, partials: Mapping[str, str], out: Reading, depth: int) -> None:
    first = True
    branch: nodes.If | None = node
    while branch is not None:
        test = _condition(branch.test)
        if test is None:
            out.cannot.append(f"line {branch.lineno}: a condition other than a name or `==`")
            test = ("?", "")
        out.pieces.append(Piece("if" if first else "elif", test[0], test[1]))
        _body(branch.body, partials, out, depth)
        first = False
        if branch.elif_:
            # Jinja keeps `elif`s as a list of If nodes on the first one
            for elif_ in branch.elif_:
                etest = _condition(elif_.test) or ("?", "")
                out.pieces.append(Piece("elif", etest[0], etest[1]))
                _body(elif_.body, partials, out, depth)
        if branch.else_:
            out.pieces.append(Piece("else"))
            _body(branch.else_, partials, out, depth)
        branch = None
    out.pieces.append(Piece("endif"))


def _condition(test: nodes.Node) -> tuple[str, str] | None:
    """(path, "") for `x`; (path, "== value"/"!= value") for a comparison with a literal."""
    path = _path(test)
    if path is not None:
        return path, ""
    if isinstance(test, nodes.Not):
        inner = _path(test.node)
        return (inner, "not") if inner is not None else None
    if isinstance(test, nodes.Compare) and len(test.ops) == 1:
        left, op = _path(test.expr), test.ops[0]
        if left is not None and op.op in ("eq", "ne") and isinstance(op.expr, nodes.Const):
            import json

            return left, ("==" if op.op == "eq" else "!=") + " " + json.dumps(op.expr.value)
    return None


def _path(node: nodes.Node) -> str | None:
    if (
        isinstance(node, nodes.Filter)
        and node.name == "default"
        and node.node is not None
        and [getattr(a, "value", None) for a in node.args] == [""]
    ):
        return _path(node.node)  # `x.y|default("")`: Handlebars prints a missing field so
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _path(node.node)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _path(node.node)
        return f"{base}.{node.arg.value}" if base is not None else None
    return None


@functools.cache
def _history_for() -> nodes.For:
    """The loop `jinja_out.history_block` writes (Jinja nodes compare by their fields)."""
    tree = _PLAIN.parse(history_source())
    return next(tree.find_all(nodes.For))


def _json(node: nodes.Node, out: Reading) -> Piece | None:
    """`{{ x.y|json }}`, `{{ x|json(indent=2) }}` (Dotprompt's `{{json}}`): a json piece of
    the path (`this` for a mapping of names to themselves) and the indent, if any."""
    if not isinstance(node, nodes.Filter) or node.name != "json" or node.node is None:
        return None
    indent = ""
    if node.args or node.dyn_args or node.dyn_kwargs or len(node.kwargs) > 1:
        return None
    if node.kwargs:
        pair = node.kwargs[0]
        if pair.key != "indent" or not isinstance(pair.value, nodes.Const):
            return None
        if not isinstance(pair.value.value, int) or isinstance(pair.value.value, bool):
            return None
        indent = str(pair.value.value)
    path = _path(node.node)
    if path is None and isinstance(node.node, nodes.Dict):
        names = [
            item.value.name
            for item in node.node.items
            if isinstance(item.key, nodes.Const)
            and isinstance(item.value, nodes.Name)
            and item.key.value == item.value.name
        ]
        if len(names) == len(node.node.items):
            out.this_names.append(tuple(names))
            path = "this"
    return None if path is None else Piece("json", path, indent)


def _media(node: nodes.Node) -> Piece | None:
    """`{% media url, type %}` (template/media.py compiles it to a call of the tag's method):
    a media piece, its url and content type each a path or a JSON string literal ("" when
    the content type is not given)."""
    if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.ExtensionAttribute)):
        return None
    if node.node.name != "_part" or len(node.args) != 2:
        return None
    url, kind = (_arg(arg) for arg in node.args)
    if url is None or kind is None:
        raise Refused(f"line {node.lineno}: `{{% media %}}` of an expression other than a name")
    return Piece("media", url, kind)


def _arg(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Const):
        if node.value is None:
            return ""
        if isinstance(node.value, str):
            import json

            return json.dumps(node.value, ensure_ascii=False)
        return None
    return _path(node)


def _simple_for(node: nodes.For) -> bool:
    return (
        isinstance(node.target, nodes.Name)
        and _path(node.iter) is not None
        and node.test is None
        and not node.recursive
    )
