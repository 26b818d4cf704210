"""Step retries and retrying a failed run.

    runnable run examples/09-retry/retry.py --run-id my-run     (fails at 'needs fix', exits 1)
    touch fixed && runnable retry my-run                         (skips what succeeded, finishes)

'flaky' fails twice and succeeds on its third attempt; every attempt is in the run log.
"""

from runnable import Pipeline, PythonTask
from examples.common.functions import fails_unless_fixed, flaky


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="flaky", function=flaky, returns=["attempts"], max_attempts=3, backoff_seconds=0.01),
            PythonTask(name="needs fix", function=fails_unless_fixed, returns=["state"]),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
