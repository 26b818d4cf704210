"""Notebooks read earlier returns (objects too) and return values of their own.

    runnable run examples/03-parameters/passing_parameters_notebook.py
"""

from runnable import NotebookTask, Pipeline, PythonTask, metric, pickled
from examples.common.functions import write_parameters


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(
                name="write",
                function=write_parameters,
                returns=["integer", "stringer", "items", pickled("counter"), metric("score")],
            ),
            NotebookTask(
                name="read in notebook",
                notebook="examples/common/read_objects.ipynb",
                returns=[pickled("bumped")],
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
