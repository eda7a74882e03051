"""What changed between two versions of a prompt, in the words a reviewer uses.

Three views: a unified diff of the body (and of every included partial that changed, since a
partial's change is the prompt's change), the front-matter as plain sentences ("model.name
changed from X to Y", "input `tier` added", "evals.scores.accuracy 0.91 → 0.88 (−0.03)") from
deepdiff, and optionally the rendered messages for each side's `sample`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptreg.app.structured_diff import structured_changes
from promptreg.errors import PromptregError
from promptreg.template.prompt import Prompt

_PATH_PART = re.compile(r"\[('(?:[^'\\]|\\.)*'|\d+)\]")


@dataclass(frozen=True)
class PromptDiff:
    a: str
    b: str
    same_content: bool
    changes: list[str]
    body: list[str]
    partials: list[tuple[str, list[str]]]
    rendered: list[str] | None

    @property
    def differs(self) -> bool:
        """Whether anything differs, shown or not: what `diff --exit-code` answers. (Same
        content can still differ: a comment, or a description, changes no request.)"""
        return bool(
            not self.same_content or self.changes or self.body or self.partials or self.rendered
        )

    @property
    def stat(self) -> dict[str, int]:
        lines = self.body + [line for _, diff in self.partials for line in diff]
        return {
            "metadata_changes": len(self.changes),
            "lines_added": sum(1 for x in lines if x.startswith("+") and not x.startswith("+++")),
            "lines_removed": sum(1 for x in lines if x.startswith("-") and not x.startswith("---")),
            "partials_changed": len(self.partials),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "same_content": self.same_content,
            "differs": self.differs,
            "changes": self.changes,
            "body": self.body,
            "partials": {name: diff for name, diff in self.partials},
            "rendered": self.rendered,
            "stat": self.stat,
        }


def diff_prompts(a: Prompt, b: Prompt, *, a_label: str, b_label: str, rendered: bool) -> PromptDiff:
    # A .prompty file's body as written, not as promptreg reads it (role lines, Mustache).
    body = _unified(
        a.spec.source_body or a.body, b.spec.source_body or b.body, f"{a_label}", f"{b_label}"
    )
    sources_a, sources_b = a.partial_sources(), b.partial_sources()
    partials = []
    for name in sorted(set(sources_a) | set(sources_b)):
        old, new = sources_a.get(name), sources_b.get(name)
        if old != new:
            partials.append(
                (
                    name,
                    _unified(
                        old or "",
                        new or "",
                        f"{name} ({a_label})" if old is not None else "/dev/null",
                        f"{name} ({b_label})" if new is not None else "/dev/null",
                    ),
                )
            )
    return PromptDiff(
        a=a_label,
        b=b_label,
        same_content=a.content_hash == b.content_hash,
        changes=front_matter_changes(_plain_fields(a), _plain_fields(b))
        + structured_changes(a.spec, b.spec),
        body=body,
        partials=partials,
        rendered=_rendered_diff(a, b, a_label, b_label) if rendered else None,
    )


def _plain_fields(prompt: Prompt) -> dict[str, Any]:
    """The front-matter but `output` and `tools`, which `structured_changes` words."""
    return {k: v for k, v in prompt.spec.raw.items() if k not in ("output", "tools")}


def _unified(old: str, new: str, a: str, b: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), a, b
        )
    ]


def _rendered_diff(a: Prompt, b: Prompt, a_label: str, b_label: str) -> list[str]:
    return _unified(
        _render_sample(a), _render_sample(b), f"{a_label} (rendered)", f"{b_label} (rendered)"
    )


def _render_sample(prompt: Prompt) -> str:
    try:
        rendered = prompt.render_inputs(prompt.sample or {}, check_budget=False)
    except PromptregError as err:
        return f"(the sample does not render: {err.message})\n"
    if rendered.text is not None:
        return rendered.text + "\n"
    from promptreg.template.media import content_text

    return "".join(f"── {m['role']} ──\n{content_text(m['content'])}\n" for m in rendered.messages)


# -- front-matter as sentences ---------------------------------------------------------------


def front_matter_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Plain sentences for every difference between two front-matters."""
    from deepdiff import DeepDiff

    diff = DeepDiff(dict(old), dict(new), verbose_level=2, threshold_to_diff_deeper=0)
    sentences: list[tuple[str, str]] = []
    for path, change in diff.get("values_changed", {}).items():
        parts = _parts(path)
        sentences.append(
            (_dotted(parts), _changed(parts, change["old_value"], change["new_value"]))
        )
    for path, change in diff.get("type_changes", {}).items():
        parts = _parts(path)
        sentences.append(
            (_dotted(parts), _changed(parts, change["old_value"], change["new_value"]))
        )
    for kind, verb in (
        ("dictionary_item_added", "added"),
        ("iterable_item_added", "added"),
        ("dictionary_item_removed", "removed"),
        ("iterable_item_removed", "removed"),
    ):
        for path, value in diff.get(kind, {}).items():
            parts = _parts(path)
            sentences.append((_dotted(parts), _added_or_removed(parts, value, verb)))
    return [sentence for _, sentence in sorted(sentences, key=lambda s: _order(s[0]))]


