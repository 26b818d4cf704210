"""``runnable timeline``: a run's console tree and its HTML timeline page, from the run log alone."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from runnable.ir.errors import RunnableError

SAY = Callable[[str], None]


def default_output(run_id: str) -> str:
    return f"{run_id}.timeline.html"


def has_display() -> bool:
    """Whether opening a browser can show anything (no display on a server or in CI)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_output(output: str) -> str:
    """Refuse a folder or a path in a missing folder before anything is read or written."""
    if os.path.isdir(output):
        raise RunnableError(f"--output {output!r} is a folder; give a file name such as {output.rstrip('/')}/run.html.")
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise RunnableError(f"--output {output!r}: the folder {parent!r} does not exist.")
    return output


def timeline(run_id_or_path: str, config: Any, output: str, console: bool, open_page: bool | None,
             say: SAY, ascii_only: bool = False) -> str:
    """Print the tree (``console``), write the page, open it when asked (None: when there is a display).

    Returns the page's path.
    """
    from runnable.stores.atomic import write_atomic
    from runnable.stores.records import now
    from runnable.views.console import tree_lines
    from runnable.views.run_tree import build_tree
    from runnable.views.source import load_run
    from runnable.views.timeline_page import read_log_tails, render_page

    if output:
        check_output(output)
    loaded = load_run(run_id_or_path, config)
    run = loaded.run
    output = check_output(output or default_output(run.run_id))
    steps = build_tree(run, loaded.definition)
    if console:
        say("\n".join(tree_lines(run, steps, ascii_only)))
    page = render_page(run, steps, read_log_tails(loaded.catalog_folder, run), now())
    write_atomic(output, page.encode("utf-8"), durable=False)
    if open_page or (open_page is None and has_display()):
        import webbrowser

        webbrowser.open("file://" + os.path.abspath(output))
    return output
