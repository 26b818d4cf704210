"""A small stand-in for the Argo Workflows controller, so tests can run rendered Argo documents for real.

There is no Kubernetes in the test environment, yet the Argo renderer's output must be shown to work. This
module executes a Workflow, WorkflowTemplate or CronWorkflow document the way Argo's controller would, for
the subset of features the renderer uses: every container template runs in Docker, DAG tasks run in
``depends`` order, ``{{...}}`` tags are resolved, and node and workflow phases follow Argo's rules.
Anything it cannot resolve or does not mirror raises :class:`HarnessError` rather than being skipped, so a
renderer bug fails the test instead of passing silently.

Behaviour mirrored from argoproj/argo-workflows (its sources and docs were read for this):

* ``workflow/controller/dag.go``: ``executeDAG``/``executeDAGTask`` (targets are the leaf tasks, a task's
  dependencies are visited first, a false ``depends`` makes an Omitted node, a false ``when`` a Skipped
  one, ``withItems``/``withParam``/``withSequence`` make a TaskGroup node, an empty list a Skipped one),
  ``evaluateDependsLogic`` and ``assessDAGPhase`` (see :func:`assess_dag_phase`).
* ``workflow/common/ancestry.go``: a bare task name in ``depends`` (and each legacy ``dependencies``
  entry) means ``(T.Succeeded || T.Skipped || T.Daemoned)``, plus ``T.Failed``/``T.Errored`` when T has
  ``continueOn``.
* ``workflow/controller/operator.go``: ``processNodeRetries`` (limit, retry policies, backoff
  ``duration * factor^(attempts-1)`` with ``cap`` and ``maxDuration``), ``getOutboundNodes``,
  ``buildLocalScope``/``processAggregateNodeOutputs`` (task output variables), the exit handler and the
  final workflow phase; ``workflow/common/util.go`` ``ProcessArgs`` (input parameters).
* ``workflow/executor/executor.go``: an output parameter and ``outputs.result`` lose one trailing newline;
  a missing output file falls back to ``valueFrom.default``, else the node errors.
* ``docs/variables.md``, ``docs/enhanced-depends-logic.md``, ``docs/retries.md``, ``docs/walk-through/dag.md``.

Ready tasks run one at a time, each to completion, so results never depend on timing. Argo's controller
schedules every ready task before it assesses a DAG, so this reaches the phases Argo reaches; in particular
``failFast`` does not stop tasks that have become ready (argo-workflows pull request 5227 and issue 10312
discuss this long-standing behaviour), it only changes which failure names the DAG's phase.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED = "Succeeded", "Failed", "Error", "Skipped", "Omitted"
RUNNING, PENDING = "Running", "Pending"

MAX_DEPTH = 50  # template nesting; recursion in a DAG that never stops hits this instead of Python's limit
MAX_ATTEMPTS = 25  # a retryStrategy without a limit retries forever in Argo
MAX_REAL_SLEEP = 0.1  # backoff delays are recorded, not waited for
POD_TIMEOUT_SECONDS = 600.0
LABEL = "org.runnable.argo-harness"  # on every container, valued with the run's workflow uid

TEMPLATE_TYPES = ("container", "dag", "steps", "script", "resource", "suspend", "containerSet", "data", "http",
                  "plugin")
_WORKFLOW_PHASE = {SUCCEEDED: SUCCEEDED, SKIPPED: SUCCEEDED, OMITTED: SUCCEEDED, FAILED: FAILED, ERROR: ERROR}
_EXPANSIONS = ("withItems", "withParam", "withSequence")
_TASK_RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")


class HarnessError(Exception):
    """The document needs something this harness does not mirror, or refers to something it cannot resolve."""


# --------------------------------------------------------------------------------------------- results


@dataclass
class PodRecord:
    """One container run: what was executed and what came out, for assertions."""

    node: str
    pod_name: str
    template: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    working_dir: str | None
    mounts: list[tuple[str, str, bool]]
    exit_code: int | None = None
    phase: str = PENDING
    message: str = ""
    stdout: str = ""
    logs: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Backoff:
    """A retry delay Argo would have waited before the next attempt of a Retry node."""

    node: str
    attempt: int
    seconds: float


@dataclass
class HarnessResult:
    """How the workflow ended, with every node's phase and every container run, in the order they happened."""

    phase: str
    message: str
    nodes: dict[str, str]
    pods: list[PodRecord]
    outputs: dict[str, dict[str, str]]
    results: dict[str, str]
    backoffs: list[Backoff]
    uid: str

    def pods_of(self, template: str) -> list[PodRecord]:
        """The runs of one template, oldest first."""
        return [pod for pod in self.pods if pod.template == template]

    def pod(self, node: str) -> PodRecord:
        """The run behind one node path, e.g. ``main/step-a`` or ``main/flaky(1)``."""
        for pod in self.pods:
            if pod.node == node:
                return pod
        raise KeyError(f"no pod ran for node {node!r}; nodes: {list(self.nodes)}")


# --------------------------------------------------------------------------------------------- small parsers


def _fnv32a(text: str) -> int:
    """The FNV-1a hash Argo uses for node ids and pod names."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _text(value: Any) -> str:
    """A parameter value as Argo holds it: always a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return _json(value)


def _json(value: Any) -> str:
    """JSON as Go's encoding/json writes it: compact, map keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _go_text(value: Any) -> str:
    """An item value as Go's ``%v`` prints it, close enough for node names and ``{{item.x}}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return _json(value)


_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Seconds in an Argo duration: a bare integer counts seconds, anything else is a Go duration (``1m30s``)."""
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return float(text)
    total, pos = 0.0, 0
    while pos < len(text):
        match = _GO_DURATION_PART.match(text, pos)
        if match is None:
            raise HarnessError(f"invalid duration {value!r}")
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise HarnessError("empty duration")
    return total


def _int(value: Any, what: str) -> int:
    """An int-or-string field (``limit: "3"``) as an int."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise HarnessError(f"{what} must be an integer, got {value!r}") from None


# --------------------------------------------------------------------------------------------- {{ }} tags

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
Must = Callable[[str], bool]


def _never(tag: str) -> bool:
    return False


def _always(tag: str) -> bool:
    return True


def _template_level(tag: str) -> bool:
    """Tags that must resolve when a template is bound to its inputs (later tags are for tasks and items)."""
    if tag.startswith("workflow.outputs."):
        return False  # global outputs appear as the workflow runs
    return tag.startswith(("=", "inputs.", "workflow."))


def _task_level(tag: str) -> bool:
    """Tags that must resolve when a DAG task is resolved; only item tags are left for the expansion."""
    return not (tag == "item" or tag.startswith("item."))


def _unresolved(tag: str, text: str) -> HarnessError:
    """The error for a tag nothing could resolve: it points at the tag and the text it sits in."""
    if tag.startswith("="):
        return HarnessError(f"expression tags are not supported by the harness: {{{{{tag}}}}} in {text!r}")
    hint = " (only available to the exit handler)" if tag in ("workflow.status", "workflow.failures") else ""
    return HarnessError(f"cannot resolve {{{{{tag}}}}}{hint} in {text!r}")


def _replace(text: str, scope: Mapping[str, str], must: Must) -> str:
    """One pass over a string, as Argo's template replace does (substituted values are not scanned again)."""

    def one(match: re.Match[str]) -> str:
        tag = match.group(1).strip()
        if tag in scope:
            return scope[tag]
        if must(tag):
            raise _unresolved(tag, text)
        return match.group(0)

    return _TAG.sub(one, text)


def substitute(value: Any, scope: Mapping[str, str], must: Must = _never) -> Any:
    """``value`` with ``{{tags}}`` replaced in every string; a missing tag that ``must`` resolve raises."""
    if isinstance(value, str):
        return _replace(value, scope, must)
    if isinstance(value, list):
        return [substitute(item, scope, must) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, scope, must) for key, item in value.items()}
    return value


def _strings(value: Any) -> Iterable[str]:
    """Every string inside nested lists and maps."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _require_resolved(value: Any) -> None:
    """Raise on any tag left in ``value``: a command must never reach a container with ``{{...}}`` in it."""
    substitute(value, {}, _always)


# --------------------------------------------------------------------------------------------- when


_WHEN_TOKEN = re.compile(r"""\s*(?:
    (?P<num>\d+(?:\.\d+)?)
   |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
   |(?P<op>&&|\|\||==|!=|>=|<=|=~|!~|[()<>!-])
   |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.X)


