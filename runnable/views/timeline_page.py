"""The timeline page: one self-contained HTML file (styles and script inline, no network).

Python turns the run into compact rows (one per step and per branch, each with one bar per attempt)
and the page's script draws them. Every value from the run (step names, parameters, logs) travels as
JSON inside a ``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, and the
script only ever sets it as text, so a name like ``<script>`` shows as text and never runs.

A composite with more than ``COLLAPSE_AFTER`` branches (a big Map) becomes one summary row whose
branches are drawn only when it is expanded: a 10,000-item Map stays a page a browser opens at once.
"""

from __future__ import annotations

import json
import os
from typing import Any

from runnable.stores.records import RunLog, StepLog
from runnable.views.run_tree import Branch, StepNode, seconds

COLLAPSE_AFTER = 50
VALUE_LIMIT = 400  # characters of one parameter value shown
LOG_TAIL_LINES = 30
LOG_TAILS_READ = 2000  # at most this many step logs are read (failed ones first)


def _short(value: Any) -> str:
    kind = type(value)
    if kind is int or kind is float:
        return repr(value)
    text = value if kind is str else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT] + f"… ({len(text)} characters)"


def _params(params: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, spec in params.items():
        if isinstance(spec, dict) and "value" in spec:
            kind = spec.get("kind", "json")
            out[name] = _short(spec["value"]) + ("" if kind == "json" else f"  [{kind}]")
        else:
            out[name] = _short(spec)
    return out


class _Builder:
    def __init__(self, run: RunLog, logs: dict[str, str]) -> None:
        self.origin = seconds(run.start_time) or 0.0
        self.logs = logs
        self.details: list[dict[str, Any]] = []
        self.commands: dict[str, int] = {}  # each distinct command once; rows refer to it by index

    def ms(self, stamp: str) -> int | None:
        value = seconds(stamp)
        return None if value is None else round((value - self.origin) * 1000)

    def step_row(self, node: StepNode, depth: int) -> dict[str, Any]:
        record: StepLog = node.record
        bars = []
        for attempt in record.attempts:
            # only what is there: a 10,000-step page is mostly these records
            detail: dict[str, Any] = {"start": attempt.start_time, "end": attempt.end_time}
            for key, values in (("input", attempt.input_parameters), ("output", attempt.output_parameters),
                                ("metrics", attempt.metrics)):
                if values:
                    detail[key] = _params(values)
            if attempt.message:
                detail["message"] = attempt.message
            if record.catalog:
                detail["catalog"] = [f"{c.stage} {c.name} ({c.sha256[:12]})" for c in record.catalog]
            log = self.logs.get(_log_name(record.internal_name, attempt.number))
            if log:
                detail["log"] = log
            self.details.append(detail)
            bars.append([self.ms(attempt.start_time), self.ms(attempt.end_time), attempt.status, attempt.number,
                         len(self.details) - 1])
        row: dict[str, Any] = {"d": depth, "k": "step", "name": record.name, "path": record.internal_name,
                               "type": record.type, "status": record.status, "bars": bars}
        if node.command:
            row["cmd"] = self.commands.setdefault(node.command, len(self.commands))
        if record.mock:
            row["mock"] = True
        return row

    def rows(self, steps: list[StepNode], depth: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for node in steps:
            rows.append(self.step_row(node, depth))
            if len(node.branches) > COLLAPSE_AFTER:
                rows.append(self.summary(node.branches, depth + 1))
            else:
                for branch in node.branches:
                    rows.extend(self.branch_rows(branch, depth + 1))
        return rows

    def branch_rows(self, branch: Branch, depth: int) -> list[dict[str, Any]]:
        head = {"d": depth, "k": "branch", "name": branch.key, "path": branch.name, "status": branch.status}
        return [head, *self.rows(branch.steps, depth + 1)]

    def summary(self, branches: list[Branch], depth: int) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for branch in branches:
            counts[branch.status] = counts.get(branch.status, 0) + 1
        children: list[dict[str, Any]] = []
        for branch in branches:
            children.extend(self.branch_rows(branch, depth))
        return {"d": depth, "k": "summary", "name": f"{len(branches)} branches", "counts": counts,
                "children": children}


def _log_name(internal_name: str, number: int) -> str:
    return f"{internal_name}{'' if number == 1 else f'.attempt{number}'}.execution.log"


def read_log_tails(catalog_folder: str, run: RunLog) -> dict[str, str]:
    """The last lines of each step's saved output, read from the run's catalog folder when it is here."""
    if not catalog_folder or not os.path.isdir(catalog_folder):
        return {}
    present = {entry.name for entry in os.scandir(catalog_folder) if entry.name.endswith(".execution.log")}
    if not present:
        return {}
    wanted = [_log_name(s.internal_name, a.number) for s in run.steps.values() for a in s.attempts
              if a.status == "FAIL"]
    wanted += [_log_name(s.internal_name, a.number) for s in run.steps.values() for a in s.attempts
               if a.status != "FAIL"]
    tails: dict[str, str] = {}
    for name in wanted:
        if name not in present or name in tails:
            continue
        if len(tails) >= LOG_TAILS_READ:
            break
        with open(os.path.join(catalog_folder, name), "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", "replace")
        tails[name] = "\n".join(text.rstrip("\n").split("\n")[-LOG_TAIL_LINES:])
    return tails


def page_data(run: RunLog, steps: list[StepNode], logs: dict[str, str], generated: str) -> dict[str, Any]:
    builder = _Builder(run, logs)
    rows = builder.rows(steps, 0)
    return {
        "run": {"run_id": run.run_id, "kind": run.kind, "name": run.name, "status": run.status, "tag": run.tag,
                "start": run.start_time, "end": run.end_time, "executor": run.executor,
                "parameters": _params(run.parameters)},
        "now": builder.ms(generated), "rows": rows, "details": builder.details, "commands": list(builder.commands),
    }


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end the element or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_page(run: RunLog, steps: list[StepNode], logs: dict[str, str], generated: str) -> str:
    """The whole page as text (Jinja2 with autoescape for the few values placed in the HTML itself)."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("runnable", "templates/timeline"),
                                     autoescape=True, keep_trailing_newline=True)
    template = environment.get_template("timeline.html.j2")
    return template.render(run=run, data=script_json(page_data(run, steps, logs, generated)))
