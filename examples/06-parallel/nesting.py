"""Composites nest to any depth: a map inside a parallel inside a map.

    runnable run examples/06-parallel/nesting.py

Steps are recorded under dotted names such as 'outer.1.fan.maps.inner.2.square'.
"""

from runnable import Map, Parallel, Pipeline, PythonTask, Stub
from examples.common.functions import prepare, square


def main():
    inner = Map(
        name="inner",
        iterate_on="items",
        iterate_as="item",
        branch=Pipeline(steps=[PythonTask(name="square", function=square, returns=["squares"])]),
    )
    fan = Parallel(name="fan", branches={"maps": Pipeline(steps=[inner]), "idle": Pipeline(steps=[Stub(name="rest")])})
    outer = Map(name="outer", iterate_on="items", iterate_as="outer_item", branch=Pipeline(steps=[fan]))
    pipeline = Pipeline(
        steps=[PythonTask(name="prepare", function=prepare, returns=["base", "stride", "items"]), outer]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
