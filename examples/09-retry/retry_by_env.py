"""Retry a failed run by running the same script again, as runnable users do.

    RUNNABLE_RUN_ID=first python examples/09-retry/retry_by_env.py   (reads 'integer'; 'check' fails: exit 1)
    touch fixed
    RUNNABLE_RETRY_RUN_ID=first python examples/09-retry/retry_by_env.py   (exit 0)

The retry keeps the run's id and its first parameters (a new RUNNABLE_PRM_integer or
parameters file is ignored, with a notice), skips 'bump' because it succeeded, and runs
'check' again. A run that does not exist, that succeeded, or whose pipeline has changed
since is refused with one line and exit 2.
"""

from runnable import Pipeline, PythonTask
from examples.common.functions import bump, check_after_fix


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="bump", function=bump, returns=["integer"]),
            PythonTask(name="check", function=check_after_fix, returns=["message"]),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
