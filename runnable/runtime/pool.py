"""Running the branches of a composite step, one after another or in forked workers.

With ``enable_parallel``, Parallel branches and Map items run in forked worker processes
rather than threads: Python tasks run in-process, redirect ``sys.stdout`` and set
environment variables (secrets, loop indices), which threads would share, and CPU-bound
tasks would serialise on the GIL. Forked workers start with the parent's modules
already imported, so a worker costs a few milliseconds, not an interpreter start.

The pool is a few pipes rather than ``concurrent.futures``: branch indices go out through
one shared pipe (4-byte reads from a pipe are atomic, so each index reaches exactly one
worker, and whichever worker is free takes the next), and results come back through one
pipe per worker. Per item that is two small writes and two reads, where a process pool
pickles calls through a queue guarded by locks and wakes several threads; for a map over
a thousand short items that difference is most of the run time.

Each worker writes its own step records (one file per step, atomic renames), so
concurrent writers never conflict. Composites nested inside a worker run sequentially.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import struct
import sys
from typing import TYPE_CHECKING, Any

from runnable.ir.model import Graph
from runnable.runtime import events
from runnable.runtime.scope import Scope
from runnable.stores.atomic import write_all
from runnable.stores.records import FAIL, SUCCESS

if TYPE_CHECKING:
    from runnable.runtime.local import GraphWalker

Result = tuple[str, str, Any]
_INDEX = struct.Struct("=i")
_LENGTH = struct.Struct("=Q")
_STOP = -1


def run_branches(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
                 fail_fast: bool, limit: int = 0) -> list[Result]:
    """Each branch's (key, status, returned); at most ``limit`` branches at once when it is set."""
    workers = min(walker.ctx.parallel_workers, len(children), limit or len(children))
    if workers <= 1 or walker.in_worker:
        return _sequential(walker, internal, children, fail_fast)
    return _forked(walker, internal, children, fail_fast, workers)


def _sequential(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
                fail_fast: bool) -> list[Result]:
    results: list[Result] = []
    for key, graph, scope in children:
        status = walker.run(graph, f"{internal}.{key}.", scope)
        results.append((key, status, scope.returned))
        events.emit(events.BRANCH_FINISHED, walker.ctx.run_id, internal, status, detail=key)
        if fail_fast and status != SUCCESS:
            break
    return results


def _forked(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]],
            fail_fast: bool, workers: int) -> list[Result]:
    sys.stdout.flush()
    sys.stderr.flush()
    task_read, task_write = os.pipe()
    pids: dict[int, int] = {}  # result pipe fd -> worker pid
    try:
        for _ in range(workers):
            result_read, result_write = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the worker
                os.close(task_write)
                os.close(result_read)
                _worker(walker, internal, children, task_read, result_write)
            os.close(result_write)
            pids[result_read] = pid
        os.close(task_read)
        outcomes = _collect(children, pids, task_write, workers, fail_fast, walker.ctx.run_id, internal)
    except BaseException:
        _stop(pids)
        raise
    finally:
        _close(task_write)
        for fd in pids:
            _close(fd)
        for pid in pids.values():
            _reap(pid)
    results: list[Result] = []
    for index, (key, _, _) in enumerate(children):
        if index in outcomes:
            status, returned = outcomes[index]
            results.append((key, status, returned))
        elif not fail_fast:
            results.append((key, FAIL, {}))  # its worker died (killed, out of memory)
    return results


def _collect(children: list[tuple[str, Graph, Scope]], pids: dict[int, int], task_write: int, workers: int,
             fail_fast: bool, run_id: str = "", internal: str = "") -> dict[int, tuple[str, Any]]:
    """Hand out indices as workers free up and gather (status, returned) per index."""
    os.set_blocking(task_write, False)
    queue = [_INDEX.pack(i) for i in range(len(children))] + [_INDEX.pack(_STOP)] * workers
    buffers = {fd: b"" for fd in pids}
    outcomes: dict[int, tuple[str, Any]] = {}
    with selectors.DefaultSelector() as selector:
        for fd in pids:
            selector.register(fd, selectors.EVENT_READ)
        if queue:
            selector.register(task_write, selectors.EVENT_WRITE)
        open_results = len(pids)
        while open_results:
            for key, _ in selector.select():
                fd = key.fd
                if fd == task_write:
                    queue = _feed(task_write, queue)
                    if not queue:
                        selector.unregister(task_write)
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    selector.unregister(fd)
                    open_results -= 1
                    continue
                buffers[fd] += chunk
                for index, status, returned in _messages(buffers, fd):
                    outcomes[index] = (status, returned)
                    events.emit(events.BRANCH_FINISHED, run_id, internal, status, detail=children[index][0])
                    if fail_fast and status != SUCCESS:
                        _stop(pids)
                        return outcomes
    return outcomes


def _feed(fd: int, queue: list[bytes]) -> list[bytes]:
    """Write as many indices as the pipe takes now; the rest wait for the next turn."""
    data = b"".join(queue)
    try:
        written = os.write(fd, data)
    except BlockingIOError:
        return queue
    return queue[written // _INDEX.size:]


def _messages(buffers: dict[int, bytes], fd: int) -> list[tuple[int, str, Any]]:
    found = []
    data = buffers[fd]
    while len(data) >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(data)
        if len(data) < _LENGTH.size + length:
            break
        found.append(pickle.loads(data[_LENGTH.size:_LENGTH.size + length]))
        data = data[_LENGTH.size + length:]
    buffers[fd] = data
    return found


def _worker(walker: "GraphWalker", internal: str, children: list[tuple[str, Graph, Scope]], task_read: int,
            result_write: int) -> None:  # pragma: no cover - runs in the worker
    """Take indices until told to stop; report each branch's outcome; never return."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent decides what an interrupt means
        events.stop_watching_here()  # the parent's watchers report for its workers
        walker.in_worker = True
        while True:
            raw = os.read(task_read, _INDEX.size)
            if len(raw) < _INDEX.size:
                break
            (index,) = _INDEX.unpack(raw)
            if index == _STOP:
                break
            key, graph, scope = children[index]
            try:
                status = walker.run(graph, f"{internal}.{key}.", scope)
            except Exception as exc:  # a runtime failure fails this branch only
                sys.stderr.write(f"{internal}.{key}: {type(exc).__name__}: {exc}\n")
                status = FAIL
            payload = pickle.dumps((index, status, scope.returned), protocol=pickle.HIGHEST_PROTOCOL)
            write_all(result_write, _LENGTH.pack(len(payload)) + payload)
    except BaseException:
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _stop(pids: dict[int, int]) -> None:
    for pid in pids.values():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
