"""`record`: `dataclasses.dataclass`, with one method compiled at import instead of six
(issue 9 §2).

Python 3.11's `dataclass` writes every method it adds as source text and compiles it with
`exec` when the class is defined: six compilations for a frozen class (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about 0.1 ms each. The
runtime path (`import promptreg` → `get` → `render`) defines some thirty dataclasses, so that
was a fifth of promptreg's start-up. `record` lets `dataclass` do the fields (defaults,
`field(...)`, `__dataclass_fields__`, `__match_args__`: `fields`, `replace`, `asdict` and
pickling work as before), compiles only `__init__` (it needs a signature of its own), and
adds the other methods as closures over the fields that behave as `dataclass`'s do
(tests/test_record.py compares them). Supported: `@record`, `@record(frozen=True)` and
`order=True` with defaults, `field(default=..., default_factory=..., init=..., repr=...,
compare=..., hash=...)` and `__post_init__` (no InitVar); anything else (slots, kw_only)
stays `@dataclass`.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_Getter = Callable[[Any], tuple[Any, ...]]


@overload
def record(cls: type[_T], /) -> type[_T]: ...
@overload
def record(*, frozen: bool = False, order: bool = False) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[_T] | None = None, /, *, frozen: bool = False, order: bool = False) -> Any:
    """`@dataclass` / `@dataclass(frozen=True, order=True)`, cheaper to define (see the module
    doc)."""

    def wrap(cls: type[_T]) -> type[_T]:
        undocumented = cls.__dict__.get("__doc__") is None
        if frozen and "__setattr__" in cls.__dict__:
            raise TypeError(f"{cls.__qualname__}: use @dataclass (not supported by @record)")
        for name in _ORDER if order else ():
            if name in cls.__dict__:  # as `dataclass` refuses it
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        if undocumented:
            cls.__doc__ = "-"  # so that `dataclass` does not work out a signature of its own
        made = dataclasses.dataclass(cls, init=False, repr=False, eq=False)
        _finish(made, frozen)
        if order:
            _order(made)
        if undocumented:  # as `dataclass` documents a class without a docstring
            made.__doc__ = made.__name__ + _signature(made)
        return made

    return wrap if cls is None else wrap(cls)


def _finish(cls: type[Any], frozen: bool) -> None:
    fields = dataclasses.fields(cls)
    own = cls.__dict__
    methods: dict[str, object] = {"__init__": _init(cls, fields, frozen)}
    methods["__repr__"] = _repr(cls, [f.name for f in fields if f.repr])
    methods["__eq__"] = _eq(cls, _getter([f.name for f in fields if f.compare]))
    # As `dataclass` decides (its `_hash_action` table, eq=True, unsafe_hash=False): a hash of
    # the compared fields when frozen, unhashable otherwise, unless the class wrote its own.
    if not ("__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)):
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        methods["__hash__"] = _hash(cls, _getter(hashed)) if frozen else None
    if frozen:
        methods.update(_frozen(cls, frozenset(f.name for f in fields)))
    for name, method in methods.items():
        if name not in own or name == "__hash__":  # what the class wrote itself stays
            setattr(cls, name, method)
    params = cls.__dataclass_params__
    params.init = params.repr = params.eq = True  # what `dataclass(...)` would record
    params.frozen = frozen


def _init(cls: type[Any], fields: tuple[dataclasses.Field[Any], ...], frozen: bool) -> Any:
    """`__init__` as `dataclass` writes it: the one method compiled (see the module doc)."""
    env: dict[str, Any] = {"__factory__": _FACTORY}
    params, body, values = ["self"], [], []
    for f in fields:
        value = f.name
        if f.default_factory is not dataclasses.MISSING:
            env[f"__default_{f.name}"] = f.default_factory
            value = f"__default_{f.name}()"
            if f.init:
                params.append(f"{f.name}=__factory__")
                value = f"{value} if {f.name} is __factory__ else {f.name}"
        elif f.default is not dataclasses.MISSING:
            env[f"__default_{f.name}"] = f.default
            if f.init:
                params.append(f"{f.name}=__default_{f.name}")
            else:
                value = f"__default_{f.name}"
        elif not f.init:
            continue  # no default, not an argument: `dataclass` leaves it unset too
        elif "=" in params[-1]:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        else:
            params.append(f.name)
        values.append((f.name, value))
    if frozen or getattr(cls, "__setattr__", None) is object.__setattr__:
        # What `object.__setattr__` of each field does (no field is a descriptor: its class
        # attribute is its default), in one statement: a third of the compile time, and of
        # the time per instance.
        if values:
            body.append(f"self.__dict__.update({', '.join(f'{n}={v}' for n, v in values)})")
    else:  # a class that wrote its own __setattr__ gets it called, as `dataclass` does
        body += [f"self.{n} = {v}" for n, v in values]
    if hasattr(cls, "__post_init__"):  # (no InitVar: it takes no argument)
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n    " + ("\n    ".join(body) or "pass")
    exec(source, env)  # our own text, made of the field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


def _signature(cls: type[Any]) -> str:
    """`str(inspect.signature(cls))` without importing and running inspect (0.1 ms a class),
    for the case `record` makes: string annotations (`from __future__ import annotations`)."""
    fields = [f for f in dataclasses.fields(cls) if f.init]
    if not all(isinstance(f.type, str) for f in fields):
        import inspect

        return str(inspect.signature(cls)).replace(" -> None", "")
    shown = []
    for f in fields:
        text = f"{f.name}: {f.type!r}"
        if f.default_factory is not dataclasses.MISSING:
            text += f" = {_FACTORY!r}"
        elif f.default is not dataclasses.MISSING:
            text += f" = {f.default!r}"
        shown.append(text)
    return f"({', '.join(shown)})"


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # what `dataclass`'s signature shows for a default_factory


_FACTORY = _Factory()


def _repr(cls: type[Any], shown: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({body})"

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    return __repr__


def _eq(cls: type[Any], values: _Getter) -> Callable[[Any, object], bool]:
    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(values(self) == values(other))
        return NotImplemented

    __eq__.__qualname__ = f"{cls.__qualname__}.__eq__"
    return __eq__


def _hash(cls: type[Any], key: _Getter) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
    return __hash__


def _frozen(cls: type[Any], names: frozenset[str]) -> dict[str, object]:
    """`__setattr__` and `__delattr__` of a frozen dataclass (the same test, the same error)."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    __setattr__.__qualname__ = f"{cls.__qualname__}.__setattr__"
    __delattr__.__qualname__ = f"{cls.__qualname__}.__delattr__"
    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")


def _order(cls: type[Any]) -> None:
    """`order=True`: compare the tuples of compared fields, with an instance of the same class
    only (NotImplemented otherwise), as `dataclass` does."""
    values = _getter([f.name for f in dataclasses.fields(cls) if f.compare])
    for name in _ORDER:
        compare = getattr(operator, name)

        def method(self: Any, other: Any, _compare: Any = compare) -> Any:
            if other.__class__ is self.__class__:
                return _compare(values(self), values(other))
            return NotImplemented

        method.__name__ = name
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)
    cls.__dataclass_params__.order = True


def _getter(names: list[str]) -> _Getter:
    """The named attributes as a tuple (always a tuple, even for one or no name)."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)
