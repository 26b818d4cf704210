"""A job's returns are recorded in its run log, with kinds.

    runnable run examples/11-jobs/passing_parameters_python.py
"""

from runnable import PythonJob, metric, pickled
from examples.common.functions import write_parameters


def main():
    job = PythonJob(
        function=write_parameters,
        returns=["integer", "stringer", "items", pickled("counter"), metric("score")],
    )
    job.execute()
    return job


if __name__ == "__main__":
    main()
