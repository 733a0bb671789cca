"""Executors: anything with the ``concurrent.futures.Executor`` interface runs cells.

Local: a pebble process pool (spawned, so no TensorFlow or BLAS state is forked) with a
per-cell time limit that kills an overrunning worker, and BLAS / PyTorch / TensorFlow
threads pinned per worker so that workers x threads never oversubscribes the cores.

Distributed: a Dask ``distributed.Client(address).get_executor()`` -- the same runner code,
nothing home-made about scheduling, retries or data transfer. Dask runs tasks in threads of
a long-lived worker process, where a thread can be neither killed nor limited, so on Dask a
cell runs in a *cell process*: a child of the Dask worker (``serve`` below), started with the
thread variables pinned before anything heavy is imported and reused from cell to cell. The
Dask task hands it the cell as JSON and waits at most the cell's time limit; a cell that
overruns has its process killed and comes back as a ``timeout`` row, one that kills its
process (``os._exit``, a segfault) as ``crashed`` -- the Dask worker itself survives both.
A Dask worker that dies is Dask's business: the scheduler reruns its cells elsewhere and,
after ``distributed.scheduler.allowed-failures`` deaths, reports ``KilledWorker``, which the
runner records as ``crashed``.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from typing import Any

from dgpbench.benchmarks.cell import Cell, CellResult, run_cell

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "DGPBENCH_THREADS",
)
CHILD_START_TIMEOUT = 300.0  # seconds a new cell process may take to import dgpbench


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_environment(threads: int) -> dict[str, str]:
    env = {v: str(threads) for v in THREAD_VARS}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def warm_up() -> None:
    """Import what every cell needs when a worker starts, so that a cell's time limit counts
    its own work and not seconds of imports (which under load would time out the first cell
    of every fresh worker, and so every cell after a timeout). TensorFlow and PyTorch stay
    lazy: only the models that use them import them."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401

    from dgpbench.benchmarks import scoring  # noqa: F401


class LocalExecutor(cf.Executor):
    """Process pool of ``workers`` spawned processes; each call is killed after ``time_limit`` s.

    A cell that overruns raises ``TimeoutError`` from its future and one that kills its
    process raises ``pebble.ProcessExpired``; the pool replaces the worker and goes on.
    """

    def __init__(self, workers: int | None = None, time_limit: float | None = None, threads: int = 1):
        import pebble

        self.workers = workers or default_workers()
        self.time_limit = time_limit
        # Spawned children inherit the environment at start: pin their threads there.
        self._saved = {k: os.environ.get(k) for k in worker_environment(threads)}
        os.environ.update(worker_environment(threads))
        self._pool = pebble.ProcessPool(
            max_workers=self.workers, initializer=warm_up, context=multiprocessing.get_context("spawn")
        )

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._pool.schedule(fn, args=args, kwargs=kwargs, timeout=self.time_limit)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self._pool.stop()
        else:
            self._pool.close()
        if wait or cancel_futures:
            self._pool.join()
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- Dask ----------------------------------------------------------------------------------------