def _when_tokens(text: str) -> list[tuple[str, Any]]:
    """govaluate's tokens; a bare word is a string, as Argo turns variables into strings."""
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _WHEN_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise HarnessError(f"invalid 'when' expression {text!r} at {text[pos:]!r} (quote values with symbols)")
        pos = match.end()
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "num":
            tokens.append(("value", float(raw)))
        elif kind == "str":
            tokens.append(("value", re.sub(r"\\(.)", r"\1", raw[1:-1])))
        elif kind == "word":
            tokens.append(("value", {"true": True, "false": False}.get(raw, raw)))
        else:
            tokens.append(("op", raw))
    return tokens


class _WhenParser:
    """A recursive-descent reading of a substituted ``when``: ``|| && == != < > <= >= =~ !~ ! -`` and ()."""

    _COMPARISONS = ("==", "!=", "<", ">", "<=", ">=", "=~", "!~")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _when_tokens(text)
        self.pos = 0

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise HarnessError(f"invalid 'when' expression {self.text!r}: unexpected {self.tokens[self.pos][1]!r}")
        return value

    def _peek(self) -> Any:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "op" else None

    def _take(self) -> tuple[str, Any]:
        if self.pos >= len(self.tokens):
            raise HarnessError(f"invalid 'when' expression {self.text!r}: it ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = self._bool(value) or self._bool(right)
        return value

    def _and(self) -> Any:
        value = self._comparison()
        while self._peek() == "&&":
            self._take()
            right = self._comparison()
            value = self._bool(value) and self._bool(right)
        return value

    def _comparison(self) -> Any:
        left = self._unary()
        if self._peek() in self._COMPARISONS:
            operator = self._take()[1]
            return self._compare(operator, left, self._unary())
        return left

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._bool(self._unary())
        if self._peek() == "-":
            self._take()
            value = self._unary()
            if not isinstance(value, float):
                raise HarnessError(f"invalid 'when' expression {self.text!r}: '-' before {value!r}")
            return -value
        kind, value = self._take()
        if kind == "value":
            return value
        if value != "(":
            raise HarnessError(f"invalid 'when' expression {self.text!r}: unexpected {value!r}")
        inner = self._or()
        if self._take() != ("op", ")"):
            raise HarnessError(f"invalid 'when' expression {self.text!r}: missing ')'")
        return inner

    def _bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise HarnessError(f"invalid 'when' expression {self.text!r}: {value!r} is not a boolean")
        return value

    def _compare(self, operator: str, left: Any, right: Any) -> bool:
        if operator == "==":
            return type(left) is type(right) and left == right
        if operator == "!=":
            return not (type(left) is type(right) and left == right)
        if operator in ("=~", "!~"):
            if not (isinstance(left, str) and isinstance(right, str)):
                raise HarnessError(f"invalid 'when' expression {self.text!r}: {operator} needs strings")
            return (re.search(right, left) is not None) == (operator == "=~")
        if type(left) is not type(right) or isinstance(left, bool):
            raise HarnessError(f"invalid 'when' expression {self.text!r}: cannot order {left!r} and {right!r}")
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator]


def evaluate_when(text: str) -> bool:
    """Whether a task runs, from its substituted ``when`` (govaluate semantics: bare words are strings)."""
    if not text.strip():
        return True
    result = _WhenParser(text).parse()
    if not isinstance(result, bool):
        raise HarnessError(f"'when' expression {text!r} is not a boolean: {result!r}")
    return result


# --------------------------------------------------------------------------------------------- depends

_DEPENDS_TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||[()!])|(?P<name>[A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.(?P<result>\w+))?)")
Depends = tuple  # ("or"|"and", a, b) | ("not", a) | ("ref", task, result or None)


def _depends_tokens(text: str) -> list[tuple[str, str, str | None]]:
    """``depends`` split into operators and ``task`` / ``task.Result`` references."""
    tokens: list[tuple[str, str, str | None]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _DEPENDS_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise HarnessError(f"invalid depends {text!r} at {text[pos:]!r}")
        pos = match.end()
        if match.group("op"):
            tokens.append(("op", match.group("op"), None))
            continue
        result = match.group("result")
        if result is not None and result not in _TASK_RESULTS:
            raise HarnessError(f"invalid depends {text!r}: unknown task result .{result}")
        tokens.append(("ref", match.group("name"), result))
    return tokens


def parse_depends(text: str) -> Depends:
    """The tree of a ``depends`` expression (``&&`` binds tighter than ``||``)."""
    tokens = _depends_tokens(text)
    pos = 0

    def take() -> tuple[str, str, str | None]:
        nonlocal pos
        if pos >= len(tokens):
            raise HarnessError(f"invalid depends {text!r}: it ends too early")
        pos += 1
        return tokens[pos - 1]

    def peek() -> str | None:
        return tokens[pos][1] if pos < len(tokens) and tokens[pos][0] == "op" else None

    def either() -> Depends:
        tree = both()
        while peek() == "||":
            take()
            tree = ("or", tree, both())
        return tree

    def both() -> Depends:
        tree = single()
        while peek() == "&&":
            take()
            tree = ("and", tree, single())
        return tree

    def single() -> Depends:
        kind, value, result = take()
        if kind == "ref":
            return ("ref", value, result)
        if value == "!":
            return ("not", single())
        if value != "(":
            raise HarnessError(f"invalid depends {text!r}: unexpected {value!r}")
        tree = either()
        if take()[1] != ")":
            raise HarnessError(f"invalid depends {text!r}: missing ')'")
        return tree

    tree = either()
    if pos != len(tokens):
        raise HarnessError(f"invalid depends {text!r}: unexpected {tokens[pos][1]!r}")
    return tree


def depends_names(tree: Depends) -> list[str]:
    """The tasks a ``depends`` tree refers to, in order of appearance."""
    if tree[0] == "ref":
        return [tree[1]]
    names: list[str] = []
    for branch in tree[1:]:
        names += [name for name in depends_names(branch) if name not in names]
    return names


def evaluate_depends(tree: Depends, results: Callable[[str], Mapping[str, bool]],
                     bare: Callable[[str], Iterable[str]]) -> bool:
    """Whether a task's ``depends`` holds; ``bare(task)`` lists the results a bare task name accepts."""
    kind = tree[0]
    if kind == "or":
        return evaluate_depends(tree[1], results, bare) or evaluate_depends(tree[2], results, bare)
    if kind == "and":
        return evaluate_depends(tree[1], results, bare) and evaluate_depends(tree[2], results, bare)
    if kind == "not":
        return not evaluate_depends(tree[1], results, bare)
    task, result = tree[1], tree[2]
    found = results(task)
    if result is not None:
        return found[result]
    return any(found[name] for name in bare(task))


# --------------------------------------------------------------------------------------------- nodes


def _fulfilled(phase: str) -> bool:
    return phase in (SUCCEEDED, FAILED, ERROR, SKIPPED, OMITTED)


def _completed(phase: str) -> bool:
    """Argo's ``Completed``: Skipped and Omitted nodes are fulfilled but not completed."""
    return phase in (SUCCEEDED, FAILED, ERROR)


def _failed_or_error(phase: str) -> bool:
    return phase in (FAILED, ERROR)


@dataclass
class _Node:
    """A node of the workflow status, as Argo keeps it: typed, with children and outbound nodes by name."""

    name: str  # Argo's node name: "<workflow>.<task>(<i>:<item>).<task>"
    path: str  # the readable path: "main/task(0:1)/task"
    type: str  # Pod | DAG | TaskGroup | Retry | Skipped
    template: str
    phase: str = RUNNING
    message: str = ""
    children: list[str] = field(default_factory=list)
    outbound: list[str] = field(default_factory=list)
    outputs: dict[str, str] | None = None
    result: str | None = None
    exit_code: int | None = None


class _Graph:
    """All nodes of one run, in creation order, with Argo's parent/child wiring."""

    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}

    def add(self, node: _Node) -> _Node:
        if node.name in self.nodes:
            raise HarnessError(f"two nodes are named {node.name!r}")
        self.nodes[node.name] = node
        return node

    def link(self, parent: str, child: str) -> None:
        children = self.nodes[parent].children
        if child not in children:
            children.append(child)

    def outbound(self, name: str) -> list[str]:
        """Argo's ``getOutboundNodes``: the nodes a dependent task hangs from."""
        node = self.nodes[name]
        if node.type in ("Pod", "Skipped"):
            return [name]
        if node.type == "TaskGroup":
            if not node.children:
                return [name]
            return [out for child in node.children for out in self.outbound(child)]
        if node.type == "Retry" and node.children:
            return [node.children[-1]]
        found: list[str] = []
        for out in node.outbound:
            found += [out] if self.nodes[out].type == "Pod" else self.outbound(out)
        return found

    def effective(self, node: _Node) -> _Node:
        """A Retry node stands for its last attempt, as in Argo's ``buildLocalScope``."""
        if node.type == "Retry" and node.children:
            return self.nodes[node.children[-1]]
        return node


