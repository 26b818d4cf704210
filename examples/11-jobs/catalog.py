"""A job that puts the files it writes into its catalog (jobs only put; there is nothing to get).

    runnable run examples/11-jobs/catalog.py
"""

from runnable import Catalog, PythonJob
from examples.common.functions import write_files


def main():
    job = PythonJob(function=write_files, catalog=Catalog(put=["data/*"]))
    job.execute()
    return job


if __name__ == "__main__":
    main()