class DaskExecutor(cf.Executor):
    """Cells on an existing Dask cluster, through ``Client(address).get_executor()``.

    ``submit(run_cell, cell)`` runs :func:`run_cell_isolated` on a worker (the cell in a cell
    process with its time limit); any other function is submitted as it is.
    """

    def __init__(self, address: str, connect_timeout: float = 10.0):
        from distributed import Client
        from distributed.comm import get_address_host_port

        from dgpbench.errors import BadInput

        try:  # a malformed address fails here, not in a Client that then hangs on close
            get_address_host_port(address)
        except ValueError as exc:
            raise BadInput(
                f"--scheduler {address!r}: not a Dask scheduler address ({exc}); write tcp://HOST:PORT"
            ) from None
        except NotImplementedError:  # a backend without host and port (inproc://, ucx://): let Dask judge
            pass
        try:
            self.client = Client(address, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise BadInput(f"--scheduler {address!r}: cannot connect to a Dask scheduler: {exc}") from None
        self.address = address
        self._executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._executor.submit(run_cell_isolated if fn is run_cell else fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def dask_executor(address: str) -> DaskExecutor:
    """An executor on an existing Dask cluster (``dask scheduler`` / ``dask worker``)."""
    return DaskExecutor(address)


def _threads() -> int:
    try:
        return max(1, int(os.environ.get("DGPBENCH_THREADS", "1")))
    except ValueError:
        return 1


class _CellProcess:
    """Parent side of one cell process: JSON lines over its stdin and stdout."""

    def __init__(self) -> None:
        env = {**os.environ, **worker_environment(_threads())}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from dgpbench.benchmarks.executors import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self._buffer = b""
        self.signature: tuple = ()
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
        fd = self.proc.stdout.fileno()
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

    def run(self, cell: Cell) -> CellResult:
        key = cell.key()
        try:
            self.proc.stdin.write(json.dumps(asdict(cell)).encode() + b"\n")
            self.proc.stdin.flush()
            line = self._line(cell.time_limit)
        except (EOFError, BrokenPipeError):
            return CellResult(key, "crashed", f"cell process died ({self._exit_text()}) while running the cell")
        if line is None:
            self.kill()
            return CellResult(
                key, "timeout", f"cell exceeded the time limit of {cell.time_limit:g} s and its process was stopped"
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
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


_IDLE: list[_CellProcess] = []
_IDLE_LOCK = threading.Lock()


def run_cell_isolated(cell: Cell) -> CellResult:
    """``run_cell`` in a cell process of this (Dask worker) process, killed past the time limit.

    Cell processes are reused, one per concurrently running task, but only for cells with the
    same plugins, unchanged on disk (so an edited plugin file is never served from an old
    import); one that timed out or died is replaced by a fresh one for the next cell.
    """
    signature = _plugin_signature(cell.plugins)
    with _IDLE_LOCK:
        stale = [c for c in _IDLE if c.signature != signature or not c.alive()]
        for c in stale:
            _IDLE.remove(c)
            c.kill()
        child = _IDLE.pop() if _IDLE else None
    if child is None:
        child = _CellProcess()
        child.signature = signature
    result = child.run(cell)
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
    """Child side of a cell process: one JSON cell per line in, one JSON CellResult per line out.

    The protocol keeps the original stdout to itself; what a model prints goes to stderr.
    """
    _watch_parent(os.getppid())
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    warm_up()
    out.write(b"ready\n")
    for line in sys.stdin.buffer:
        doc = json.loads(line)
        cell = Cell(
            **{
                **doc,
                "metrics": tuple(doc["metrics"]) if doc["metrics"] is not None else None,
                "plugins": tuple(doc["plugins"]),
            }
        )
        result = run_cell(cell)
        try:
            text = json.dumps(result.to_dict(), default=_jsonable)
        except (TypeError, ValueError) as exc:
            text = json.dumps(
                CellResult(
                    result.cell_key, "error", f"result is not JSON serialisable: {exc}", timings=result.timings
                ).to_dict()
            )
        out.write(text.encode() + b"\n")


# -- a throwaway cluster of real dask processes, for tests, perf figures and trying it --------------


class DaskProcesses:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (random free ports).

    For tests and perf figures; ``make cluster`` is the foreground equivalent. Each worker has
    one thread and the thread variables pinned; logs go to ``folder``. Use as a context manager.
    """

    def __init__(self, folder: str | os.PathLike, n_workers: int = 2, timeout: float = 120.0):
        self.folder = os.fspath(folder)
        self.n_workers = n_workers
        self.timeout = timeout
        self.scheduler_file = os.path.join(self.folder, "scheduler.json")
        self.procs: list[subprocess.Popen] = []
        self.address = ""

    def _dask(self) -> list[str]:
        script = os.path.join(os.path.dirname(sys.executable), "dask")
        return [script] if os.path.exists(script) else [sys.executable, "-m", "dask"]

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        env = {**os.environ, **worker_environment(1)}
        with open(os.path.join(self.folder, log), "ab") as f:
            proc = subprocess.Popen(
                self._dask() + args,
                stdout=f,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def start(self) -> DaskProcesses:
        os.makedirs(self.folder, exist_ok=True)
        self._spawn(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                self.scheduler_file,
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(self.scheduler_file):
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.close()
                raise RuntimeError(f"dask scheduler did not start; see {self.folder}/scheduler.log")
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go, but give it a moment
        with open(self.scheduler_file) as f:
            self.address = json.load(f)["address"]
        for i in range(self.n_workers):
            self.add_worker(f"worker-{i}")
        self.wait_for_workers(self.n_workers)
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        return self._spawn(
            [
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--death-timeout",
                "60",
                "--local-directory",
                os.path.join(self.folder, name),
            ],
            f"{name}.log",
        )

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            try:
                client.wait_for_workers(n, timeout=self.timeout)
            except TimeoutError:
                self.close()
                raise RuntimeError(
                    f"{n} dask workers did not join within {self.timeout:g} s; see the logs in {self.folder}"
                ) from None

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.procs.clear()

    def __enter__(self) -> DaskProcesses:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def failure_of(exc: BaseException, time_limit: float | None) -> tuple[str, str]:
    """(status, message) for a future that raised instead of returning a CellResult."""
    try:
        from pebble import ProcessExpired
    except ImportError:  # pragma: no cover
        ProcessExpired = ()
    if isinstance(exc, TimeoutError):
        return "timeout", f"cell exceeded the time limit of {time_limit:g} s and its worker was stopped"
    if ProcessExpired and isinstance(exc, ProcessExpired):
        return "crashed", f"worker process died (exit code {exc.exitcode}) while running the cell"
    name = type(exc).__name__
    if "KilledWorker" in name:
        return "crashed", f"Dask worker died while running the cell: {exc}"
    return "error", f"{name}: {exc}"
