"""Loop: a do-while over a branch; parameters carry from one iteration to the next.

    runnable run examples/10-loop/loop.py

The branch runs until it sets 'done' to True, at most max_iterations times. The
0-based iteration number is in the environment variable named by index_as.
"""

from runnable import Loop, Pipeline, PythonTask, ShellTask
from examples.common.functions import countdown


def main():
    pipeline = Pipeline(
        steps=[
            Loop(
                name="count down",
                max_iterations=10,
                break_on="done",
                index_as="iteration",
                branch=Pipeline(
                    steps=[
                        PythonTask(name="tick", function=countdown, returns=["remaining", "done", "last_iteration"]),
                        ShellTask(name="show", command='echo "iteration $iteration: $remaining left"'),
                    ]
                ),
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
