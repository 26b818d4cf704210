"""Shell tasks see parameters as environment variables: text as is, everything else as JSON.

    runnable run examples/03-parameters/static_parameters_shell.py -p examples/common/initial_parameters.yaml
"""

from runnable import Pipeline, ShellTask


def main():
    pipeline = Pipeline(
        steps=[
            ShellTask(
                name="read params in shell",
                command=(
                    'test "$integer" = 1 && test "$stringer" = hello && '
                    'test "$list_param" = "[1, 2, 3]" && echo "integer=$integer dict_param=$dict_param"'
                ),
            ),
        ]
    )
    pipeline.execute(parameters_file="examples/common/initial_parameters.yaml")
    return pipeline


if __name__ == "__main__":
    main()