def _retry_children(node: _Node, nodes: Mapping[str, _Node]) -> list[str]:
    """Argo's ``getRetryNodeChildrenIds``: the traversal resumes from the children of the attempts."""
    found: list[str] = []
    for attempt in reversed(node.children):
        found += nodes[attempt].children
    return found


def assess_dag_phase(nodes: Mapping[str, _Node], boundary: str, targets: list[tuple[str, dict[str, Any]]],
                     fail_fast: bool) -> str:
    """A DAG's phase, as Argo's ``assessDAGPhase`` (workflow/controller/dag.go) decides it.

    A breadth-first walk from the DAG's root tasks carries a branch phase: it starts Succeeded and becomes
    the phase of every completed node met (Succeeded, Failed, Error); Skipped and Omitted nodes inherit it.
    Each target task (by default the tasks nothing depends on) takes the branch phase it is reached with,
    and a Failed or Error one sticks. So a failure fails the DAG only when it flows into a target: a failed
    task whose only dependents are ``depends: a.Failed`` handlers that then run and succeed is handled, but
    a dependent that is omitted because of the failure, or a failed leaf, fails the DAG. A target whose task
    has ``continueOn`` for its phase does not. With ``failFast`` (the default) the first failing target in
    name order gives the DAG's phase, without it the last.

    ``targets`` pairs each target's node name with its task (for ``continueOn``).
    """
    phases = {name: "" for name, _ in targets}
    queue: deque[tuple[str, str]] = deque()
    seen: set[tuple[str, str]] = set()

    def push(children: list[str], phase: str) -> None:
        for child in children:
            if (child, phase) not in seen:
                seen.add((child, phase))
                queue.append((child, phase))

    push(nodes[boundary].children, SUCCEEDED)
    while queue:
        name, branch = queue.popleft()
        node = nodes.get(name)
        if node is None or not _fulfilled(node.phase):
            return RUNNING
        if _completed(node.phase):
            branch = node.phase
        if name in phases and not _failed_or_error(phases[name]):
            phases[name] = branch
        push(_retry_children(node, nodes) if node.type == "Retry" else node.children, branch)
    result = SUCCEEDED
    for name, task in targets:
        phase = phases[name]
        if phase == "":
            result = RUNNING
            if not fail_fast:
                break
        elif _failed_or_error(phase):
            if _continues_on(task, phase):
                continue
            result = phase
            if fail_fast:
                break
    return result


def _continues_on(task: Mapping[str, Any], phase: str) -> bool:
    """Argo's ``ContinuesOn``: a task's ``continueOn`` forgives its own failure or error."""
    rule = task.get("continueOn") or {}
    return (phase == FAILED and bool(rule.get("failed"))) or (phase == ERROR and bool(rule.get("error")))


# --------------------------------------------------------------------------------------------- Kubernetes bits


def _expand_vars(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion of command, args and env values; ``$$`` escapes, unknown stay."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            end = text.find(")", i + 2) if text[i + 1] == "(" else -1
            if end != -1:
                name = text[i + 2:end]
                out.append(env[name] if name in env else text[i:end + 1])
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _safe_sub_path(sub: str) -> str:
    """A volumeMount subPath must stay inside its volume, as Kubernetes requires."""
    if sub.startswith("/") or ".." in Path(sub).parts:
        raise HarnessError(f"subPath {sub!r} must be a relative path inside the volume")
    return sub


def _write_keys(folder: Path, data: Mapping[str, str], items: list[dict[str, Any]] | None, mode: int | None,
                what: str) -> None:
    """Materialise a ConfigMap or Secret volume: one file per key, or only the ``items`` asked for."""
    folder.mkdir(parents=True, exist_ok=True)
    chosen = [(item["key"], item.get("path", item["key"]), item.get("mode")) for item in items] if items else \
        [(key, key, None) for key in data]
    for key, relative, item_mode in chosen:
        if key not in data:
            raise HarnessError(f"{what} has no key {key!r}")
        target = folder / _safe_sub_path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data[key])
        chosen_mode = item_mode if item_mode is not None else mode
        target.chmod(chosen_mode if chosen_mode is not None else 0o644)


def _merge(base: Any, over: Any) -> Any:
    """``over`` laid onto ``base`` like Argo's strategic merge of templateDefaults: maps merge, lists of
    named entries (env, volumes) merge by name, volumeMounts by mountPath, other lists are replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = copy.deepcopy(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(over, list):
        key = _list_merge_key(base + over)
        if key:
            merged_list = {entry[key]: entry for entry in copy.deepcopy(base)}
            for entry in over:
                merged_list[entry[key]] = _merge(merged_list[entry[key]], entry) if entry[key] in merged_list \
                    else copy.deepcopy(entry)
            return list(merged_list.values())
    return copy.deepcopy(over)


def _list_merge_key(entries: list[Any]) -> str | None:
    for key in ("name", "mountPath"):
        if entries and all(isinstance(entry, dict) and key in entry for entry in entries):
            return key
    return None


def _template_type(template: Mapping[str, Any]) -> str | None:
    return next((kind for kind in TEMPLATE_TYPES if kind in template), None)


# --------------------------------------------------------------------------------------------- Docker


@dataclass
class _PodSpec:
    """What Kubernetes would start for a pod's main container, already resolved."""

    name: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    working_dir: str | None
    mounts: list[tuple[str, str, bool]]
    output_paths: list[str]
    deadline: float | None


@dataclass
class _PodRun:
    """What came back from a container."""

    exit_code: int | None = None
    stdout: str = ""
    logs: str = ""
    files: dict[str, str | None] = field(default_factory=dict)
    error: str = ""
    timed_out: bool = False


class _DockerPods:
    """Runs one pod's main container with Docker, offline, and always removes it."""

    def __init__(self, client: Any, user: str, label: str) -> None:
        self.client = client
        self.user = user
        self.label = label

    def run(self, spec: _PodSpec) -> _PodRun:
        container = None
        try:
            container = self._create(spec)
            try:
                container.start()
            except self._errors().APIError as exc:
                return _PodRun(error=f"container could not start: {getattr(exc, 'explanation', None) or exc}")
            code, timed_out = self._wait(container, spec)
            return _PodRun(exit_code=code, timed_out=timed_out,
                           stdout=container.logs(stdout=True, stderr=False).decode("utf-8", "replace"),
                           logs=container.logs(stdout=True, stderr=True).decode("utf-8", "replace"),
                           files={path: self._read(container, path) for path in spec.output_paths})
        finally:
            if container is not None:
                self._remove(container)

    def _errors(self) -> Any:
        import docker.errors

        return docker.errors

    def _create(self, spec: _PodSpec) -> Any:
        from docker.types import Mount

        mounts = [Mount(target=target, source=source, type="bind", read_only=read_only)
                  for source, target, read_only in spec.mounts]
        try:
            return self.client.containers.create(
                spec.image, entrypoint=spec.command or None, command=spec.args or None, environment=spec.env,
                working_dir=spec.working_dir or None, mounts=mounts, user=self.user, network_mode="none",
                labels={LABEL: self.label})
        except self._errors().ImageNotFound as exc:
            raise HarnessError(f"image {spec.image!r} is not available locally ({exc})") from exc
        except self._errors().APIError as exc:
            raise HarnessError(f"Docker refused pod {spec.name}: {exc}") from exc

    def _wait(self, container: Any, spec: _PodSpec) -> tuple[int | None, bool]:
        """The exit code, and whether ``activeDeadlineSeconds`` ran out first."""
        import requests

        try:
            return container.wait(timeout=spec.deadline or POD_TIMEOUT_SECONDS)["StatusCode"], False
        except requests.exceptions.RequestException:
            if spec.deadline is None:
                raise HarnessError(f"pod {spec.name} ran longer than {POD_TIMEOUT_SECONDS} s") from None
        try:
            container.kill()
        except self._errors().APIError:
            pass  # it ended on its own meanwhile
        return container.wait(timeout=30)["StatusCode"], True

    def _read(self, container: Any, path: str) -> str | None:
        """A file's text from the stopped container, or None when it is missing or not a regular file."""
        try:
            stream, _ = container.get_archive(path)
        except self._errors().NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.next()
            if member is None or not member.isfile():
                return None
            handle = archive.extractfile(member)
            return handle.read().decode("utf-8", "replace") if handle else None

    def _remove(self, container: Any) -> None:
        try:
            container.remove(force=True)
        except self._errors().NotFound:
            pass


# --------------------------------------------------------------------------------------------- the run


@dataclass
class _Options:
    """What the test supplies in place of the cluster: volumes, ConfigMaps, Secrets and overrides."""

    host_volumes: dict[str, str]
    config_maps: dict[str, dict[str, str]]
    secrets: dict[tuple[str, str], str]
    image: str | None
    extra_env: dict[str, str]
    tmp: Path


