"""A small base for plain data classes, without the cost of importing ``dataclasses``.

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis`` and ``tokenize``) and
generates code per class: together about a quarter of runnable's start-up. Records only
need what this gives: fields from annotations, defaults, ``__eq__`` and ``__repr__``.
"""

from __future__ import annotations

from typing import Any, Callable


class factory:  # noqa: N801 - reads like dataclasses.field(default_factory=...)
    """A per-instance default: ``items: list = factory(list)``."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_MISSING = object()


class Record:
    """Fields are the class's annotated names, in order (inherited ones first)."""

    _fields: tuple[str, ...] = ()
    _field_defaults: dict[str, Any] = {}
    _plan: tuple[tuple[str, Any], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[str] = []
        defaults: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("__annotations__", {}):
                if name.startswith("_"):
                    continue
                if name not in fields:
                    fields.append(name)
                if name in klass.__dict__:
                    defaults[name] = klass.__dict__[name]
        cls._fields = tuple(fields)
        cls._field_defaults = defaults
        cls._plan = tuple((name, defaults.get(name, _MISSING)) for name in fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Hot: a 5,000-step pipeline builds tens of thousands of records, so values go
        # straight into __dict__ in one pass over a plan computed once per class.
        if args:
            fields = self._fields
            if len(args) > len(fields):
                raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, got {len(args)}")
            for name, value in zip(fields, args):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
                kwargs[name] = value
        values = self.__dict__
        for name, default in self._plan:
            if name in kwargs:
                values[name] = kwargs.pop(name)
            elif default is _MISSING:
                raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
            elif type(default) is factory:
                values[name] = default.make()
            else:
                values[name] = default
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({inner})"

    def plain(self) -> dict[str, Any]:
        """A deep copy made only of dicts, lists and scalars (for JSON)."""
        return {f: to_plain(getattr(self, f)) for f in self._fields}


def to_plain(value: Any) -> Any:
    """Records become dicts; containers are converted only if they hold records.

    Parameter values are plain JSON data already; walking them on every step record
    would cost time proportional to their size.
    """
    if isinstance(value, Record):
        return value.plain()
    if isinstance(value, dict):
        if _holds_records(value.values()):
            return {k: to_plain(v) for k, v in value.items()}
        return value
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value] if _holds_records(value) else list(value)
    return value


def _holds_records(values: Any) -> bool:
    return any(isinstance(v, Record) or (isinstance(v, (list, tuple)) and _holds_records(v)) for v in values)
