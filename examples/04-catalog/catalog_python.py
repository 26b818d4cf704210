"""Files move between steps through the run's catalog: put after a step, get before one.

    runnable run examples/04-catalog/catalog_python.py
"""

from runnable import Catalog, Pipeline, PythonTask, ShellTask
from examples.common.functions import read_files, remove_files, write_files


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="create files", function=write_files, catalog=Catalog(put=["data/*.csv", "data/notes.txt"])),
            PythonTask(name="delete local copies", function=remove_files),
            PythonTask(name="read files", function=read_files, catalog=Catalog(get=["data/*.csv"])),
            ShellTask(name="read in shell", command="cat data/data.csv data/notes.txt",
                      catalog=Catalog(get=["data/data.csv", "data/notes.txt"])),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
