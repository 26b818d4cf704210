"""store_copy=False records a file's sha256 without copying it (for large data kept elsewhere).

    runnable run examples/04-catalog/catalog_no_copy.py
"""

from runnable import Catalog, Pipeline, PythonTask
from examples.common.functions import write_files


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(
                name="create files",
                function=write_files,
                catalog=Catalog(put=["data/data.csv"], store_copy=False),
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
