"""Without on_failure, a failed step goes to the fail step and the run fails.

    runnable run examples/02-sequential/default_fail.py    (exits 1)
"""

from runnable import Pipeline, PythonTask, Stub
from examples.common.functions import raise_ex


def main():
    pipeline = Pipeline(
        steps=[
            Stub(name="step 1"),
            PythonTask(name="step 2", function=raise_ex),
            Stub(name="step 3"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
