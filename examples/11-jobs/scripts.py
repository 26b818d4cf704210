"""A shell job.

    runnable run examples/11-jobs/scripts.py
"""

from runnable import ShellJob


def main():
    job = ShellJob(command="echo 'Hello World!' && export answer=42", returns=["answer"])
    job.execute()
    return job


if __name__ == "__main__":
    main()
