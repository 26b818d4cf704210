"""Shell tasks: the command runs with /bin/sh in the user's own environment (PATH, HOME, venv).

    runnable run examples/01-tasks/scripts.py
"""

from runnable import Pipeline, ShellTask


def main():
    pipeline = Pipeline(
        steps=[
            ShellTask(name="shell", command="echo 'Hello World!' && python3 -c 'print(40 + 2)'"),
            ShellTask(name="shell again", command="echo \"run $RUNNABLE_RUN_ID, step $RUNNABLE_STEP_NAME\""),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
