"""Async tasks in an async pipeline, awaited from async code.

    python examples/12-async/async_tasks.py
    runnable run examples/12-async/async_tasks.py

'fetch' awaits an async function; 'count' receives its return like any parameter.
await pipeline.execute() runs the pipeline without blocking the event loop and returns
the run log. On a container or cluster target each async task runs to completion inside
its step's container.
"""

import asyncio

from runnable import AsyncPipeline, AsyncPythonTask
from examples.common.functions import count_words, fetch_greeting


async def main():
    pipeline = AsyncPipeline(
        steps=[
            AsyncPythonTask(name="fetch", function=fetch_greeting, returns=["greeting"]),
            AsyncPythonTask(name="count", function=count_words, returns=["word_count"]),
        ]
    )
    run_log = await pipeline.execute()
    print(f"run {run_log.run_id}: {run_log.status}")
    return pipeline


if __name__ == "__main__":
    asyncio.run(main())
