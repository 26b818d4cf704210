"""A reducer combines the items' values: a lambda string or a dotted path to a function.

    runnable run examples/07-map/custom_reducer.py
"""

from runnable import Map, Pipeline, PythonTask
from examples.common.functions import check_max, prepare, square


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="prepare", function=prepare, returns=["base", "stride", "items"]),
            Map(
                name="max map",
                iterate_on="items",
                iterate_as="item",
                reducer="examples.common.functions.largest",
                branch=Pipeline(steps=[PythonTask(name="square", function=square, returns=["squares"])]),
            ),
            PythonTask(name="check", function=check_max),
            Map(
                name="lambda map",
                iterate_on="items",
                iterate_as="item",
                reducer="lambda *x: sum(x)",
                branch=Pipeline(steps=[PythonTask(name="square again", function=square, returns=["total"])]),
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
