"""Stub steps stand in for work not written yet; extra arguments are ignored.

    runnable run examples/01-tasks/stub.py
"""

from runnable import Pipeline, Stub


def main():
    pipeline = Pipeline(
        steps=[
            Stub(name="first"),
            Stub(name="second", what="will be a training step"),
            Stub(name="third"),
        ]
    )
    pipeline.execute()
    return pipeline


if __name__ == "__main__":
    main()