_ORDER = ("version", "description", "owners", "model", "inputs", "budget", "sample", "evals")


def _order(dotted: str) -> tuple[int, str]:
    top = dotted.split(".")[0].split("[")[0]
    return (_ORDER.index(top) if top in _ORDER else len(_ORDER), dotted)


def _parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for token in _PATH_PART.findall(path):
        if token.startswith("'"):
            out.append(token[1:-1].replace("\\'", "'"))
        else:
            out.append(int(token))
    return out


def _dotted(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return repr(value)


def _changed(parts: Sequence[str | int], old: Any, new: Any) -> str:
    where = _dotted(parts)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    if numbers and len(parts) >= 2 and parts[:2] == ["evals", "scores"]:
        delta = new - old
        sign = "+" if delta >= 0 else "−"
        return f"{where} {old:g} → {new:g} ({sign}{abs(delta):.2f})"
    if len(parts) == 3 and parts[0] == "inputs":
        return f"input `{parts[1]}`: {parts[2]} changed from {_show(old)} to {_show(new)}"
    return f"{where} changed from {_show(old)} to {_show(new)}"


def _added_or_removed(parts: Sequence[str | int], value: Any, verb: str) -> str:
    if len(parts) == 2 and parts[0] == "inputs":
        kind = value.get("type") if isinstance(value, dict) else None
        return f"input `{parts[1]}` {verb}" + (f" ({kind})" if kind and verb == "added" else "")
    if len(parts) == 3 and parts[0] == "inputs":
        return f"input `{parts[1]}`: {parts[2]} {verb}" + (
            f" ({_show(value)})" if verb == "added" else ""
        )
    where = _dotted(parts)
    if isinstance(parts[-1], int):
        return f"{_dotted(parts[:-1])}: {_show(value)} {verb}"
    return f"{where} {verb}" + (f": {_show(value)}" if verb == "added" else "")


# -- git textconv ----------------------------------------------------------------------------


def textconv(text: str) -> str:
    """A prompt file as `git diff` should compare it: one `key.path: value` line per
    front-matter leaf, then the body. A changed value shows as one changed line."""
    from promptreg.frontmatter._yaml import read_yaml
    from promptreg.frontmatter.split import FrontMatterError, split_front_matter
    from promptreg.frontmatter.yamldoc import YamlError

    try:
        parts = split_front_matter(text)
        data = read_yaml(parts.front_matter).data
    except (FrontMatterError, YamlError):
        return text
    lines: list[str] = []
    _flatten(data, [], lines)
    return "\n".join(lines) + "\n--- body ---\n" + parts.body


def _flatten(value: Any, parts: list[str | int], out: list[str]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, [*parts, str(key)], out)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for i, item in enumerate(value):
            _flatten(item, [*parts, i], out)
    else:
        out.append(f"{_dotted(parts)}: {_show_flat(value)}")


def _show_flat(value: Any) -> str:
    """A front-matter value as YAML writes it in flow style (`true`, `[en, fr]`, `null`), so
    the line reads as the file does: never Python's `True` or `['en', 'fr']`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if _plain(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_show_flat(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_show_flat(str(k))}: {_show_flat(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(str(value), ensure_ascii=False)  # a date: as text, quoted


# Characters a plain YAML scalar may hold anywhere (no flow, comment or mapping indicators).
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .\-/@()+]*(?<! )")


def _plain(value: str) -> bool:
    """Whether `value` reads back as this very string unquoted (not `true`, `1.0`, a date):
    asked of the reader itself, as textconv runs once per file, off every hot path."""
    from promptreg.frontmatter._yaml import read_yaml
    from promptreg.frontmatter.yamldoc import YamlError

    if not _PLAIN.fullmatch(value):
        return False
    try:
        data = read_yaml(f"v: {value}\n").data
    except YamlError:
        return False
    return isinstance(data, dict) and data.get("v") == value and type(data.get("v")) is str