class _Run:
    """One workflow execution: Argo's operator loop, done to completion, node by node."""

    def __init__(self, spec: dict[str, Any], metadata: dict[str, Any], name: str,
                 parameters: dict[str, str], options: _Options, pods: _DockerPods, uid: str) -> None:
        self.spec = spec
        self.name = name
        self.options = options
        self.docker = pods
        self.uid = uid
        self.graph = _Graph()
        self.pods: list[PodRecord] = []
        self.backoffs: list[Backoff] = []
        self.templates = self._index_templates(spec)
        self.claim_templates = {claim["metadata"]["name"]: claim for claim in spec.get("volumeClaimTemplates") or []}
        self.started = datetime.now(timezone.utc)
        self.namespace = metadata.get("namespace") or "default"
        self.arguments = self._workflow_arguments(spec, parameters)
        self.globals = self._globals(spec, metadata)
        self._check_template_names()

    # ---- set-up

    @staticmethod
    def _index_templates(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
        templates: dict[str, dict[str, Any]] = {}
        for template in spec.get("templates") or []:
            if template["name"] in templates:
                raise HarnessError(f"two templates are named {template['name']!r}")
            templates[template["name"]] = template
        return templates

    def _check_template_names(self) -> None:
        """Every template the workflow names must exist, as Argo checks on submission."""
        named = [("spec.entrypoint", self.spec.get("entrypoint")), ("spec.onExit", self.spec.get("onExit"))]
        for template in self.templates.values():
            for task in (template.get("dag") or {}).get("tasks") or []:
                named.append((f"task {task.get('name')!r} of {template['name']!r}", task.get("template")))
        for where, name in named:
            if name and name not in self.templates:
                raise HarnessError(f"{where} names template {name!r}, which does not exist")

    @staticmethod
    def _workflow_arguments(spec: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
        """spec.arguments.parameters, with the test's values in place of the declared ones."""
        declared = (spec.get("arguments") or {}).get("parameters") or []
        names = [param["name"] for param in declared]
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise HarnessError(f"parameters {unknown} are not declared in spec.arguments.parameters")
        values: dict[str, str] = {}
        for param in declared:
            name = param["name"]
            if name in given:
                values[name] = _text(given[name])
            elif "value" in param:
                values[name] = _text(param["value"])
            elif "default" in param:
                values[name] = _text(param["default"])
            else:
                raise HarnessError(f"workflow parameter {name!r} has no value and none was supplied")
            if param.get("enum") and values[name] not in [_text(choice) for choice in param["enum"]]:
                raise HarnessError(f"workflow parameter {name!r}={values[name]!r} is not one of {param['enum']}")
        return values

    def _globals(self, spec: dict[str, Any], metadata: dict[str, Any]) -> dict[str, str]:
        """The ``workflow.*`` variables of docs/variables.md (status and failures come with the exit handler)."""
        labels = {**(metadata.get("labels") or {}), **((spec.get("workflowMetadata") or {}).get("labels") or {})}
        annotations = {**(metadata.get("annotations") or {}),
                       **((spec.get("workflowMetadata") or {}).get("annotations") or {})}
        stamp = self.started.strftime("%Y-%m-%dT%H:%M:%SZ")
        scope = {"workflow.name": self.name, "workflow.namespace": self.namespace, "workflow.uid": self.uid,
                 "workflow.serviceAccountName": spec.get("serviceAccountName") or "default",
                 "workflow.mainEntrypoint": spec.get("entrypoint") or "",
                 "workflow.creationTimestamp": stamp, "workflow.creationTimestamp.RFC3339": stamp,
                 "workflow.labels.json": _json(labels), "workflow.annotations.json": _json(annotations)}
        for letter in "YmdHMSyjaAbBpIZz":
            scope[f"workflow.creationTimestamp.{letter}"] = self.started.strftime(f"%{letter}")
        if "priority" in spec:
            scope["workflow.priority"] = _text(spec["priority"])
        scope.update({f"workflow.labels.{key}": _text(value) for key, value in labels.items()})
        scope.update({f"workflow.annotations.{key}": _text(value) for key, value in annotations.items()})
        listed = _json([{"name": name, "value": value} for name, value in self.arguments.items()])
        scope["workflow.parameters"] = scope["workflow.parameters.json"] = listed
        scope.update({f"workflow.parameters.{name}": value for name, value in self.arguments.items()})
        return scope

    # ---- workflow

    def workflow(self) -> HarnessResult:
        """Run the entrypoint, then the exit handler, and infer the workflow's phase as Argo's operator does."""
        entrypoint = self.spec.get("entrypoint")
        if not entrypoint:
            raise HarnessError("spec.entrypoint is missing")
        entry = self.execute(self.name, entrypoint, entrypoint, self.arguments, depth=0)
        phase, message = _WORKFLOW_PHASE[entry.phase], entry.message
        handler = self._exit_handler()
        if handler:
            self.globals["workflow.status"] = phase
            self.globals["workflow.failures"] = self._failures()
            self.globals["workflow.duration"] = f"{(datetime.now(timezone.utc) - self.started).total_seconds():.6f}"
            exit_node = self.execute(f"{self.name}.onExit", "onExit", handler, self.arguments, depth=0)
            if phase == SUCCEEDED and _failed_or_error(exit_node.phase):
                phase, message = exit_node.phase, exit_node.message or "exit handler failed"
        return self._result(phase, message)

    def _exit_handler(self) -> str | None:
        hook = (self.spec.get("hooks") or {}).get("exit") or {}
        if hook.get("templateRef") or hook.get("arguments"):
            raise HarnessError("spec.hooks.exit with templateRef or arguments is not supported")
        return self.spec.get("onExit") or hook.get("template")

    def _failures(self) -> str:
        """``workflow.failures``: the failed and errored nodes so far."""
        return _json([{"displayName": node.name.rsplit(".", 1)[-1], "message": node.message,
                       "templateName": node.template, "phase": node.phase,
                       "podName": self._pod_name(node.name, node.template) if node.type == "Pod" else "",
                       "finishedAt": ""}
                      for node in self.graph.nodes.values() if _failed_or_error(node.phase)])

    def _result(self, phase: str, message: str) -> HarnessResult:
        unfinished = [node.path for node in self.graph.nodes.values() if not _fulfilled(node.phase)]
        if unfinished:
            raise HarnessError(f"nodes left unfinished: {unfinished}")
        nodes = self.graph.nodes.values()
        return HarnessResult(phase=phase, message=message, nodes={node.path: node.phase for node in nodes},
                             pods=self.pods, backoffs=self.backoffs, uid=self.uid,
                             outputs={node.path: dict(node.outputs) for node in nodes if node.outputs},
                             results={node.path: node.result for node in nodes if node.result is not None})

    # ---- templates

    def _template(self, name: str) -> dict[str, Any]:
        """A template by name, with spec.templateDefaults merged in as Argo's ``mergedTemplateDefaultsInto``."""
        if name not in self.templates:
            raise HarnessError(f"no template named {name!r}")
        template = self.templates[name]
        defaults = self.spec.get("templateDefaults")
        if not defaults:
            return copy.deepcopy(template)
        kind = _template_type(template)
        merged = _merge(defaults, template)
        for other in TEMPLATE_TYPES:
            if other != kind:
                merged.pop(other, None)
        return merged

    def execute(self, name: str, path: str, template_name: str, args: dict[str, str], depth: int) -> _Node:
        """Argo's ``executeTemplate``: bind the inputs, then run the body, through a Retry node if asked."""
        if depth > MAX_DEPTH:
            raise HarnessError(f"templates nested deeper than {MAX_DEPTH} at {path}: does a recursion ever stop?")
        template = self._bind(self._template(template_name), args)
        strategy = template.get("retryStrategy")
        if strategy is None:
            return self._body(name, path, template, depth, retries=None)
        return self._retry(name, path, template, strategy, depth)

    def _bind(self, template: dict[str, Any], args: dict[str, str]) -> dict[str, Any]:
        """Argo's ``ProcessArgs``: inputs take the caller's argument, else their value, else their default."""
        inputs = template.get("inputs") or {}
        if inputs.get("artifacts"):
            raise HarnessError(f"template {template['name']!r}: input artifacts are not supported")
        values: dict[str, str] = {}
        for param in inputs.get("parameters") or []:
            name = param["name"]
            if name in args:
                values[name] = args[name]
            elif "value" in param or "default" in param:
                raw = param["value"] if "value" in param else param["default"]
                values[name] = substitute(_text(raw), self.globals, _template_level)
            else:
                raise HarnessError(f"template {template['name']!r}: inputs.parameters.{name} was not supplied")
            if param.get("enum") and values[name] not in [_text(choice) for choice in param["enum"]]:
                raise HarnessError(f"inputs.parameters.{name}={values[name]!r} is not one of {param['enum']}")
        scope = {**self.globals, **{f"inputs.parameters.{name}": value for name, value in values.items()},
                 "inputs.parameters": _json([{"name": name, "value": value} for name, value in values.items()])}
        body = {key: value for key, value in template.items() if key != "inputs"}
        bound = substitute(body, scope, _template_level)
        bound["inputs"] = {"parameters": [{"name": name, "value": value} for name, value in values.items()]}
        return bound

    def _body(self, name: str, path: str, template: dict[str, Any], depth: int, retries: int | None) -> _Node:
        """Run one attempt of a bound template, with its node-level variables."""
        local = {"node.name": name}
        if retries is not None:
            local["retries"] = str(retries)
        kind = _template_type(template)
        if kind == "container":
            local["pod.name"] = self._pod_name(name, template["name"])
            for param in (template.get("outputs") or {}).get("parameters") or []:
                if (param.get("valueFrom") or {}).get("path"):
                    local[f"outputs.parameters.{param['name']}.path"] = param["valueFrom"]["path"]
            return self._pod(name, path, substitute(template, local))
        if kind == "dag":
            return self._dag(name, path, substitute(template, local), depth)
        raise HarnessError(f"template {template['name']!r}: type {kind or 'unknown'} is not supported")

    def _retry(self, name: str, path: str, template: dict[str, Any], strategy: dict[str, Any],
               depth: int) -> _Node:
        """A Retry node and its attempts ``name(0)``, ``name(1)``..., decided as ``processNodeRetries``."""
        retry = self.graph.add(_Node(name, path, "Retry", template["name"]))
        policy = _retry_policy(strategy)
        limit = _int(strategy["limit"], "retryStrategy.limit") if strategy.get("limit") is not None else None
        started, virtual_wait = time.monotonic(), 0.0
        for attempt in range(MAX_ATTEMPTS):
            child = f"{name}({attempt})"
            self.graph.link(name, child)
            last = self._body(child, f"{path}({attempt})", template, depth, retries=attempt)
            if last.phase == SUCCEEDED:
                retry.outputs, retry.result, retry.exit_code = last.outputs, last.result, last.exit_code
                retry.phase = SUCCEEDED
                return retry
            elapsed = time.monotonic() - started + virtual_wait
            delay, stop = _retry_decision(strategy.get("backoff"), policy, limit, last, attempt + 1, elapsed)
            if stop is not None:
                retry.phase, retry.message = last.phase, stop
                return retry
            if delay:
                self.backoffs.append(Backoff(path, attempt, delay))
                time.sleep(min(delay, MAX_REAL_SLEEP))
                virtual_wait += max(0.0, delay - MAX_REAL_SLEEP)
        raise HarnessError(f"{path}: more than {MAX_ATTEMPTS} attempts; give the retryStrategy a limit")

    # ---- pods

    def _pod_name(self, node_name: str, template: str) -> str:
        """Argo's pod name (version 2): ``<workflow>-<template>-<fnv32a(node name)>``."""
        if node_name == self.name:
            return self.name
        return f"{self.name}-{template}"[:242] + f"-{_fnv32a(node_name)}"

    def _node_id(self, node_name: str) -> str:
        return self.name if node_name == self.name else f"{self.name}-{_fnv32a(node_name)}"

    def _pod(self, name: str, path: str, template: dict[str, Any]) -> _Node:
        """Run a container template's pod and record its phase, outputs, result and exit code."""
        node = self.graph.add(_Node(name, path, "Pod", template["name"], phase=PENDING))
        self._check_pod_template(template)
        spec = self._pod_spec(node, template)
        record = PodRecord(node=path, pod_name=spec.name, template=template["name"], image=spec.image,
                           command=spec.command, args=spec.args, env=spec.env, working_dir=spec.working_dir,
                           mounts=spec.mounts)
        self.pods.append(record)
        run = self.docker.run(spec)
        phase, message = _pod_phase(run)
        outputs, problem = _pod_outputs(template, run, phase == SUCCEEDED)
        if problem:
            phase, message = ERROR, problem
        result = run.stdout[:-1] if run.stdout.endswith("\n") else run.stdout
        node.phase, node.message, node.outputs, node.exit_code = phase, message, outputs, run.exit_code
        node.result = result if run.exit_code is not None else None
        record.phase, record.message, record.exit_code = phase, message, run.exit_code
        record.stdout, record.logs, record.outputs = run.stdout, run.logs, outputs
        self._export_globals(template, outputs)
        return node

    def _check_pod_template(self, template: dict[str, Any]) -> None:
        """Refuse what would change the pod's meaning if ignored, and any tag left unresolved."""
        for unsupported in ("sidecars", "initContainers"):
            if template.get(unsupported):
                raise HarnessError(f"template {template['name']!r}: {unsupported} are not supported")
        if (template.get("outputs") or {}).get("artifacts"):
            raise HarnessError(f"template {template['name']!r}: output artifacts are not supported")
        for key in ("container", "outputs", "volumes", "activeDeadlineSeconds"):
            _require_resolved(template.get(key))

    def _export_globals(self, template: dict[str, Any], outputs: dict[str, str]) -> None:
        """Output parameters with ``globalName`` become ``workflow.outputs.parameters.<globalName>``."""
        for param in (template.get("outputs") or {}).get("parameters") or []:
            if param.get("globalName") and param["name"] in outputs:
                self.globals[f"workflow.outputs.parameters.{param['globalName']}"] = outputs[param["name"]]

    def _pod_spec(self, node: _Node, template: dict[str, Any]) -> _PodSpec:
        container = template["container"]
        pod_name = self._pod_name(node.name, template["name"])
        image = self.options.image or container.get("image")
        if not image:
            raise HarnessError(f"template {template['name']!r} has no image")
        env = self._env(container, self._fields(node, pod_name, template))
        pod_dir = self.options.tmp / "pods" / f"{len(self.pods)}-{pod_name}"
        outputs = (template.get("outputs") or {}).get("parameters") or []
        paths = [param["valueFrom"]["path"] for param in outputs if (param.get("valueFrom") or {}).get("path")]
        deadline = template.get("activeDeadlineSeconds")
        return _PodSpec(name=pod_name, image=image, env=env, working_dir=container.get("workingDir"),
                        command=[_expand_vars(_text(part), env) for part in container.get("command") or []],
                        args=[_expand_vars(_text(part), env) for part in container.get("args") or []],
                        mounts=self._mounts(template, container, pod_dir, env),
                        output_paths=paths,
                        deadline=float(deadline) if deadline is not None else None)

    def _fields(self, node: _Node, pod_name: str, template: dict[str, Any]) -> dict[str, str]:
        """The pod fields ``env.valueFrom.fieldRef`` may read."""
        fields = {"metadata.name": pod_name, "metadata.namespace": self.namespace, "metadata.uid": str(uuid.uuid4()),
                  "metadata.labels['workflows.argoproj.io/workflow']": self.name,
                  "metadata.labels['workflows.argoproj.io/completed']": "false",
                  "metadata.annotations['workflows.argoproj.io/node-name']": node.name,
                  "metadata.annotations['workflows.argoproj.io/node-id']": self._node_id(node.name),
                  "spec.nodeName": "harness", "spec.serviceAccountName": self.globals["workflow.serviceAccountName"],
                  "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
        meta = template.get("metadata") or {}
        fields.update({f"metadata.labels['{key}']": _text(value) for key, value in (meta.get("labels") or {}).items()})
        fields.update({f"metadata.annotations['{key}']": _text(value)
                       for key, value in (meta.get("annotations") or {}).items()})
        return fields

    def _env(self, container: dict[str, Any], fields: dict[str, str]) -> dict[str, str]:
        """The container's environment: envFrom, then env in order (``$(VAR)`` sees earlier ones), then extras."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            env.update({prefix + key: value for key, value in self._env_source(source).items()})
        for item in container.get("env") or []:
            if "valueFrom" in item:
                value = self._env_value(item["name"], item["valueFrom"], fields)
                if value is not None:
                    env[item["name"]] = value
            else:
                env[item["name"]] = _expand_vars(_text(item.get("value", "")), env)
        env.update(self.options.extra_env)
        return env

    def _env_source(self, source: dict[str, Any]) -> dict[str, str]:
        if "configMapRef" in source:
            ref = source["configMapRef"]
            return self._config_map(ref["name"], bool(ref.get("optional")))
        if "secretRef" in source:
            ref = source["secretRef"]
            data = self._secret(ref["name"])
            if not data and not ref.get("optional"):
                raise HarnessError(f"envFrom: no secret named {ref['name']!r} was supplied")
            return data
        raise HarnessError(f"envFrom entry {source} is not supported")

    def _env_value(self, name: str, source: dict[str, Any], fields: dict[str, str]) -> str | None:
        """One ``env.valueFrom``; None when an optional key is absent (Kubernetes leaves the variable out)."""
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            key = (ref["name"], ref["key"])
            if key not in self.options.secrets:
                if ref.get("optional"):
                    return None
                raise HarnessError(f"env {name}: no secret value for {key} was supplied")
            return self.options.secrets[key]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            data = self._config_map(ref["name"], bool(ref.get("optional")))
            if ref["key"] not in data:
                if ref.get("optional"):
                    return None
                raise HarnessError(f"env {name}: ConfigMap {ref['name']!r} has no key {ref['key']!r}")
            return data[ref["key"]]
        if "fieldRef" in source:
            path = source["fieldRef"]["fieldPath"].replace('"', "'")
            if path not in fields:
                raise HarnessError(f"env {name}: fieldRef {path!r} is not supported")
            return fields[path]
        raise HarnessError(f"env {name}: valueFrom {sorted(source)} is not supported")

    def _config_map(self, name: str, optional: bool) -> dict[str, str]:
        if name not in self.options.config_maps:
            if optional:
                return {}
            raise HarnessError(f"no ConfigMap named {name!r} was supplied")
        return {key: _text(value) for key, value in self.options.config_maps[name].items()}

    def _secret(self, name: str) -> dict[str, str]:
        return {key: value for (secret, key), value in self.options.secrets.items() if secret == name}

    # ---- volumes

    def _mounts(self, template: dict[str, Any], container: dict[str, Any], pod_dir: Path,
                env: dict[str, str]) -> list[tuple[str, str, bool]]:
        """Bind mounts for the container's volumeMounts: (host path, mount path, read-only)."""
        mounts = []
        for mount in container.get("volumeMounts") or []:
            volume = self._volume(template, mount["name"])
            base, read_only, kind = self._volume_source(volume, pod_dir)
            sub = mount.get("subPath") or (_expand_vars(mount["subPathExpr"], env) if mount.get("subPathExpr") else "")
            source = base / _safe_sub_path(sub) if sub else base
            if not source.exists():
                if kind in ("configMap", "secret"):
                    raise HarnessError(f"volume {mount['name']!r} has nothing at subPath {sub!r}")
                source.mkdir(parents=True)  # Kubernetes creates a missing subPath folder
            mounts.append((str(source), mount["mountPath"], read_only or bool(mount.get("readOnly"))))
        return mounts

    def _volume(self, template: dict[str, Any], name: str) -> dict[str, Any]:
        for volume in (template.get("volumes") or []) + (self.spec.get("volumes") or []):
            if volume["name"] == name:
                return volume
        if name in self.claim_templates:
            return {"name": name, "volumeClaimTemplate": True}
        raise HarnessError(f"no volume named {name!r} for template {template['name']!r}")

    def _volume_source(self, volume: dict[str, Any], pod_dir: Path) -> tuple[Path, bool, str]:
        """The host folder behind a volume, whether it is read-only, and its kind."""
        name = volume["name"]
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]
            return self._host_folder(claim["claimName"]), bool(claim.get("readOnly")), "pvc"
        if "volumeClaimTemplate" in volume:
            for key in (name, f"{self.name}-{name}"):
                if key in self.options.host_volumes:
                    return self._host_folder(key), False, "pvc"
            folder = self.options.tmp / "claims" / name
            folder.mkdir(parents=True, exist_ok=True)
            return folder, False, "pvc"
        if "emptyDir" in volume:
            folder = pod_dir / "emptyDir" / name
            folder.mkdir(parents=True, exist_ok=True)
            return folder, False, "emptyDir"
        if "configMap" in volume:
            source = volume["configMap"]
            data = self._config_map(source["name"], bool(source.get("optional")))
            folder = pod_dir / "configMap" / name
            _write_keys(folder, data, source.get("items"), source.get("defaultMode"), f"ConfigMap {source['name']!r}")
            return folder, True, "configMap"
        if "secret" in volume:
            source = volume["secret"]
            data = self._secret(source["secretName"])
            if not data and not source.get("optional"):
                raise HarnessError(f"no secret named {source['secretName']!r} was supplied")
            folder = pod_dir / "secret" / name
            _write_keys(folder, data, source.get("items"), source.get("defaultMode"),
                        f"Secret {source['secretName']!r}")
            return folder, True, "secret"
        if "hostPath" in volume:
            return Path(volume["hostPath"]["path"]), False, "hostPath"
        raise HarnessError(f"volume {name!r}: only persistentVolumeClaim, emptyDir, configMap, secret and hostPath "
                           "volumes are supported")

    def _host_folder(self, claim: str) -> Path:
        if claim not in self.options.host_volumes:
            raise HarnessError(f"no host folder was given for PVC {claim!r} (host_volumes)")
        folder = Path(self.options.host_volumes[claim]).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # ---- DAGs

    def _dag(self, name: str, path: str, template: dict[str, Any], depth: int) -> _Node:
        """Argo's ``executeDAG``: run the tasks, assess the phase, then compute the DAG's outputs."""
        node = self.graph.add(_Node(name, path, "DAG", template["name"]))
        dag = _DagRun(self, node, template, depth)
        phase = dag.execute()
        node.outbound = [out for target in dag.targets for out in self.graph.outbound(dag.node_name(target))]
        if phase == SUCCEEDED:
            outputs, problem = dag.outputs()
            if problem:
                node.phase, node.message = ERROR, problem
                return node
            node.outputs = outputs
            self._export_globals(template, outputs)
        node.phase = phase
        return node

    def add_task_scope(self, scope: dict[str, str], prefix: str, node: _Node) -> None:
        """``tasks.T.*`` for one task node, as ``buildLocalScope``/``processAggregateNodeOutputs`` provide."""
        if node.type == "TaskGroup":
            self._aggregate(scope, prefix, [self.graph.nodes[child] for child in node.children])
            return
        node = self.graph.effective(node)
        scope[f"{prefix}.id"] = self._node_id(node.name)
        scope[f"{prefix}.status"] = node.phase
        for key, value in (node.outputs or {}).items():
            scope[f"{prefix}.outputs.parameters.{key}"] = value
        if node.result is not None:
            scope[f"{prefix}.outputs.result"] = node.result
        if node.exit_code is not None:
            scope[f"{prefix}.exitCode"] = str(node.exit_code)

    def _aggregate(self, scope: dict[str, str], prefix: str, children: list[_Node]) -> None:
        """A fan-out's outputs: JSON lists over its succeeded iterations, in item order."""
        params: list[dict[str, str]] = []
        by_name: dict[str, list[str]] = {}
        results: list[Any] = []
        for child in children:
            child = self.graph.effective(child)
            if child.phase != SUCCEEDED:
                continue
            if child.outputs:
                params.append(dict(child.outputs))
                for key, value in child.outputs.items():
                    by_name.setdefault(key, []).append(value)
            if child.result is not None:
                results.append(_result_item(child.result))
        scope[f"{prefix}.outputs.parameters"] = _json(params)
        scope[f"{prefix}.outputs.result"] = _json(results)
        for key, values in by_name.items():
            scope[f"{prefix}.outputs.parameters.{key}"] = _aggregated_values(values)


def _result_item(result: str) -> Any:
    """An iteration's result in an aggregate: a JSON object stays an object, anything else is a string."""
    try:
        parsed = json.loads(result)
    except ValueError:
        return result
    return parsed if isinstance(parsed, dict) else result


def _aggregated_values(values: list[str]) -> str:
    """``tasks.T.outputs.parameters.p`` of a fan-out: a JSON list of the values, kept as JSON when every value
    is a JSON list or object, else as strings (Argo's ``aggregatedJsonValueList``)."""
    parsed = []
    for value in values:
        try:
            item = json.loads(value)
        except ValueError:
            return _json(values)
        if not isinstance(item, (list, dict)):
            return _json(values)
        parsed.append(item)
    return _json(parsed)


def _pod_phase(run: _PodRun) -> tuple[str, str]:
    """Node phase and message from how the container ended."""
    if run.error:
        return ERROR, run.error
    if run.timed_out:
        return FAILED, "Pod was active on the node longer than the specified deadline"
    if run.exit_code == 0:
        return SUCCEEDED, ""
    return FAILED, f"Error (exit code {run.exit_code})"


def _pod_outputs(template: dict[str, Any], run: _PodRun, succeeded: bool) -> tuple[dict[str, str], str]:
    """Output parameters read from the container (one trailing newline dropped), and any reason to error."""
    values: dict[str, str] = {}
    for param in (template.get("outputs") or {}).get("parameters") or []:
        name, source = param["name"], param.get("valueFrom") or {}
        if source.get("path"):
            text = run.files.get(source["path"])
            if text is None and "default" in source:
                text = _text(source["default"])
            if text is None:
                if succeeded:
                    return values, f"failed to save output parameter {name!r}: {source['path']} was not found"
                continue
            values[name] = text[:-1] if text.endswith("\n") else text
        elif "value" in param:
            values[name] = _text(param["value"])
        elif set(source) - {"default"}:
            raise HarnessError(f"output parameter {name!r}: valueFrom {sorted(source)} is not supported here")
    return values, ""


def _retry_policy(strategy: dict[str, Any]) -> str:
    if strategy.get("expression"):
        raise HarnessError("retryStrategy.expression is not supported")
    policy = strategy.get("retryPolicy") or "OnFailure"
    if policy not in ("Always", "OnFailure", "OnError", "OnTransientError"):
        raise HarnessError(f"{policy!r} is not a valid retryPolicy")
    return policy


def _retry_decision(backoff: dict[str, Any] | None, policy: str, limit: int | None, last: _Node, attempts: int,
                    elapsed: float) -> tuple[float | None, str | None]:
    """(delay before the next attempt, why to stop instead) after a failed attempt, in Argo's order:
    maxDuration, the backoff, the policy (a non-zero exit is Failed; Error is a harness-side failure such as a
    missing output), then the limit (``limit`` retries, so ``limit + 1`` attempts)."""
    delay = None
    if backoff:
        max_duration = parse_duration(backoff["maxDuration"]) if backoff.get("maxDuration") else None
        if max_duration is not None and elapsed > max_duration:
            return None, "Max duration limit exceeded"
        if not backoff.get("duration"):
            raise HarnessError("retryStrategy.backoff needs a duration")
        delay = parse_duration(backoff["duration"])
        factor = float(str(backoff["factor"])) if backoff.get("factor") is not None else 0.0
        if factor > 0:
            delay *= factor ** (attempts - 1)
        if backoff.get("cap"):
            delay = min(delay, parse_duration(backoff["cap"]))
        if max_duration is not None and elapsed + delay > max_duration:
            return None, "Backoff would exceed max duration limit"
    retry_failed = policy in ("Always", "OnFailure")
    retry_error = policy in ("Always", "OnError")
    if (last.phase == FAILED and not retry_failed) or (last.phase == ERROR and not retry_error):
        return None, last.message
    if limit is not None and attempts > limit:
        return None, "No more retries left"
    return delay, None


class _DagRun:
    """One invocation of a DAG template, run to completion in one pass (see the module docstring)."""

    def __init__(self, run: _Run, node: _Node, template: dict[str, Any], depth: int) -> None:
        self.run = run
        self.graph = run.graph
        self.node = node
        self.template = template
        self.depth = depth
        dag = template["dag"]
        self.tasks: dict[str, dict[str, Any]] = {}
        for task in dag.get("tasks") or []:
            if task["name"] in self.tasks:
                raise HarnessError(f"DAG {template['name']!r} has two tasks named {task['name']!r}")
            self.tasks[task["name"]] = task
        self.logic = {name: self._depends(task) for name, task in self.tasks.items()}
        for name in self.tasks:
            self._check_task_references(name)
        self.fail_fast = dag.get("failFast") is not False
        self.targets = dag["target"].split() if dag.get("target") else self._leaves()
        self.visited: set[str] = set()

    def node_name(self, task: str) -> str:
        return f"{self.node.name}.{task}"

    def _path(self, task: str) -> str:
        return f"{self.node.path}/{task}"

    def _depends(self, task: dict[str, Any]) -> Depends | None:
        """A task's ``depends`` tree, the legacy ``dependencies`` list being ``a && b``."""
        for unsupported in ("onExit", "hooks", "templateRef", "inline"):
            if task.get(unsupported):
                raise HarnessError(f"task {task['name']!r}: {unsupported} is not supported")
        if task.get("depends") and task.get("dependencies"):
            raise HarnessError(f"task {task['name']!r} has both depends and dependencies")
        text = task.get("depends") or " && ".join(task.get("dependencies") or [])
        if not text.strip():
            return None
        tree = parse_depends(text)
        for name in depends_names(tree):
            if name not in self.tasks:
                raise HarnessError(f"task {task['name']!r} depends on {name!r}, which is not a task of this DAG")
        return tree

    def _check_task_references(self, task: str) -> None:
        """No cycles, and a task may only use ``tasks.T.*`` of its ancestors, as Argo's validation requires."""
        ancestors = self._ancestors(task)
        if task in ancestors:
            raise HarnessError(f"DAG {self.template['name']!r}: task {task!r} depends on itself")
        for text in _strings(self.tasks[task]):
            for match in _TAG.finditer(text):
                parts = match.group(1).strip().split(".")
                if parts[0] == "tasks" and len(parts) > 2 and parts[1] not in ancestors:
                    raise HarnessError(f"task {task!r} uses {match.group(0)} but {parts[1]!r} is not among the "
                                       f"tasks it depends on")

    def _deps(self, task: str) -> list[str]:
        tree = self.logic[task]
        return depends_names(tree) if tree is not None else []

    def _leaves(self) -> list[str]:
        """Argo's ``findLeafTaskNames``: tasks no other task depends on, sorted by name."""
        depended = {dep for name in self.tasks for dep in self._deps(name)}
        return sorted(name for name in self.tasks if name not in depended)

    def execute(self) -> str:
        for target in self.targets:
            if target not in self.tasks:
                raise HarnessError(f"DAG {self.template['name']!r}: target {target!r} is not a task")
            self._visit(target)
        targets = [(self.node_name(name), self.tasks[name]) for name in self.targets]
        phase = assess_dag_phase(self.graph.nodes, self.node.name, targets, self.fail_fast)
        if phase == RUNNING:
            raise HarnessError(f"DAG {self.node.path} did not finish: a task was never reached")
        return phase

    # ---- scheduling

    def _visit(self, task: str) -> None:
        """Argo's ``executeDAGTask``: dependencies first, then ``depends``, then run (or omit) the task."""
        if task in self.visited:
            return
        self.visited.add(task)
        for dep in self._deps(task):
            self._visit(dep)
        tree = self.logic[task]
        if tree is not None and not evaluate_depends(tree, self._results, self._bare):
            self._placeholder(task, OMITTED, "omitted: depends condition not met")
            return
        self._run_task(task)

    def _results(self, task: str) -> dict[str, bool]:
        """The ``TaskResults`` a dependency offers to ``depends``."""
        node = self.graph.nodes[self.node_name(task)]
        any_succeeded = all_failed = False
        if node.type == "TaskGroup":
            children = [self.graph.nodes[child] for child in node.children]
            any_succeeded = any(child.phase == SUCCEEDED for child in children)
            all_failed = bool(children) and all(child.phase == FAILED for child in children)
        return {"Succeeded": node.phase == SUCCEEDED, "Failed": node.phase == FAILED, "Errored": node.phase == ERROR,
                "Skipped": node.phase == SKIPPED, "Omitted": node.phase == OMITTED, "Daemoned": False,
                "AnySucceeded": any_succeeded, "AllFailed": all_failed}

    def _bare(self, task: str) -> list[str]:
        """What a bare task name accepts: ancestry.go's ``expandDependency``."""
        accepted = ["Succeeded", "Skipped", "Daemoned"]
        rule = self.tasks[task].get("continueOn") or {}
        if rule.get("error"):
            accepted.append("Errored")
        if rule.get("failed"):
            accepted.append("Failed")
        return accepted

    def _connect(self, node_name: str, task: str) -> None:
        """Argo's ``connectDependencies``: hang the node under its dependencies' outbound nodes, or the DAG."""
        deps = self._deps(task)
        if not deps:
            self.graph.link(self.node.name, node_name)
            return
        for dep in deps:
            for out in self.graph.outbound(self.node_name(dep)):
                self.graph.link(out, node_name)

    def _placeholder(self, task: str, phase: str, message: str) -> None:
        """A node for a task that does not run: Omitted, Skipped, or Error when it could not be expanded."""
        node_name = self.node_name(task)
        self.graph.add(_Node(node_name, self._path(task), "Skipped", self.tasks[task].get("template", ""), phase,
                             message))
        self._connect(node_name, task)

    def _scope(self, task: str) -> dict[str, str]:
        """Argo's ``buildLocalScopeFromTask``: the globals plus the variables of every ancestor task."""
        scope = {**self.run.globals, "tasks.name": task}
        for ancestor in self._ancestors(task):
            self.run.add_task_scope(scope, f"tasks.{ancestor}", self.graph.nodes[self.node_name(ancestor)])
        return scope

    def _ancestors(self, task: str) -> list[str]:
        found: list[str] = []
        pending = list(self._deps(task))
        while pending:
            name = pending.pop(0)
            if name not in found:
                found.append(name)
                pending += self._deps(name)
        return found

    def _run_task(self, task: str) -> None:
        """Resolve a task's references, expand its items, check ``when`` and execute its template."""
        resolved = substitute(self.tasks[task], self._scope(task), _task_level)
        try:
            items = _items(resolved)
        except HarnessError as exc:  # a withParam that is not a JSON list errors the task in Argo
            self._placeholder(task, ERROR, str(exc))
            return
        if items is None:
            self._connect(self.node_name(task), task)
            self._launch(self.node_name(task), self._path(task), resolved)
            return
        if not items:
            self._placeholder(task, SKIPPED, "Skipped, empty params")
            return
        group = self.graph.add(_Node(self.node_name(task), self._path(task), "TaskGroup", resolved.get("template", "")))
        self._connect(group.name, task)
        body = {key: value for key, value in resolved.items() if key not in _EXPANSIONS}
        for index, item in enumerate(items):
            label = _expanded_name(task, index, item)
            self.graph.link(group.name, self.node_name(label))
            self._launch(self.node_name(label), self._path(label), substitute(body, _item_scope(item), _always))
        failures = [self.graph.nodes[child].phase for child in group.children
                    if _failed_or_error(self.graph.nodes[child].phase)]
        group.phase = failures[-1] if failures else SUCCEEDED

    def _launch(self, node_name: str, path: str, task: dict[str, Any]) -> None:
        """Run one (expanded) task: Skipped when its ``when`` is false, else its template."""
        _require_resolved({key: value for key, value in task.items() if key not in _EXPANSIONS})
        when = task.get("when")
        if when and not evaluate_when(when):
            self.graph.add(_Node(node_name, path, "Skipped", task.get("template", ""), SKIPPED,
                                 f"when '{when}' evaluated false"))
            return
        if not task.get("template"):
            raise HarnessError(f"task {task['name']!r} names no template")
        self.run.execute(node_name, path, task["template"], _arguments(task), self.depth + 1)

    # ---- outputs

    def outputs(self) -> tuple[dict[str, str], str]:
        """The DAG template's output parameters (``valueFrom.parameter`` or ``value``), or why it errors."""
        scope = dict(self.run.globals)
        for task in self.tasks:
            node = self.graph.nodes.get(self.node_name(task))
            if node is not None:
                self.run.add_task_scope(scope, f"tasks.{task}", node)
        values: dict[str, str] = {}
        for param in (self.template.get("outputs") or {}).get("parameters") or []:
            name, source = param["name"], param.get("valueFrom") or {}
            if source.get("expression") or (self.template.get("outputs") or {}).get("artifacts"):
                raise HarnessError(f"DAG {self.template['name']!r}: output expressions and artifacts are not supported")
            if source.get("parameter"):
                value = self._output_reference(source["parameter"], scope)
                if value is None and "default" in source:
                    value = _text(source["default"])
                if value is None:
                    return values, f"Unable to resolve: {source['parameter']}"
                values[name] = value
            elif "value" in param:
                values[name] = substitute(_text(param["value"]), scope, _always)
        return values, ""

    def _output_reference(self, reference: str, scope: dict[str, str]) -> str | None:
        """Argo's ``resolveVar``: one ``{{tasks.T...}}`` variable; None when T has no such value yet."""
        tag = reference.strip()
        if tag.startswith("{{") and tag.endswith("}}"):
            tag = tag[2:-2].strip()
        if tag in scope:
            return scope[tag]
        parts = tag.split(".")
        if len(parts) < 3 or parts[0] != "tasks" or parts[1] not in self.tasks:
            raise HarnessError(f"DAG {self.template['name']!r}: cannot resolve output reference {reference!r}")
        return None


def _arguments(task: dict[str, Any]) -> dict[str, str]:
    arguments = task.get("arguments") or {}
    if arguments.get("artifacts"):
        raise HarnessError(f"task {task['name']!r}: argument artifacts are not supported")
    values = {}
    for param in arguments.get("parameters") or []:
        if "value" not in param:
            raise HarnessError(f"task {task['name']!r}: argument {param['name']!r} needs a value")
        values[param["name"]] = _text(param["value"])
    return values


def _items(task: dict[str, Any]) -> list[Any] | None:
    """The items a task fans out over, or None when it does not."""
    if "withItems" in task:
        return list(task["withItems"] or [])
    if "withParam" in task:
        text = _text(task["withParam"])
        _require_resolved(text)
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise HarnessError(f"withParam value could not be parsed as a JSON list: {text.strip()}")
        return items
    if "withSequence" in task:
        return _sequence(task["withSequence"])
    return None


def _sequence(sequence: dict[str, Any]) -> list[str]:
    """``withSequence``: numbers from start to end (or count of them), printed with ``format``."""
    start = _int(sequence.get("start", 0), "withSequence.start")
    if "end" in sequence and "count" in sequence:
        raise HarnessError("withSequence takes end or count, not both")
    if "end" in sequence:
        end = _int(sequence["end"], "withSequence.end")
    elif "count" in sequence:
        count = _int(sequence["count"], "withSequence.count")
        if count == 0:
            return []
        end = start + count - 1
    else:
        raise HarnessError("withSequence needs end or count")
    step = 1 if end >= start else -1
    return [sequence.get("format", "%d") % number for number in range(start, end + step, step)]


def _expanded_name(task: str, index: int, item: Any) -> str:
    """Argo's ``generateNodeName``: ``task(index:item)``, a map item as sorted ``key:value`` pairs."""
    if isinstance(item, dict):
        description = ",".join(sorted(f"{key}:{_go_text(value)}" for key, value in item.items()))
    else:
        description = _go_text(item)
    description = description.replace("(", "").replace(")", "")
    return f"{task}({index}:{description})"


def _item_scope(item: Any) -> dict[str, str]:
    """``{{item}}`` and, for a map item, ``{{item.key}}``."""
    if isinstance(item, dict):
        scope = {f"item.{key}": _go_text(value) for key, value in item.items()}
        scope["item"] = _json(item)
        return scope
    return {"item": _go_text(item)}


# --------------------------------------------------------------------------------------------- entry point


def _workflow_spec(document: dict[str, Any]) -> dict[str, Any]:
    """The workflow spec inside a Workflow, WorkflowTemplate or CronWorkflow document."""
    kind = document.get("kind")
    if kind in ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"):
        spec = document.get("spec")
    elif kind == "CronWorkflow":
        spec = (document.get("spec") or {}).get("workflowSpec")
    else:
        raise HarnessError(f"kind {kind!r} is not a workflow")
    if not isinstance(spec, dict):
        raise HarnessError(f"{kind} has no workflow spec")
    if spec.get("workflowTemplateRef"):
        raise HarnessError("spec.workflowTemplateRef is not supported")
    return spec


def run_workflow(document: dict, *, host_volumes: dict[str, str] | None = None,
                 config_maps: dict[str, dict[str, str]] | None = None,
                 secrets: dict[tuple[str, str], str] | None = None,
                 parameters: dict[str, str] | None = None, workflow_name: str = "wf-test",
                 image: str | None = None, extra_env: dict[str, str] | None = None,
                 user: str | None = None, client: Any = None) -> HarnessResult:
    """Execute an Argo document as Argo's controller would, each container template running in Docker.

    ``host_volumes`` maps PVC claim names to host folders; ``config_maps`` ConfigMap names to their files;
    ``secrets`` (secret, key) pairs to values; ``parameters`` overrides spec.arguments.parameters;
    ``image`` replaces every container image; ``extra_env`` is added to (and wins in) every container;
    ``user`` is the container user, by default the current uid:gid so files on host volumes stay the
    test's. Raises :class:`HarnessError` for what it cannot resolve or does not support.
    """
    spec = _workflow_spec(copy.deepcopy(document))
    own_client = client is None
    if own_client:
        import docker

        client = docker.from_env()
    tmp = Path(tempfile.mkdtemp(prefix="argo-harness-"))
    uid = str(uuid.uuid4())
    try:
        options = _Options(host_volumes=dict(host_volumes or {}), config_maps=dict(config_maps or {}),
                           secrets=dict(secrets or {}), image=image, extra_env=dict(extra_env or {}), tmp=tmp)
        pods = _DockerPods(client, user or f"{os.getuid()}:{os.getgid()}", uid)
        run = _Run(spec, document.get("metadata") or {}, workflow_name, dict(parameters or {}), options, pods, uid)
        return run.workflow()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if own_client:
            client.close()
