"""Bounded template work: how much time and memory one render may take, and the checks that
hold it to that (issue 8, class 5).

A template is code: `{{ 10**(10**8) }}`, `'x' * 10**9`, a macro calling itself twice per level
or a loop doubling a string would each run for minutes or allocate gigabytes. promptreg checks
the *size* of every big result before it is built (an int's bits, a string's or list's length,
a printf or `format` field's width), adds what it builds up against a total, and counts *steps*
(loop items, calls, includes, filters, tests, lookups, comparisons, intercepted operators)
against a step budget and a monotonic deadline. The limits are read at render time from the
render's `Budget` (a context variable set by `output`), never baked into compiled code, so one
compiled template serves every configuration.

Only what could grow without bound is checked; a check costs one comparison on the hot path.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from itertools import islice
from typing import Any

from promptreg._record import record

# How often (in steps) the deadline is read: time.monotonic() costs ~40 ns a call.
_CLOCK_EVERY = 63


@record(frozen=True)
class Limits:
    """`limits:` in promptreg.yaml. Defaults are far above what a prompt needs and far below
    what hurts a server."""

    render_timeout: float = 2.0  # seconds of one render (checked at every step)
    max_output_chars: int = 1_000_000  # the rendered text
    max_string_chars: int = 1_000_000  # any string, list or bytes the template builds
    max_int_bits: int = 4096  # any integer the template computes (~1,233 decimal digits)
    max_steps: int = 1_000_000  # loop items, calls, includes, filters, tests, compares, operators
    max_template_nodes: int = 20_000  # expressions and statements compiled in one template file
    max_total_chars: int = 100_000_000  # all strings/lists built in one render, added up
    max_media_parts: int = 64  # `{% media %}` parts in one render (template/media.py)
    max_media_url_chars: int = 1_000_000  # one media part's url (a data: URL holds the bytes)
    # The inputs of one render, checked before it starts (frontmatter/inputs.py): values in
    # all of them (each item of a list, key and value of a mapping, counted each time it is
    # reached), and characters in all their strings.
    max_input_values: int = 100_000
    max_input_chars: int = 10_000_000


DEFAULT = Limits()


class LimitExceeded(Exception):
    """Template work went over a limit. Not a TypeError/LookupError on purpose: Jinja and the
    sandbox swallow those into Undefined."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{message} (limits.{key})")
        self.key = key


class Budget:
    """What one render may still spend, and the output it has produced so far."""

    __slots__ = ("built", "deadline", "limits", "measured", "output", "seen", "steps")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = limits.max_steps
        self.deadline = time.monotonic() + limits.render_timeout
        self.output: list[str] = []  # see `output`
        self.seen = self.measured = self.built = 0

    def check(self) -> None:
        """Called at least every `_CLOCK_EVERY` steps."""
        if self.output:
            self._measure_output()
        if self.steps < 0:
            raise LimitExceeded(
                "max_steps",
                f"template work took more than {self.limits.max_steps:,} steps "
                "(loop iterations, calls, includes, filters, operators)",
            )
        if time.monotonic() > self.deadline:
            raise LimitExceeded(
                "render_timeout",
                f"rendering took longer than {self.limits.render_timeout:g} s",
            )

    def tick(self) -> None:
        """A step that may itself be long (a filter sorting a million items, a method on a
        long string): read the clock now rather than 64 steps later."""
        self.steps -= 1
        if self.steps < 0 or time.monotonic() > self.deadline:
            self.check()

    def _measure_output(self) -> None:
        """The output so far (see `output`): only the chunks added since the last look."""
        parts = self.output
        end = len(parts)
        self.measured += sum(map(len, islice(parts, self.seen, end)))
        self.seen = end
        limit = self.limits.max_output_chars
        if self.measured > limit:
            raise LimitExceeded(
                "max_output_chars", f"the rendered text is over the limit of {limit:,} characters"
            )


_active: ContextVar[Budget | None] = ContextVar("promptreg_budget", default=None)
active = _active  # the render's budget, for the hot paths in sandbox*.py that inline `step`


def current() -> Limits:
    """The limits in force: the active render's, else the defaults (e.g. while Jinja folds
    constants at compile time)."""
    budget = _active.get()
    return budget.limits if budget is not None else DEFAULT


def heavy_step() -> None:
    """A step that may take long by itself (see `Budget.tick`)."""
    budget = _active.get()
    if budget is not None:
        budget.tick()


def step() -> None:
    """One unit of template work; reads the clock every `_CLOCK_EVERY` steps."""
    budget = _active.get()
    if budget is not None:
        budget.steps -= 1
        if budget.steps < 0 or not budget.steps & _CLOCK_EVERY:
            budget.check()


def loop_items(iterable: Iterable[Any]) -> Iterable[Any]:
    """A `{% for %}` loop's iterable, one step per item. A short sized iterable (a prompt's
    few-shot examples, say) is charged up front and runs at full speed; a longer one is counted
    item by item, so the clock is read during the loop however cheap its body looks."""
    budget = _active.get()
    if budget is None:
        return iterable
    try:
        size = len(iterable)  # type: ignore[arg-type]
    except Exception:
        size = _CLOCK_EVERY + 1
    if size > _CLOCK_EVERY:
        return _counted(iterable, budget)
    before = budget.steps
    budget.steps -= size
    if budget.steps < 0 or budget.steps >> 6 != before >> 6:  # passed a multiple of 64
        budget.check()
    return iterable


