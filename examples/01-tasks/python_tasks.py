"""A pipeline of two Python tasks.

    runnable run examples/01-tasks/python_tasks.py
    python examples/01-tasks/python_tasks.py

Each task's output is shown live and kept in the catalog as <step>.execution.log.
"""

from runnable import Pipeline, PythonTask
from examples.common.functions import hello


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(function=hello, name="task1"),
            PythonTask(function=hello, name="task2"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
