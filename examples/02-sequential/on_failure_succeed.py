"""An on_failure pipeline that recovers: the run ends in success.

    runnable run examples/02-sequential/on_failure_succeed.py
"""

from runnable import Pipeline, PythonTask, ShellTask, Stub
from examples.common.functions import raise_ex


def main():
    recover = Pipeline(steps=[ShellTask(name="recover", command="export recovered=true", returns=["recovered"])])
    pipeline = Pipeline(
        steps=[
            PythonTask(name="step 1", function=raise_ex, on_failure=recover),
            Stub(name="step 2"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
