"""An item that fails fails the map after the other items ran; nothing is reduced.

    runnable run examples/07-map/map_fail.py    (exits 1)
"""

from runnable import Map, Pipeline, PythonTask
from examples.common.functions import fail_on_three, prepare


def main():
    pipeline = Pipeline(
        steps=[
            PythonTask(name="prepare", function=prepare, returns=["base", "stride", "items"]),
            Map(
                name="fragile map",
                iterate_on="items",
                iterate_as="item",
                branch=Pipeline(steps=[PythonTask(name="maybe", function=fail_on_three, returns=["kept"])]),
            ),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
