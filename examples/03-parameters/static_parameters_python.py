"""Initial parameters from a YAML file reach functions by name, cast to their annotations.

    runnable run examples/03-parameters/static_parameters_python.py -p examples/common/initial_parameters.yaml
    RUNNABLE_PRM_integer=1 ... overrides a value (JSON-decoded).
"""

from runnable import Pipeline, PythonTask
from examples.common.functions import read_as_kwargs, read_as_namespace, read_initial_params
from examples.common.typed import read_pydantic


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="read params", function=read_initial_params),
            PythonTask(name="read pydantic", function=read_pydantic, returns=["pydantic_param"]),
            PythonTask(name="read kwargs", function=read_as_kwargs),
            PythonTask(name="read namespace", function=read_as_namespace),
        ]
    )
    pipeline.execute(parameters_file="examples/common/initial_parameters.yaml")
    return pipeline


if __name__ == "__main__":
    main()
