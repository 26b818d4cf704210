"""Mocked runs check a pipeline's wiring without doing the work.

    runnable run examples/08-mocking/mocked.py -c examples/08-mocking/mocked-config.yaml

With the mocked executor, unpatched tasks are skipped and recorded as mocked; a patch
replaces only the fields it names ('train' keeps its returns).
"""

from runnable import Pipeline, PythonTask, ShellTask
from examples.common.functions import raise_ex


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="load data", function=raise_ex),
            ShellTask(name="train", command="exit 1", returns=["accuracy"]),
            ShellTask(name="report", command='echo "accuracy was $accuracy"'),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
