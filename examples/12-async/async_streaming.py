"""Stream what an async generator yields while the pipeline runs.

    python examples/12-async/async_streaming.py

'stream' is an async generator: each {"type": "word", ...} it yields reaches the loop
below as soon as it is yielded (a web server would send it on, e.g. as server-sent
events). Its {"type": "done", ...} event carries its returns. The pipeline's own events
come too: task_started, task_completed (with the outputs) or task_error, and finally
run_finished. Streaming happens on the local executor; elsewhere the generator runs to
completion inside its step and only its returns are kept.
"""

import asyncio
import json

from runnable import AsyncPipeline, AsyncPythonTask, PythonTask
from examples.common.functions import check_stream, fetch_greeting, stream_words


async def main():
    pipeline = AsyncPipeline(
        steps=[
            AsyncPythonTask(name="fetch", function=fetch_greeting, returns=["greeting"]),
            AsyncPythonTask(name="stream", function=stream_words, returns=["word_count", "shout"]),
            PythonTask(name="check", function=check_stream, returns=["checked"]),
        ]
    )
    async for event in pipeline.execute_streaming():
        print(json.dumps(event))
    return pipeline


if __name__ == "__main__":
    asyncio.run(main())
