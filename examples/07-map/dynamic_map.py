"""The list a map iterates on can be computed by an earlier step: its shape is known at run time.

    runnable run examples/07-map/dynamic_map.py
    RUNNABLE_PRM_count=0 runnable run examples/07-map/dynamic_map.py    (an empty map: empty results)
"""

from runnable import Map, Pipeline, PythonTask, ShellTask
from examples.common.functions import make_items


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="make items", function=make_items, returns=["items"]),
            Map(
                name="per item",
                iterate_on="items",
                iterate_as="item",
                branch=Pipeline(
                    steps=[ShellTask(name="double", command="export doubled=$((item * 2))", returns=["doubled"])]
                ),
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
