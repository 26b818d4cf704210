"""Returns flow to later steps by name: json values, pickled objects and metrics.

    runnable run examples/03-parameters/passing_parameters_python.py
"""

from runnable import Pipeline, PythonTask, metric, pickled
from examples.common.functions import read_written_parameters, write_parameters


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(
                name="write",
                function=write_parameters,
                returns=["integer", "stringer", "items", pickled("counter"), metric("score")],
            ),
            PythonTask(name="read", function=read_written_parameters, returns=["bumped"]),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
