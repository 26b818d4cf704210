"""Shell tasks return values with 'export name=value'; only declared returns are read back.

    runnable run examples/03-parameters/passing_parameters_shell.py
"""

from runnable import Pipeline, PythonTask, ShellTask, metric
from examples.common.functions import read_written_parameters, write_parameters


def main():
    pipeline = Pipeline(
        steps=[
            ShellTask(
                name="write in shell",
                command=(
                    "export integer=3; export stringer=world; export items='[4, 5]'; "
                    "export score=0.97; export lines='first\nsecond'"
                ),
                returns=["integer", "stringer", "items", metric("score"), "lines"],
            ),
            ShellTask(
                name="read in shell",
                command='test "$integer" = 3 && test "$stringer" = world && printf "%s\\n" "$lines"',
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
