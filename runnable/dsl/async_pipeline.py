"""``AsyncPipeline``: a pipeline run from async code, awaited or streamed.

It builds the same IR as :class:`Pipeline` (so it compiles to every target, where its
async tasks run to completion inside their step). Running it locally, the run goes to a
worker thread and the caller's event loop stays free: ``await pipeline.execute()``
returns the run log, ``async for event in pipeline.execute_streaming()`` yields the run's
events as they happen (task started/completed/error, the items async generators yield,
and finally ``{"type": "run_finished", "run_id": ..., "status": ...}``), and async tasks
are awaited on the caller's own loop.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

from runnable.dsl.pipeline import Pipeline


class AsyncPipeline(Pipeline):
    """A Pipeline whose ``execute()`` is awaited and whose events can be streamed."""

    run_log: Any = None  # the last run's log, once execute()/execute_streaming() has finished

    async def execute(  # type: ignore[override]  # runnable's AsyncPipeline: awaited
        self,
        configuration_file: str = "",
        run_id: str = "",
        tag: str = "",
        parameters_file: str = "",
        log_level: str = "WARNING",
    ) -> Any:
        """Run the pipeline without blocking the event loop; returns its run log."""
        stream = self.execute_streaming(configuration_file, run_id, tag, parameters_file, log_level)
        async for _ in stream:
            pass
        return self.run_log

    async def execute_streaming(
        self,
        configuration_file: str = "",
        run_id: str = "",
        tag: str = "",
        parameters_file: str = "",
        log_level: str = "WARNING",
    ) -> AsyncIterator[dict[str, Any]]:
        """Run the pipeline, yielding its events; raises ExecutionFailedError after the last one if it failed."""
        import asyncio

        from runnable.dsl.launcher import launch

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        finished = object()

        def put(event: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def work() -> Any:
            try:
                return launch(self, configuration_file=configuration_file, run_id=run_id, tag=tag,
                              parameters_file=parameters_file, log_level=log_level, stream=put, loop=loop)
            finally:
                put(finished)

        running = asyncio.ensure_future(asyncio.to_thread(work))
        while True:
            event = await queue.get()
            if event is finished:
                break
            yield event
        self.run_log = await running
