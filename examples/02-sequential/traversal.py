"""Steps run in order; the last one leads to success.

    runnable run examples/02-sequential/traversal.py
"""

from runnable import Pipeline, PythonTask, ShellTask, Stub
from examples.common.functions import hello


def main():
    pipeline = Pipeline(
        steps=[
            Stub(name="hello stub"),
            PythonTask(name="hello python", function=hello),
            ShellTask(name="hello shell", command="echo 'Hello World!'"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
