"""Functions shared by the examples. Plain Python: nothing here knows about runnable."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def hello() -> None:
    """The simplest task: prints a greeting."""
    print("Hello World!")


def read_initial_params(integer: int, floater: float, stringer: str, dict_param: dict, list_param: list[int]) -> None:
    """Parameters arrive by name and are cast to the annotations."""
    assert isinstance(integer, int) and integer == 1, integer
    assert isinstance(floater, float) and floater == 3.14, floater
    assert stringer == "hello", stringer
    assert dict_param == {"x": 10, "foo": "bar"}, dict_param
    assert list_param == [1, 2, 3], list_param
    print(f"integer={integer} floater={floater} stringer={stringer}")


def read_as_kwargs(integer: int, **kwargs: Any) -> None:
    """``**kwargs`` receives every parameter the signature does not name."""
    assert integer == 1
    assert kwargs["stringer"] == "hello", kwargs
    print(f"kwargs: {sorted(kwargs)}")


def read_as_namespace(params: argparse.Namespace) -> None:
    """An argparse.Namespace argument receives all parameters as attributes."""
    assert params.integer == 1 and params.stringer == "hello"
    print(f"namespace: integer={params.integer}")


class Counter:
    """An object that JSON cannot hold: returned as pickled()."""

    def __init__(self, start: int) -> None:
        self.value = start

    def bump(self) -> "Counter":
        self.value += 1
        return self


def write_parameters() -> tuple[int, str, list[int], Counter, float]:
    """Returns are positional: json, json, json, pickled, metric."""
    return 3, "world", [4, 5], Counter(7), 0.97


def read_written_parameters(integer: int, stringer: str, items: list[int], counter: Counter, score: float) -> int:
    """Reads what the previous step returned, objects included."""
    assert integer == 3 and stringer == "world" and items == [4, 5], (integer, stringer, items)
    assert isinstance(counter, Counter) and counter.value == 7
    assert score == 0.97
    return counter.bump().value


def write_files() -> None:
    """Creates files for the catalog to put."""
    Path("data").mkdir(exist_ok=True)
    Path("data/data.csv").write_text("a,b\n1,2\n")
    Path("data/notes.txt").write_text("catalogued\n")


def read_files() -> None:
    """Reads files the catalog got back from an earlier step."""
    assert Path("data/data.csv").read_text() == "a,b\n1,2\n"
    print("data.csv is back")


def remove_files() -> None:
    """Deletes the working copies, so that a later get must restore them."""
    for name in ("data/data.csv", "data/notes.txt"):
        Path(name).unlink(missing_ok=True)


def use_secret() -> None:
    """A secret arrives as an environment variable; printing it shows a mask."""
    value = os.environ["MY_SECRET"]
    assert value
    print(f"the secret is {value}")


def raise_ex() -> None:
    """A task that fails."""
    raise ValueError("this task fails on purpose")
