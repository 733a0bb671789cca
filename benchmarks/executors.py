"""Executors: anything with the ``concurrent.futures.Executor`` interface runs cells.

Local: a pebble process pool (spawned, so no TensorFlow or BLAS state is forked) with a
per-cell time limit that kills an overrunning worker, and BLAS / PyTorch / TensorFlow
threads pinned per worker so that workers x threads never oversubscribes the cores.
Distributed: a Dask ``distributed.Client(address).get_executor()`` -- the same runner code.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "DGPBENCH_THREADS")


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_environment(threads: int) -> dict[str, str]:
    env = {v: str(threads) for v in THREAD_VARS}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


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
        self._pool = pebble.ProcessPool(max_workers=self.workers, context=multiprocessing.get_context("spawn"))

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


def dask_executor(address: str) -> cf.Executor:
    """An executor on an existing Dask cluster (``dask scheduler`` / ``dask worker``)."""
    from dgpbench.errors import BadInput

    try:
        from distributed import Client
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise BadInput(f"--scheduler {address!r}: cannot connect to a Dask scheduler: {exc}") from None
    executor = client.get_executor(pure=False)
    executor.client = client
    return executor


def failure_of(exc: BaseException, time_limit: float | None) -> tuple[str, str]:
    """(status, message) for a future that raised instead of returning a CellResult."""
    try:
        from pebble import ProcessExpired
    except ImportError:  # pragma: no cover
        ProcessExpired = ()  # noqa: N806
    if isinstance(exc, TimeoutError):
        return "timeout", f"cell exceeded the time limit of {time_limit:g} s and its worker was stopped"
    if ProcessExpired and isinstance(exc, ProcessExpired):
        return "crashed", f"worker process died (exit code {exc.exitcode}) while running the cell"
    name = type(exc).__name__
    if "KilledWorker" in name:
        return "crashed", f"Dask worker died while running the cell: {exc}"
    return "error", f"{name}: {exc}"
