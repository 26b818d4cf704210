"""A failing branch fails the Parallel step once the other branches finish.

    runnable run examples/06-parallel/branch_fail.py    (exits 1)
"""

from runnable import Parallel, Pipeline, PythonTask, Stub
from examples.common.functions import hello, raise_ex


def main():
    pipeline = Pipeline(
        steps=[
            Parallel(
                name="branches",
                branches={
                    "good": Pipeline(steps=[PythonTask(name="fine", function=hello)]),
                    "bad": Pipeline(steps=[PythonTask(name="broken", function=raise_ex)]),
                },
            ),
            Stub(name="never"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
