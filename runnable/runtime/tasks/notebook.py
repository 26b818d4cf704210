"""Notebook tasks, executed with Jupyter's own ``nbclient`` (the ``notebook`` extra).

Parameters go in as a cell placed after the cell tagged ``parameters`` (papermill's
convention) or first; declared returns come back through a final cell that hands them
over as a display message (JSON values) or a pickle file (objects). That cell is removed
again, and the executed notebook is stored in the run's catalog, never beside the source.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from runnable.ir.errors import DefinitionError, ParameterError, RunnableError
from runnable.ir.model import TaskSpec
from runnable.runtime.tasks import TaskEnv, environment

RETURNS_MIME = "application/x-runnable-returns+json"
_MISSING = "__runnable_missing__"


class NotebookFailed(RunnableError):
    """A cell of the notebook raised."""


def _imports() -> tuple[Any, Any]:
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:
        raise DefinitionError(
            f"Notebook tasks need the notebook extra (pip install 'runnable[notebook]'): {exc}."
        ) from None
    return nbformat, NotebookClient


def _parameters_source(env: TaskEnv) -> str:
    lines = ["# Parameters injected by runnable"]
    for name, spec in env.parameters.items():
        value = env.load_object(name, spec) if spec.get("kind") == "object" else spec.get("value")
        if spec.get("kind") == "object":
            lines.append(f"import pickle as __rp; {name} = __rp.loads({pickle.dumps(value)!r}); del __rp")
        else:
            lines.append(f"{name} = {value!r}")
    return "\n".join(lines)


_JSON_FORM = """
def __rj(v):
    import dataclasses as __dc
    if isinstance(v, type):
        return v
    if callable(getattr(v, 'model_dump', None)):
        return v.model_dump(mode='json')
    if __dc.is_dataclass(v):
        return {f.name: __rj(getattr(v, f.name)) for f in __dc.fields(v)}
    if isinstance(v, (list, tuple)):
        return [__rj(x) for x in v]
    if isinstance(v, dict):
        return {k: __rj(x) for k, x in v.items()}
    return v
"""


def _returns_source(task: TaskSpec, object_dir: str) -> str:
    """The hidden last cell: JSON returns (pydantic models and dataclasses as their JSON form,
    as Python tasks store them) in a display message, objects pickled into ``object_dir``.

    An object pickle cannot store is reported by name instead of failing the cell.
    """
    json_names = [r.name for r in task.returns if r.kind != "object"]
    object_names = [r.name for r in task.returns if r.kind == "object"]
    return "\n".join(
        [
            "import pickle as __rp, os as __ro",
            "from IPython.display import display as __rd",
            _JSON_FORM.strip(),
            "__rerr = {}",
            f"for __rn in {object_names!r}:",
            "    if __rn in globals():",
            "        try:",
            "            __rb = __rp.dumps(globals()[__rn])",
            "        except Exception as __re:",
            "            __rerr[__rn] = f'{type(__re).__name__}: {__re}'",
            "            continue",
            f"        with open(__ro.path.join({object_dir!r}, __rn), 'wb') as __rf: __rf.write(__rb)",
            f"__rd({{{RETURNS_MIME!r}: {{'values': {{__rn: __rj(globals().get(__rn, {_MISSING!r})) "
            f"for __rn in {json_names!r}}}, 'errors': __rerr}},",
            "      'text/plain': ''}, raw=True)",
        ]
    )


def run(task: TaskSpec, env: TaskEnv) -> dict[str, Any]:
    nbformat, NotebookClient = _imports()
    from runnable.runtime.loading import project_file

    source_path = Path(project_file(task.command))
    try:
        notebook = nbformat.read(str(source_path), as_version=4)
    except FileNotFoundError:
        raise DefinitionError(f"{env.where}: notebook {task.command!r} does not exist.") from None
    except Exception as exc:  # nbformat raises several types for bad JSON
        raise DefinitionError(f"{env.where}: notebook {task.command!r} cannot be read: {exc}") from None

    cells = notebook.cells
    for index, cell in enumerate(cells):
        cell.setdefault("id", f"cell-{index}")  # older notebooks lack ids; nbformat 5 wants them
    position = next(
        (i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0
    )
    injected = nbformat.v4.new_code_cell(_parameters_source(env), metadata={"tags": ["injected-parameters"]})
    cells.insert(position, injected)
    with tempfile.TemporaryDirectory(prefix="runnable-nb-") as object_dir:
        returns_cell = nbformat.v4.new_code_cell(_returns_source(task, object_dir))
        cells.append(returns_cell)
        shown: list[str] = []

        def show(cell: Any, cell_index: int, execute_reply: Any) -> None:
            if cell is returns_cell:
                return
            for output in cell.get("outputs", []):
                text = output.get("text") if output.get("output_type") == "stream" else None
                if text:
                    text = env.mask(text)
                    sys.stdout.write(text)
                    shown.append(text)
            sys.stdout.flush()

        client = NotebookClient(
            notebook,
            timeout=None,
            kernel_name=task.notebook_args.get("kernel_name", "python3"),
            resources={"metadata": {"path": os.getcwd()}},
            on_cell_executed=show,
        )
        failure: Exception | None = None
        with environment({**env.extra_env, **env.secrets}):
            try:
                # The kernel's own stderr only carries its start-up chatter; cell output
                # arrives through messages and is shown above.
                client.execute(stderr=subprocess.DEVNULL)
            except Exception as exc:  # CellExecutionError and kernel failures
                failure = exc
        env.output.append("".join(shown))
        payload = _read_returns(returns_cell) if failure is None else {}
        returned, errors = payload.get("values", {}), payload.get("errors", {})
        for name, error in errors.items():
            raise ParameterError(
                f"{env.where}: return {name!r} cannot be pickled ({error}). Return data pickle can store "
                "(not a lambda, a locally defined function or an open resource)."
            )
        objects = {r.name: Path(object_dir, r.name) for r in task.returns if r.kind == "object"}
        values: dict[str, Any] = {}
        for spec in task.returns:
            if spec.kind == "object":
                if failure is None and not objects[spec.name].is_file():
                    raise ParameterError(f"{env.where}: the notebook did not define return {spec.name!r}.")
                if failure is None:
                    values[spec.name] = pickle.loads(objects[spec.name].read_bytes())
            elif failure is None:
                if returned.get(spec.name, _MISSING) == _MISSING:
                    raise ParameterError(f"{env.where}: the notebook did not define return {spec.name!r}.")
                values[spec.name] = returned[spec.name]
    cells.remove(returns_cell)
    out_name = f"{source_path.stem}_{env.step_name}_out.ipynb"
    env.catalog.put_text(env.run_id, out_name, env.mask(nbformat.writes(notebook)))
    if failure is not None:
        raise NotebookFailed(f"{env.where}: the notebook failed; the executed copy is {out_name!r} in the catalog.\n"
                             f"{_plain(str(failure))}")
    return values


def _read_returns(cell: Any) -> dict[str, Any]:
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if RETURNS_MIME in data:
            payload = data[RETURNS_MIME]
            return json.loads(payload) if isinstance(payload, str) else dict(payload)
    return {}


def _plain(text: str) -> str:
    """Drop ANSI colour codes from kernel tracebacks."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