def counted(value: Any) -> Any:
    """`value`, after one step: wraps comparisons, whose cost grows with their operands."""
    step()
    return value


def _counted(iterable: Iterable[Any], budget: Budget) -> Iterator[Any]:
    for item in iterable:
        budget.steps -= 1
        if budget.steps < 0 or not budget.steps & _CLOCK_EVERY:
            budget.check()
        yield item


# -- sizes -----------------------------------------------------------------------------------


def check_length(length: int, what: str) -> None:
    limit = current().max_string_chars
    if length > limit:
        raise LimitExceeded(
            "max_string_chars",
            f"{what} would be {_amount(length)} long, over the limit of {limit:,}",
        )


def check_bits(bits: int, what: str) -> None:
    limit = current().max_int_bits
    if bits > limit:
        raise LimitExceeded(
            "max_int_bits",
            f"{what} would be a {_amount(bits)}-bit integer, over the limit of {limit:,}",
        )


def _amount(number: int) -> str:
    """A count for a message (one too long for Python to print is not printed)."""
    return f"{number:,}" if number < 10**30 else "more than 10^30"


def check_width(value: Any, what: str) -> None:
    """A width, count or repetition argument: refuse one that alone passes the limit."""
    if isinstance(value, int) and value > current().max_string_chars:
        check_length(value, what)


def check_result(value: Any) -> Any:
    """After a builtin that grows its input by a bounded factor (upper, escape, encode...)."""
    if isinstance(value, (str, bytes)) and len(value) > current().max_string_chars:
        check_length(len(value), "a string")
    return value


ITEM_CHARS = 32
"""What one item of a new list or tuple counts toward `max_total_chars` (twice that for a
mapping or a set): its pointer, and mostly a small object of its own (`split()` makes a string
per word, `list` of a range an integer per item), 40 to 80 bytes. Counted as one character, a
million-item list of short strings took 60 MB, and a 2-second render held over a gigabyte."""

POINTER_CHARS = 8
"""An item of a list that `+` or `*` builds: a pointer to an object that exists already."""

CONTAINERS = (list, tuple, dict, set, frozenset)


def built_size(value: Any, item: int = ITEM_CHARS) -> int:
    """What `value`, newly built, counts toward `max_total_chars` (see `ITEM_CHARS`)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return item * len(value)
    if isinstance(value, CONTAINERS):  # a hash table: a key, a value and a slot an item
        return 2 * item * len(value)
    return 0


def built(value: Any, item: int = ITEM_CHARS) -> Any:
    """Count a new string, bytes, list, tuple, mapping or set against `max_total_chars`: each
    is held to `max_string_chars`, and this holds what a render builds to a total, so keeping
    many of them (appending to a list in a loop) cannot take gigabytes either. `item`: what an
    item of a container counts (`POINTER_CHARS` where the items are not new)."""
    budget = _active.get()
    if budget is not None and isinstance(value, (str, bytes, *CONTAINERS)):
        budget.built += built_size(value, item)
        if budget.built > budget.limits.max_total_chars:
            raise LimitExceeded(
                "max_total_chars",
                f"the strings and lists the template built add up to more than "
                f"{budget.limits.max_total_chars:,}",
            )
    return value


def output(chunks: Iterable[str], limits: Limits | None = None) -> str:
    """Render: run a template's output generator under a fresh budget of `limits` (or under
    the enclosing render's budget), and join its output unless over `max_output_chars`.

    The chunks are collected by `list.extend` (at C speed, no cost per chunk); the list grows
    in place, so every clock check of the budget (at least every 64 steps) measures what was
    added since the last one. Between two checks the template did fewer than 64 steps, and
    every new string costs a step (an operator, a filter, a call, a join), so what piles up
    unmeasured is bounded too. The whole text is only built once it is known to fit.
    """
    budget = _active.get()
    if budget is None:
        budget = Budget(limits or DEFAULT)
        parts = budget.output
        token = _active.set(budget)
        try:
            parts.extend(chunks)
        finally:
            _active.reset(token)
    else:
        parts = list(chunks)
    limit = budget.limits.max_output_chars
    if sum(map(len, parts)) > limit:
        raise LimitExceeded(
            "max_output_chars", f"the rendered text is over the limit of {limit:,} characters"
        )
    return "".join(parts)


def join_strings(parts: Iterable[str]) -> str:
    """Jinja's `concat` of a buffer (macro output, `{% set %}` blocks, filter blocks); of a
    generator, a whole template's output (`Template.render`)."""
    if type(parts) is not list:
        return output(parts)
    total = sum(map(len, parts))
    if total > current().max_string_chars:
        check_length(total, "a string")
    text = "".join(parts)
    built(text)
    return text
