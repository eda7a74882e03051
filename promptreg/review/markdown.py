"""The review as one GitHub (or GitLab) comment, within the comment size limit.

GitHub refuses a comment over 65,536 characters. The comment is built from parts; the
summary table and each prompt's facts are kept, the diffs are cuttable. Over the limit, the
largest diff is shortened first, then diffs are left out whole, largest first, then whole
prompt sections from the end, then table rows: each with a note saying what was left out and
the command that shows it. What is kept is never cut mid-way: every code fence is closed and
every table row is whole (tests/review/test_review.py checks this over generated reviews).

Everything a user wrote is escaped: inline text by `text()`, code inside fences longer than
any run of backticks it contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptreg.review.model import PartialChange, PromptChange, Review, delta, score_deltas

MARKER = "<!-- promptreg-review -->"
LIMIT = 65_536
_SHORT_LINES = 60
_SPECIAL = re.compile(r"([\\`*_\[\]{}|~#+!])")


def text(value: str) -> str:
    """Inline markdown for any string: one line, markdown and HTML characters escaped."""
    value = " ".join(value.split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", value)


def code(value: str) -> str:
    """An inline code span that holds `value` whatever backticks it has."""
    value = " ".join(value.split())
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def fenced(lines: list[str], lang: str = "diff") -> str:
    body = "\n".join(lines)
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}\n"


@dataclass
class Part:
    """A cuttable piece: a diff under a title. `lines` None: left out (see `note`)."""

    title: str
    lines: list[str] | None
    how: str  # the command that shows it whole
    folded: bool = False  # inside <details>
    note: str = ""

    def render(self) -> str:
        if self.lines is None:
            return f"_{self.title}: {self.note}_\n\n"
        block = fenced(self.lines)
        if self.note:
            block += f"\n_{self.note}_\n"
        if self.folded:
            return f"<details><summary>{self.title}</summary>\n\n{block}\n</details>\n\n"
        return f"**{self.title}**\n\n{block}\n"

    def size(self) -> int:
        return len(self.render())

    def shorten(self) -> bool:
        if self.lines is None or len(self.lines) <= _SHORT_LINES:
            return False
        total = len(self.lines)
        self.lines = self.lines[:_SHORT_LINES]
        self.note = f"{total - _SHORT_LINES} more lines left out; see {code(self.how)}"
        return True

    def drop(self) -> None:
        total = len(self.lines or [])
        self.lines = None
        self.note = f"left out to fit the comment ({total} lines); see {code(self.how)}"


@dataclass
class Section:
    head: str  # heading and facts: never cut
    parts: list[Part]
    name: str

    def render(self) -> str:
        return self.head + "".join(p.render() for p in self.parts)

    def size(self) -> int:
        return len(self.head) + sum(p.size() for p in self.parts)


def markdown(review: Review, *, limit: int = LIMIT) -> str:
    """The comment, at most `limit` characters. Sizes are kept as parts change, so cutting a
    review of thousands of prompts costs a sort, not a re-render per cut."""
    rows = [_row(c) for c in review.prompts]
    sections = [_prompt_section(review, c) for c in review.prompts]
    sections += [_partial_section(review, p) for p in review.partials]
    title = _title(review)
    sizes = [s.size() for s in sections]
    table_size = len(_table(rows, 0))
    total = len(title) + table_size + sum(sizes)
    for step in ("shorten", "drop"):
        if total <= limit:
            break
        parts = [(p, n) for n, s in enumerate(sections) for p in s.parts if p.lines is not None]
        for part, n in sorted(parts, key=lambda pn: -pn[0].size()):
            if total <= limit:
                break
            before = part.size()
            if step == "shorten" and not part.shorten():
                continue
            if step == "drop":
                part.drop()
            change = part.size() - before
            sizes[n] += change
            total += change
    shown = len(sections)
    while total + len(_dropped(review, len(sections) - shown)) > limit and shown:
        shown -= 1
        total -= sizes[shown]
    note = _dropped(review, len(sections) - shown)
    shown_rows = len(rows)
    while total + len(note) > limit and shown_rows:
        shown_rows = max(0, shown_rows - max(1, shown_rows // 10))
        new_table = len(_table(rows[:shown_rows], len(rows) - shown_rows))
        total += new_table - table_size
        table_size = new_table
    out = title + _table(rows[:shown_rows], len(rows) - shown_rows)
    out += "".join(sect.render() for sect in sections[:shown]) + note
    return out if len(out) <= limit else out[: limit - 1]  # (only a tiny limit)


def _dropped(review: Review, count: int) -> str:
    if not count:
        return ""
    command = code(f"promptreg review {review.base_label} {review.head_label}")
    return (
        f"_{count} more section(s) left out to fit the comment: run {command} to see them all._\n"
    )


def _title(review: Review) -> str:
    n = len(review.prompts)
    m = len(review.partials)
    what = f"{n} prompt(s)" + (f" and {m} partial(s)" if m else "")
    span = (  # (never a line that starts with a code span: it could read as a fence)
        f"From {code(review.base_label)} ({review.base[:10]}) to "
        f"{code(review.head_label)} ({review.head[:10]})"
    )
    head = f"{MARKER}\n### promptreg review: {what} changed\n\n{span}\n\n"
    if not review.prompts and not review.partials:
        head += "No prompt or partial changed.\n"
    return head


_HEADER = (
    "Prompt",
    "Version",
    "Bump",
    "Sample tokens",
    "Cost / 1,000 calls",
    "Evals",
    "Old version runs in",
)


def _table(rows: list[tuple[str, ...]], hidden: int) -> str:
    if not rows and not hidden:
        return ""
    out = "| " + " | ".join(_HEADER) + " |\n|" + "---|" * len(_HEADER) + "\n"
    out += "".join("| " + " | ".join(r) + " |\n" for r in rows)
    if hidden:
        out += f"\n_{hidden} more row(s) left out to fit the comment._\n"
    return out + "\n"


def _row(c: PromptChange) -> tuple[str, ...]:
    old, new = c.old, c.new
    version = f"{old.version if old else '—'} → {new.version if new else '—'}"
    tokens = delta(old.tokens if old else None, new.tokens if new else None, "{:,}")
    cost = delta(old.usd_per_1000 if old else None, new.usd_per_1000 if new else None, "${:,.2f}")
    return (
        _cell(code(c.name) + (f" (via {', '.join(code(p) for p in c.via)})" if c.via else "")),
        text(version),
        "ok" if c.bump is None else "**needs a bump**",
        text(tokens),
        text(cost),
        _gate_cell(c),
        text(", ".join(c.running_old) or "—"),
    )


def _cell(value: str) -> str:
    """A table cell: a `|` that `text` left (inside a code span) must not end the cell."""
    return re.sub(r"(?<!\\)\|", r"\\|", value)


def _gate_cell(c: PromptChange) -> str:
    if c.gate is None:
        return "no metrics"
    verdict = "gate passes" if c.gate.ok else "**gate fails**"
    return text(score_deltas(c)) + ("; " if score_deltas(c) else "") + verdict


def _prompt_section(review: Review, c: PromptChange) -> Section:
    a, b = f"{c.name}@{review.base_label}", f"{c.name}@{review.head_label}"
    how = f"promptreg diff {a} {b}"
    head = f"#### {code(c.name)} ({c.status})\n\n"
    facts = []
    if c.via:
        own = "" if c.file_changed else " (its own file is unchanged)"
        facts.append(f"changed through {', '.join(code(p) for p in c.via)}{own}")
    if c.bump:
        facts.append(f"version bump: {text(c.bump)}")
    if c.gate is not None:
        facts.append(f"eval gate: {'passes' if c.gate.ok else 'fails'}")
        facts += [f"  - {text(p)}" for p in c.gate.reasons]
    if c.running_old:
        facts.append(f"the old version runs in {text(', '.join(c.running_old))}")
    if c.error:
        facts.append(f"does not load: {text(c.error)}")
    facts += [f"metadata: {text(s)}" for s in c.changes]
    head += "".join(f"- {f}\n" if not f.startswith("  ") else f"{f}\n" for f in facts)
    head += "\n" if facts else ""
    parts = []
    if c.body:
        parts.append(Part("Body diff", c.body, how))
    for name, lines in c.partials:
        parts.append(Part(f"Partial {text(name)}", lines, how, folded=True))
    if c.rendered:
        parts.append(Part("Rendered sample diff", c.rendered, how + " --rendered", folded=True))
    return Section(head, parts, c.name)


def _partial_section(review: Review, p: PartialChange) -> Section:
    head = f"#### partial {code(p.path)}\n\n"
    users = ", ".join(code(n) for n in p.included_by) or "no prompt at the head revision"
    head += f"- included by {users}\n\n"
    how = f"git diff {review.base_label} {review.head_label} -- {p.path}"
    return Section(head, [Part("Diff", p.diff, how)] if p.diff else [], p.path)
