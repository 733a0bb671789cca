"""Cell processes: where every cell runs, locally and on Dask. Its parent (a thread of the
local runner, or of a Dask worker) starts a child (:func:`serve`) with the thread variables
pinned before anything heavy is imported; they speak JSON lines over the child's stdin and
stdout: one ``{"spec", "settings", "log"}`` document in, one CellResult out.

The parent bounds what a cell may take, whatever the model does, because it watches from
outside: it waits at most the cell's time limit (past it: ``timeout``) and samples the
resident memory of the child and everything the child started every :data:`POLL_S` seconds
(over ``memory_limit``: ``crashed``, "memory limit"); either way it kills the child with its
descendants and process group. A child that dies (``os._exit``, a segfault, the OOM killer)
is ``crashed`` at once. After every cell the child stops the processes the cell started, and
what the cell printed (stdout and stderr, at the file-descriptor level, so C extensions'
output too) is the cell's log, not the runner's terminal.

A child is reused for the next cell only after a cell that ran nothing but dgpbench's own
code and ended ``ok`` or ``skipped``; after a plugin's generator, model or metric, or a failed
cell, the next cell gets a fresh child, so module state a plugin changed cannot reach later
cells. A fresh child costs about 2 s of imports against 0.02-0.07 s for a reference cell
(docs/distributed.md, "Cells are isolated"), which is why built-in cells share one.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

from dgpbench.benchmarks.cell import CellResult, run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, RunSettings
from dgpbench.benchmarks.execution import process_tree
from dgpbench.benchmarks.execution.environment import warm_up, worker_environment
from dgpbench.benchmarks.store import MAX_ERROR_CHARS, capped
from dgpbench.models.base import thread_count

CHILD_START_TIMEOUT = 300.0  # seconds a new cell process may take to import dgpbench
POLL_S = 0.1  # how often the parent samples a running cell's memory
SERVE = "from dgpbench.benchmarks.execution.cell_process import serve; serve()"
REUSABLE = ("ok", "skipped")  # a cell ending otherwise may have left its process in any state


class _CellProcess:
    """Parent side of one cell process: JSON lines over its stdin and stdout."""

    def __init__(self, threads: int, signature: tuple = ()) -> None:
        env = {**os.environ, **worker_environment(threads)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: a terminal's Ctrl-C is the runner's to handle
        )
        self.stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]  # both are PIPEs, so never None
        self.stdout: IO[bytes] = self.proc.stdout  # type: ignore[assignment]
        self._buffer = b""
        self.signature = signature

    def wait_ready(self) -> None:
        """Wait for the child's imports; kill it and raise RuntimeError if it does not start."""
        try:
            if self._line(CHILD_START_TIMEOUT) is None:
                raise RuntimeError(f"cell process did not start within {CHILD_START_TIMEOUT:g} s")
        except EOFError:
            self.kill()
            raise RuntimeError(
                "cell process exited while starting (is dgpbench installed on this worker? see the worker's log)"
            ) from None
        except BaseException:
            self.kill()
            raise

    def _line(self, timeout: float) -> bytes | None:
        """The next line the process writes; None after ``timeout`` s; EOFError if it died."""
        deadline = time.monotonic() + timeout
        fd = self.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def run(self, spec: CellSpec, settings: RunSettings) -> tuple[CellResult, bool]:
        """The cell's result, with its log, and whether this process may serve another cell."""
        fd, log = tempfile.mkstemp(prefix="dgpbench-cell-", suffix=".log")
        os.close(fd)
        try:
            result, plugin_code = self._run(spec, settings, log)
            result.log = read_log(log)
        finally:
            os.unlink(log)
        return result, self.alive() and not plugin_code and result.status in REUSABLE

    def _run(self, spec: CellSpec, settings: RunSettings, log: str) -> tuple[CellResult, bool]:
        key = spec.key()
        request = json.dumps({"spec": spec.to_dict(), "settings": settings.to_dict(), "log": log})
        started = time.monotonic()
        deadline = started + settings.time_limit

        def stopped(status: str, message: str, ran: float) -> tuple[CellResult, bool]:
            """The row of a cell this parent stopped (or saw die): the child never reported its
            timings, so the time it ran until then, ``ran``, is its ``total_s``."""
            return CellResult(key, status, message, timings={"total_s": ran}), False

        try:
            self.stdin.write(request.encode() + b"\n")
            self.stdin.flush()
            while (line := self._line(min(POLL_S, max(0.0, deadline - time.monotonic())))) is None:
                if time.monotonic() >= deadline:
                    limit = settings.time_limit
                    result = stopped(
                        "timeout",
                        f"cell exceeded the time limit of {limit:g} s and its process was stopped",
                        time.monotonic() - started,
                    )
                    self.kill()
                    return result
                used = process_tree.tree_resident_mb(self.proc.pid)
                if used > settings.memory_limit:
                    result = stopped(
                        "crashed",
                        f"memory limit: the cell used {used:,.0f} MB of resident memory, over its limit of "
                        f"{settings.memory_limit:g} MB (suite key memory_limit), and its process was stopped",
                        time.monotonic() - started,
                    )
                    self.kill()
                    return result
        except (EOFError, BrokenPipeError):
            ran = time.monotonic() - started  # timed before reading the exit status, which may wait
            return stopped("crashed", f"cell process died ({self._exit_text()}) while running the cell", ran)
        doc = json.loads(line)
        plugin_code = bool(doc.pop("plugin_code", True))
        return CellResult(**doc), plugin_code

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _exit_text(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if code is not None and code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def kill(self) -> None:
        """Stop the process with everything it started, reap it and close its pipes."""
        process_tree.kill_tree(self.proc.pid)
        self.proc.wait()
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass


def read_log(path: str, limit: int = MAX_ERROR_CHARS) -> str:
    """A cell's log as stored: whole up to ``limit`` characters, else its head and tail (read
    without loading a log of any size)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size <= 4 * limit:
            return capped(f.read().decode("utf-8", "replace"), limit)
        half = limit // 2 - 100  # room for the marker: the result fits ``limit``
        head = f.read(half)
        f.seek(-half, os.SEEK_END)
        tail = f.read(half)
    cut = f"\n[... {size - 2 * half:,} bytes cut ...]\n"
    return head.decode("utf-8", "replace") + cut + tail.decode("utf-8", "replace")


class CellProcessPool:
    """Cell processes for the threads of one process: an idle one is reused when it imported
    the same plugins, unchanged on disk (so an edited plugin file is never served from an old
    import) and its last cell left it reusable (module docstring); :meth:`close` stops them all,
    busy ones included."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._idle: list[_CellProcess] = []
        self._busy: set[_CellProcess] = set()
        self._lock = threading.Lock()
        self._closed = False

    def run(self, spec: CellSpec, settings: RunSettings) -> CellResult:
        """``run_cell`` in a cell process, within the settings' time and memory limits."""
        child = self._take(_plugin_signature(settings.plugins))
        try:
            result, reusable = child.run(spec, settings)
        finally:
            with self._lock:
                self._busy.discard(child)
        with self._lock:
            if reusable and not self._closed:
                self._idle.append(child)
                return result
        child.kill()
        return result

    def _take(self, signature: tuple) -> _CellProcess:
        """An idle process for these plugins, or a new one (busy from its start, so that
        :meth:`close` stops it too)."""
        with self._lock:
            stale = [c for c in self._idle if c.signature != signature or not c.alive()]
            for c in stale:
                self._idle.remove(c)
            child = self._idle.pop() if self._idle else None
            fresh = child is None
            if child is None:
                if self._closed:
                    raise RuntimeError("the cell process pool is closed")
                child = _CellProcess(self.threads or thread_count(), signature)
            self._busy.add(child)
        for c in stale:
            c.kill()
        if fresh:
            try:
                child.wait_ready()
            except BaseException:
                with self._lock:
                    self._busy.discard(child)
                raise
        return child

    def close(self) -> None:
        """Stop every cell process, idle or running a cell (its cell then ends ``crashed``)."""
        with self._lock:
            self._closed = True
            children = [*self._idle, *self._busy]
            self._idle.clear()
        for c in children:
            c.kill()


_POOL = CellProcessPool()  # a Dask worker's cell processes, kept from task to task


def run_cell_isolated(spec: CellSpec, settings: RunSettings) -> CellResult:
    """``run_cell`` in a cell process of this (Dask worker) process, within its limits."""
    return _POOL.run(spec, settings)


def _plugin_signature(plugins: tuple[str, ...]) -> tuple:
    """The plugins a cell process has imported, with each plugin file's modification time."""
    out = []
    for p in plugins:
        try:
            out.append((p, os.stat(p).st_mtime_ns if p.endswith(".py") else None))
        except OSError:
            out.append((p, None))
    return tuple(out)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _watch_parent(parent: int) -> None:
    """Exit, with everything this process started, when the process that started it is gone
    (a Dask worker or a local runner killed or stopped)."""

    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        process_tree.kill_descendants(os.getpid())
        os._exit(3)

    threading.Thread(target=loop, daemon=True, name="watch-parent").start()


def _become_subreaper() -> None:
    """Adopt this process's orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``), so that a
    grandchild whose parent exited (``sh -c 'sleep 1000 &'``) is still found and stopped."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # not Linux: orphans escape to init, the process group still ends them
        pass


@contextlib.contextmanager
def _output_to(path: str | None) -> Iterator[None]:
    """File descriptors 1 and 2 (and so ``print``, ``logging`` and C code alike) go to ``path``."""
    if not path:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a model may have closed or replaced them
                stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (*saved, fd):
            os.close(f)


def _ran_plugin_code(spec: CellSpec, settings: RunSettings) -> bool:
    """Whether the cell ran code that is not dgpbench's own: a generator, model or metric that
    a plugin or an entry point registered."""
    from dgpbench.benchmarks.metrics import METRICS, split_key
    from dgpbench.errors import BadInput
    from dgpbench.generators.registry import GENERATORS
    from dgpbench.models.registry import MODELS

    metrics = settings.metrics if settings.metrics is not None else tuple(METRICS.names())
    named = [(GENERATORS, spec.generator.name), (MODELS, spec.model.name)]
    named += [(METRICS, split_key(m)[0]) for m in metrics]
    for registry, name in named:
        try:
            if registry.entry(name).source != "builtin":
                return True
        except BadInput:
            return True
    return False


def serve() -> None:
    """Child side of a cell process: one JSON request per line in, one JSON CellResult per line out.

    The protocol keeps the original stdout to itself; between cells, output goes to stderr,
    during a cell to the cell's log. SIGINT is ignored: no terminal's Ctrl-C reaches this
    process (it has a session of its own), so every ``KeyboardInterrupt`` is a model's.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _become_subreaper()
    _watch_parent(os.getppid())
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    warm_up()
    out.write(b"ready\n")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        spec, settings = CellSpec.from_dict(request["spec"]), RunSettings.from_dict(request["settings"])
        with _output_to(request.get("log")):
            result = run_cell(spec, settings)
            process_tree.kill_descendants(os.getpid())  # what the cell started ends with it
            process_tree.reap_children()
        plugin_code = {"plugin_code": _ran_plugin_code(spec, settings)}
        try:
            text = json.dumps({**result.to_dict(), **plugin_code}, default=_jsonable)
        except (TypeError, ValueError) as exc:
            failed = CellResult(
                result.cell_key, "error", f"result is not JSON serialisable: {exc}", timings=result.timings
            )
            text = json.dumps({**failed.to_dict(), **plugin_code})
        out.write(text.encode() + b"\n")
