"""The public classes users write. They only build IR; running is delegated."""

from runnable.dsl.composites import Conditional, Loop, Map, Parallel
from runnable.dsl.jobs import NotebookJob, PythonJob, ShellJob
from runnable.dsl.pipeline import Pipeline
from runnable.dsl.returns import Catalog, json, metric, pickled
from runnable.dsl.steps import Fail, NotebookTask, PythonTask, ShellTask, Stub, Success

__all__ = [
    "Catalog",
    "Conditional",
    "Loop",
    "Map",
    "Parallel",
    "Fail",
    "NotebookJob",
    "NotebookTask",
    "Pipeline",
    "PythonJob",
    "PythonTask",
    "ShellJob",
    "ShellTask",
    "Stub",
    "Success",
    "json",
    "metric",
    "pickled",
]
