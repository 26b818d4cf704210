"""Notebooks get parameters as an injected cell after the cell tagged 'parameters'.

    runnable run examples/03-parameters/static_parameters_notebook.py -p examples/common/initial_parameters.yaml
"""

from runnable import NotebookTask, Pipeline


def main():
    pipeline = Pipeline(
        steps=[
            NotebookTask(
                name="read params in notebook",
                notebook="examples/common/read_parameters.ipynb",
                returns=["notebook_integer", "notebook_list"],
            ),
        ]
    )
    pipeline.execute(parameters_file="examples/common/initial_parameters.yaml")
    return pipeline


if __name__ == "__main__":
    main()
