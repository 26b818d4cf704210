"""The simplest job: one Python function.

    runnable run examples/11-jobs/python_tasks.py
    python examples/11-jobs/python_tasks.py
"""

from runnable import PythonJob
from examples.common.functions import hello


def main():
    job = PythonJob(function=hello)
    job.execute()
    return job


if __name__ == "__main__":
    main()
