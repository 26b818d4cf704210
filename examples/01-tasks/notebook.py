"""A notebook task (needs the notebook extra). The executed copy goes to the run's catalog.

    runnable run examples/01-tasks/notebook.py
"""

from runnable import NotebookTask, Pipeline


def main():
    pipeline = Pipeline(
        steps=[NotebookTask(name="hello notebook", notebook="examples/common/simple_notebook.ipynb")]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
