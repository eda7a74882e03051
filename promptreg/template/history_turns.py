"""The `chat_history` filter: a conversation given as an input, checked turn by turn before
the template lays it out (the history block an imported Dotprompt prompt gets, see
formats/jinja_out.py).

The template decides the structure: each turn goes under a marker line the template picks
with `{% if turn.role == ... %}`, so a value only chooses among the roles the template wrote.
A turn whose role the block does not place (`tool`, `function`, `System`, a list) would
otherwise fall into the block's last branch and be sent as a role it never had; it is an
error naming the turn and its role. So is a turn that is not a `{role, content}` mapping, or
content that is neither text nor Dotprompt's `[{text}]` parts. A step per turn (limits.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined

from promptreg.limits import step

# Dotprompt's roles for a conversation (`model` is its name for the assistant); `tool`
# messages answer a tool call by id, which a history of {role, content} cannot carry.
ROLES = ("system", "user", "assistant", "model")


class HistoryError(ValueError):
    """A turn of the history input that the template cannot place. The filter's wrapper
    (sandbox_filters.py) reports it as it is, after the filter's name: it says what is wrong
    in the user's terms (`plain`), not Python's."""

    plain = True


def chat_history(turns: Any) -> Any:
    """`turns`, each checked (see the module docstring). Raises HistoryError."""
    if isinstance(turns, Undefined):
        turns._fail_with_undefined_error()
    if turns is None:
        return []
    if not isinstance(turns, (list, tuple)):
        raise HistoryError(f"history must be a list of {{role, content}}, not {_kind(turns)}")
    for index, turn in enumerate(turns):
        step()
        _check(index, turn)
    return turns


def _check(index: int, turn: Any) -> None:
    where = f"history turn {index}"
    if not isinstance(turn, Mapping):
        raise HistoryError(f"{where} must be a mapping {{role, content}}, not {_kind(turn)}")
    role = turn.get("role")
    if not isinstance(role, str) or role not in ROLES:
        shown = repr(role) if isinstance(role, str) and len(role) <= 40 else _kind(role)
        raise HistoryError(
            f"{where} has role {shown}: the template places only "
            + ", ".join(ROLES)
            + " (`model` is the assistant)"
        )
    content = turn.get("content")
    if isinstance(content, str):
        return
    if isinstance(content, (list, tuple)):
        for part in content:
            if not isinstance(part, Mapping) or not isinstance(part.get("text"), str):
                raise HistoryError(
                    f"{where} ({role}): each part of its content must be {{text: ...}}, "
                    f"not {_kind(part)}"
                )
        return
    raise HistoryError(
        f"{where} ({role}): content must be text or [{{text}}], not {_kind(content)}"
    )


def _kind(value: Any) -> str:
    """A value's kind, never its text: it may be anything, of any size."""
    if value is None:
        return "null"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return kinds.get(type(value), type(value).__name__)
