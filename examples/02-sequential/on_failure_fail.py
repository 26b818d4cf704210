"""When a step fails, its on_failure pipeline runs; this one ends the run as failed.

    runnable run examples/02-sequential/on_failure_fail.py    (exits 1)
"""

from runnable import Pipeline, PythonTask, ShellTask, Stub
from examples.common.functions import raise_ex


def main():
    cleanup = Pipeline(steps=[ShellTask(name="clean up", command="echo cleaning up", terminate_with_failure=True)])
    pipeline = Pipeline(
        steps=[
            PythonTask(name="step 1", function=raise_ex, on_failure=cleanup),
            Stub(name="step 2"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
