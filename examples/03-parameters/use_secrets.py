"""Secrets reach a task as environment variables and are masked in every captured log.

    MY_SECRET=s3cr3t runnable run examples/03-parameters/use_secrets.py
    runnable run examples/03-parameters/use_secrets.py -c examples/configs/dotenv.yaml
"""

from runnable import Pipeline, PythonTask, ShellTask
from examples.common.functions import use_secret


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="python secret", function=use_secret, secrets=["MY_SECRET"]),
            ShellTask(name="shell secret", command='echo "shell sees $MY_SECRET"', secrets=["MY_SECRET"]),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
