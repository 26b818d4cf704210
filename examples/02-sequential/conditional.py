"""Conditional: the branch named str(value) runs; 'default' runs when none matches.

    runnable run examples/02-sequential/conditional.py
    RUNNABLE_PRM_seed=1 runnable run examples/02-sequential/conditional.py
"""

from runnable import Conditional, Pipeline, PythonTask
from examples.common.functions import on_heads, on_tails, toss


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="toss", function=toss, returns=["side"]),
            Conditional(
                name="which side",
                parameter="side",
                branches={
                    "heads": Pipeline(steps=[PythonTask(name="heads", function=on_heads, returns=["outcome"])]),
                    "tails": Pipeline(steps=[PythonTask(name="tails", function=on_tails, returns=["outcome"])]),
                },
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
