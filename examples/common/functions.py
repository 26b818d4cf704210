"""Functions shared by the examples. Plain Python: nothing here knows about runnable."""

from __future__ import annotations

import argparse
import asyncio
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


def prepare() -> tuple[int, int, list[int]]:
    """Parameters the control-flow examples start from."""
    return 10, 3, [1, 2, 3, 4]


def add(base: int, stride: int) -> int:
    """Uses parameters set before a Parallel: branches see them (runnable 0.50 lost them)."""
    return base + stride


def multiply(base: int, stride: int) -> int:
    return base * stride


def square(item: int, base: int) -> int:
    """A map item: ``item`` is injected, ``base`` comes from the enclosing pipeline."""
    assert isinstance(item, int), type(item)
    return item * item + base


def check_squares(squares: list[int]) -> None:
    assert squares == [11, 14, 19, 26], squares
    print(f"squares: {squares}")


def check_max(squares: int) -> None:
    assert squares == 26, squares


def largest(*values: int) -> int:
    """A reducer given as a dotted path: receives every item's value, in item order."""
    return max(values)


def fail_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("item 3 fails on purpose")
    return item


def make_items(count: int = 5) -> list[int]:
    """A list computed at run time: the map's shape is known only then."""
    return list(range(count))


def toss(seed: int = 0) -> str:
    """Picks the conditional's branch."""
    return "heads" if seed % 2 == 0 else "tails"


def on_heads() -> str:
    return "it was heads"


def on_tails() -> str:
    return "it was tails"


def countdown(remaining: int = 3) -> tuple[int, bool, int]:
    """A loop body: the iteration index is in the environment variable named by index_as."""
    iteration = int(os.environ["iteration"])
    remaining -= 1
    return remaining, remaining <= 0, iteration


def flaky() -> int:
    """Fails on its first two attempts, then succeeds: shows max_attempts.

    The attempt number comes from runnable (RUNNABLE_STEP_ATTEMPT), not from a file in the
    working directory: on a cluster every attempt starts in a fresh pod.
    """
    attempts = int(os.environ.get("RUNNABLE_STEP_ATTEMPT", "1"))
    if attempts < 3:
        raise RuntimeError(f"flaky failure number {attempts}")
    return attempts


def fails_unless_fixed() -> str:
    """Fails until the project has a file 'fixed': retry the run after creating it.

    In a pod the working directory is scratch space; the project is at RUNNABLE_PROJECT_DIR.
    """
    project = Path(os.environ.get("RUNNABLE_PROJECT_DIR", "."))
    if not Path("fixed").exists() and not (project / "fixed").exists():
        raise RuntimeError("not fixed yet: create the file 'fixed' and run 'runnable retry RUN_ID'")
    return "fixed"


def bump(integer: int) -> int:
    """Adds one to 'integer': a retry must start from the run's own value, not a new one."""
    return integer + 1


def check_after_fix(integer: int, stringer: str) -> str:
    """Fails until the project has a file 'fixed'; then checks the parameters the run started with."""
    if not Path("fixed").exists():
        raise RuntimeError("not fixed yet: create the file 'fixed' and run the script again with RUNNABLE_RETRY_RUN_ID")
    return f"{stringer} {integer}"


async def fetch_greeting(stringer: str) -> str:
    """An async function: awaited by an AsyncPythonTask (here a pretend network call)."""
    await asyncio.sleep(0.01)
    return f"{stringer} from an async task"


async def count_words(greeting: str) -> int:
    await asyncio.sleep(0)
    return len(greeting.split())


async def stream_words(greeting: str):
    """An async generator: each word streams out as soon as it is ready.

    The event of type 'done' carries the returns (word_count, shout), in that order.
    """
    words = greeting.split()
    for word in words:
        await asyncio.sleep(0)
        yield {"type": "word", "text": word}
    yield {"type": "done", "word_count": len(words), "shout": greeting.upper()}


def check_stream(word_count: int, shout: str) -> bool:
    assert word_count == 5 and shout == "HELLO FROM AN ASYNC TASK", (word_count, shout)
    return True
