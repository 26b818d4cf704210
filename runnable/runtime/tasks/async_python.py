"""Async Python tasks: an ``async def`` is awaited; an async generator's items stream out.

Items that are dicts with a ``"type"`` are events and are passed on as they are; any
other item is passed on as ``{"type": "item", "step": ..., "value": item}``. The event
whose type is the task's ``stream_end_type`` (``"done"`` by default) carries the returns:
its other keys, in order (one key: that value; several: a tuple, matched to ``returns``).

While a run is streamed the coroutine runs on the caller's event loop; otherwise (a plain
``execute()``, a container, a forked branch worker) it runs to completion on a loop of
its own, so the same task gives the same results everywhere.
"""

from __future__ import annotations

from typing import Any

from runnable.ir.errors import ParameterError
from runnable.ir.model import TaskSpec
from runnable.runtime import streaming
from runnable.runtime.capture import captured_output
from runnable.runtime.loading import resolve_callable
from runnable.runtime.parameters import bind_arguments, split_returns
from runnable.runtime.tasks import TaskEnv, environment

_NO_END = object()


def run(task: TaskSpec, env: TaskEnv) -> dict[str, Any]:
    function = resolve_callable(task.command, env.where)
    kwargs, env.used = bind_arguments(function, env.parameters, env.load_object, env.where)
    with environment({**env.extra_env, **env.secrets}), captured_output(env.mask) as buffer:
        try:
            result = _complete(function(**kwargs), task, env)
        finally:
            env.output.append(buffer.getvalue())
    return split_returns(result, task.returns, env.where)


def _complete(result: Any, task: TaskSpec, env: TaskEnv) -> Any:
    import inspect

    if inspect.isasyncgen(result):
        value = run_coroutine(_drain(result, task.stream_end_type, env.step_name))
        if value is _NO_END:
            if task.returns:
                raise ParameterError(
                    f"{env.where}: the async generator ended without a {{'type': {task.stream_end_type!r}, ...}} "
                    f"event, which carries its returns ({', '.join(r.name for r in task.returns)})."
                )
            return None
        return value
    if inspect.isawaitable(result):
        return run_coroutine(_awaited(result))
    return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


async def _drain(generator: Any, end_type: str, step: str) -> Any:
    returned: Any = _NO_END
    async for item in generator:
        if isinstance(item, dict) and "type" in item:
            streaming.emit(dict(item))
            if item["type"] == end_type:
                values = [value for key, value in item.items() if key != "type"]
                returned = values[0] if len(values) == 1 else tuple(values) if values else None
        else:
            streaming.emit({"type": streaming.ITEM, "step": step, "value": item})
    return returned


def run_coroutine(coroutine: Any) -> Any:
    """Run a coroutine to completion from synchronous code, wherever that code runs."""
    import asyncio

    sink = streaming.current()
    loop = sink.usable_loop() if sink is not None else None
    if loop is not None:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # execute() called from inside a running loop's thread: that loop cannot be waited on here
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
