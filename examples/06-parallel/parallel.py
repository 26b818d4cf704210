"""Parallel branches see the parameters set before them; their returns merge back.

    runnable run examples/06-parallel/parallel.py
    runnable run examples/06-parallel/parallel.py -c examples/configs/parallel.yaml   (branches in processes)

Returns merge in branch order: if two branches return the same name, the later wins.
"""

from runnable import Parallel, Pipeline, PythonTask, ShellTask
from examples.common.functions import add, multiply, prepare


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="prepare", function=prepare, returns=["base", "stride", "items"]),
            Parallel(
                name="branches",
                branches={
                    "sum": Pipeline(steps=[PythonTask(name="add", function=add, returns=["total"])]),
                    "product": Pipeline(steps=[PythonTask(name="multiply", function=multiply, returns=["product"])]),
                    "shell": Pipeline(steps=[ShellTask(name="echo", command='export echoed="$base"',
                                                       returns=["echoed"])]),
                },
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
