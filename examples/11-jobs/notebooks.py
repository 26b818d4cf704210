"""A notebook job; its executed copy is kept in the catalog.

    runnable run examples/11-jobs/notebooks.py -p examples/common/initial_parameters.yaml
"""

from runnable import NotebookJob


def main():
    job = NotebookJob(notebook="examples/common/read_parameters.ipynb", returns=["notebook_integer"])
    job.execute(parameters_file="examples/common/initial_parameters.yaml")
    return job


if __name__ == "__main__":
    main()
