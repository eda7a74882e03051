"""`record` behaves as `dataclass` (issue 9 §2: it only compiles fewer methods at import).

Each case defines the same class twice, with `@dataclass(...)` and with `@record(...)`, and
compares what a caller can observe: repr (also of a class that contains itself), equality
(with an equal, a different and a foreign object), hashability and hash, frozenness,
`replace`, `fields`, `asdict`, `__match_args__`, pickling and the generated `__init__`.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg._record import record
from promptreg.registry.tags import Deployment


def _twins(frozen: bool) -> tuple[type, type]:
    def body(decorate: Any) -> type:
        @decorate
        class Point:
            x: int
            label: str = "p"
            hidden: int = dataclasses.field(default=0, repr=False, compare=False)
            tags: list[Any] = dataclasses.field(default_factory=list)
            seen: int = dataclasses.field(default=3, init=False)
            made: tuple[Any, ...] = dataclasses.field(default_factory=tuple, init=False)

        return Point

    if frozen:
        return body(dataclasses.dataclass(frozen=True)), body(record(frozen=True))
    return body(dataclasses.dataclass), body(record)


values = st.tuples(st.integers(), st.text(max_size=5), st.integers())


@settings(max_examples=60, deadline=None)
@given(frozen=st.booleans(), a=values, b=values)
def test_record_matches_dataclass(frozen: bool, a: tuple[Any, ...], b: tuple[Any, ...]):
    ref, ours = _twins(frozen)
    a, b = (*a, ()), (*b, ())  # tags: hashable
    r1, r2, o1, o2 = ref(*a), ref(*b), ours(*a), ours(*b)
    assert repr(o1).split("Point", 1)[1] == repr(r1).split("Point", 1)[1]
    assert (o1 == o2) == (r1 == r2) and (o1 != o2) == (r1 != r2)
    assert (o1 == ours(*a)) and (o1 != a) and (o1 == r1) is False
    assert o1.__eq__(r1) is NotImplemented
    if frozen:
        assert (hash(o1) == hash(ours(*a))) and hash(o1) == hash(r1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            o1.x = 1
    else:
        with pytest.raises(TypeError):
            hash(o1)
        o1.x = 7
        assert o1.x == 7
    assert [f.name for f in dataclasses.fields(ours)] == [f.name for f in dataclasses.fields(ref)]
    assert dataclasses.asdict(ours(*a)) == dataclasses.asdict(ref(*a))
    assert dataclasses.replace(ours(*a), x=5) == ours(5, *a[1:])
    assert ours.__match_args__ == ref.__match_args__
    assert str(inspect.signature(ours)) == str(inspect.signature(ref))
    assert ours.__doc__.split("Point", 1)[1] == ref.__doc__.split("Point", 1)[1]
    assert (o1.seen, o1.made) == (r1.seen, r1.made) == (3, ())
    if frozen:
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'x'"):
            del o1.x
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'y'"):
            o1.y = 1
    assert ours.__dataclass_params__.eq and ours.__dataclass_params__.repr


def test_recursive_repr_and_pickle():
    _, ours = _twins(False)
    point = ours(1)
    point.tags.append(point)
    assert repr(point).endswith("Point(x=1, label='p', tags=[...], seen=3, made=())")
    deployment = Deployment(
        "a", "prod", 1, "t", "c", "promote", "1.0.0", None, None, None, None, False
    )
    assert pickle.loads(pickle.dumps(deployment)) == deployment
    assert dataclasses.replace(deployment) == deployment
    with pytest.raises(TypeError):
        ours()  # the generated __init__ still requires its fields


def test_what_the_class_wrote_itself_stays():
    @record(frozen=True)
    class Own:
        a: int

        def __repr__(self) -> str:
            return "mine"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 3

    assert repr(Own(1)) == "mine" and Own(1) == 2 and hash(Own(1)) == 3


def _ordered_twins() -> tuple[type, type]:
    def body(decorate: Any) -> type:
        @decorate
        class Spot:
            path: str
            line: int
            note: str = dataclasses.field(default="", compare=False)

            def __post_init__(self) -> None:
                object.__setattr__(self, "path", self.path.strip())

        return Spot

    return body(dataclasses.dataclass(frozen=True, order=True)), body(
        record(frozen=True, order=True)
    )


@settings(max_examples=60, deadline=None)
@given(
    a=st.tuples(st.text(max_size=3), st.integers(-2, 2), st.text(max_size=2)),
    b=st.tuples(st.text(max_size=3), st.integers(-2, 2), st.text(max_size=2)),
)
def test_order_and_post_init_match_dataclass(a: tuple[Any, ...], b: tuple[Any, ...]):
    ref, ours = _ordered_twins()
    r1, r2, o1, o2 = ref(*a), ref(*b), ours(*a), ours(*b)
    assert repr(o1).split("Spot", 1)[1] == repr(r1).split("Spot", 1)[1]  # post_init ran
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__"):
        assert getattr(o1, op)(o2) == getattr(r1, op)(r2)
        assert getattr(o1, op)(r1) is NotImplemented  # another class: not comparable
    assert sorted([o2, o1]) == sorted([o1, o2]) and hash(o1) == hash(r1)
    assert ours.__dataclass_params__.order and str(inspect.signature(ours)) == str(
        inspect.signature(ref)
    )
    with pytest.raises(TypeError):
        _ = o1 < 1
    with pytest.raises(TypeError, match="Cannot overwrite attribute __lt__"):

        @record(order=True)
        class Own:
            a: int

            def __lt__(self, other: object) -> bool:
                return True


def test_an_own_setattr_sees_what_init_sets_as_with_dataclass():
    class Doubling:
        def __setattr__(self, name: str, value: Any) -> None:
            object.__setattr__(self, name, value * 2)

    def body(decorate: Any, base: type) -> type:
        @decorate
        class Pair(base):  # type: ignore[valid-type,misc]
            a: int
            b: int = 1

        return Pair

    for base in (object, Doubling):
        ref, ours = body(dataclasses.dataclass, base), body(record, base)
        assert (
            vars(ours(3))
            == vars(ref(3))
            == (
                {"a": 6, "b": 2}
                if base is Doubling
                else {
                    "a": 3,
                    "b": 1,
                }
            )
        )
