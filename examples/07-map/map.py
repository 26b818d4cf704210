"""Map: one branch run per item; each item's returns are collected into a list, in item order.

    runnable run examples/07-map/map.py
"""

from runnable import Map, Pipeline, PythonTask
from examples.common.functions import check_squares, prepare, square


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="prepare", function=prepare, returns=["base", "stride", "items"]),
            Map(
                name="squares map",
                iterate_on="items",
                iterate_as="item",
                branch=Pipeline(steps=[PythonTask(name="square", function=square, returns=["squares"])]),
            ),
            PythonTask(name="check", function=check_squares),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
