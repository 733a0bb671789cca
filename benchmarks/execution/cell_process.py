"""Cell processes: how a Dask worker runs a cell it can kill. The worker (parent side,
:func:`run_cell_isolated`) starts a child (:func:`serve`) with the thread variables pinned
before anything heavy is imported, and reuses it from cell to cell. They speak JSON lines
over the child's stdin and stdout: one ``{"spec", "settings"}`` document in, one CellResult
out. The parent waits at most the cell's time limit; a cell that overruns has its process
killed and comes back as a ``timeout`` row, one that kills its process (``os._exit``, a
segfault) as ``crashed`` -- the Dask worker itself survives both.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any

from dgpbench.benchmarks.cell import CellResult, run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, RunSettings
from dgpbench.benchmarks.execution.environment import warm_up, worker_environment
from dgpbench.models.base import thread_count

CHILD_START_TIMEOUT = 300.0  # seconds a new cell process may take to import dgpbench
SERVE = "from dgpbench.benchmarks.execution.cell_process import serve; serve()"


class _CellProcess:
    """Parent side of one cell process: JSON lines over its stdin and stdout."""

    def __init__(self, signature: tuple = ()) -> None:
        env = {**os.environ, **worker_environment(thread_count())}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self.stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]  # both are PIPEs, so never None
        self.stdout: IO[bytes] = self.proc.stdout  # type: ignore[assignment]
        self._buffer = b""
        self.signature = signature
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

    def run(self, spec: CellSpec, settings: RunSettings) -> CellResult:
        key = spec.key()
        request = json.dumps({"spec": spec.to_dict(), "settings": settings.to_dict()})
        try:
            self.stdin.write(request.encode() + b"\n")
            self.stdin.flush()
            line = self._line(settings.time_limit)
        except (EOFError, BrokenPipeError):
            return CellResult(key, "crashed", f"cell process died ({self._exit_text()}) while running the cell")
        if line is None:
            self.kill()
            return CellResult(
                key, "timeout", f"cell exceeded the time limit of {settings.time_limit:g} s and its process was stopped"
            )
        return CellResult(**json.loads(line))

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
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the cell's own children too
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass


_IDLE: list[_CellProcess] = []
_IDLE_LOCK = threading.Lock()


def run_cell_isolated(spec: CellSpec, settings: RunSettings) -> CellResult:
    """``run_cell`` in a cell process of this (Dask worker) process, killed past the time limit.

    Cell processes are reused, one per concurrently running task, but only for cells with the
    same plugins, unchanged on disk (so an edited plugin file is never served from an old
    import); one that timed out or died is replaced by a fresh one for the next cell.
    """
    signature = _plugin_signature(settings.plugins)
    with _IDLE_LOCK:
        stale = [c for c in _IDLE if c.signature != signature or not c.alive()]
        for c in stale:
            _IDLE.remove(c)
            c.kill()
        child = _IDLE.pop() if _IDLE else None
    if child is None:
        child = _CellProcess(signature)
    result = child.run(spec, settings)
    if child.alive():
        with _IDLE_LOCK:
            _IDLE.append(child)
    else:
        child.kill()  # reap it and close its pipes
    return result


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
    """Exit when the Dask worker that started this process is gone (killed or stopped)."""

    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=loop, daemon=True, name="watch-parent").start()


def serve() -> None:
    """Child side of a cell process: one JSON request per line in, one JSON CellResult per line out.

    The protocol keeps the original stdout to itself; what a model prints goes to stderr.
    """
    _watch_parent(os.getppid())
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    warm_up()
    out.write(b"ready\n")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        result = run_cell(CellSpec.from_dict(request["spec"]), RunSettings.from_dict(request["settings"]))
        try:
            text = json.dumps(result.to_dict(), default=_jsonable)
        except (TypeError, ValueError) as exc:
            text = json.dumps(
                CellResult(
                    result.cell_key, "error", f"result is not JSON serialisable: {exc}", timings=result.timings
                ).to_dict()
            )
        out.write(text.encode() + b"\n")
