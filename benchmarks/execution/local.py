"""The local executor: a pebble process pool of spawned workers (no TensorFlow or BLAS state
is forked), a per-cell time limit that kills an overrunning worker, and BLAS / PyTorch /
TensorFlow threads pinned per worker."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from typing import Any

import pebble
from pebble.common.process import stop_process

from dgpbench.benchmarks.execution.environment import default_workers, warm_up, worker_environment


class _Pool(pebble.ProcessPool):
    """A pebble pool whose shutdown never lets a starting worker print a traceback.

    A worker that died (a crash, a cell killed past its time limit) is replaced at once, and a
    spawned replacement rebuilds the pool channel's locks from their names while it starts.
    pebble's shutdown unlinks those names first and then stops the workers one after the
    other, waiting for each: a replacement still starting meanwhile fails to find its locks
    and prints a ``FileNotFoundError`` traceback. Here every worker is signalled and reaped
    once no new one can be started (the manager loop has ended), before the locks go.
    Written against pebble 5 (``_pool_manager_loop``, ``_pool_manager.worker_manager``).
    """

    def _stop_pool(self) -> None:
        if self._pool_manager_loop is not None:
            self._pool_manager_loop.join()
        workers = tuple(self._pool_manager.worker_manager.workers.values())
        for worker in workers:
            worker.terminate()
        for worker in workers:
            stop_process(worker)  # reaps it; SIGKILL if it outlives pebble's grace period
        super()._stop_pool()


class LocalExecutor(cf.Executor):
    """Process pool of ``workers`` spawned processes; each call is killed after ``time_limit`` s.

    A cell that overruns raises ``TimeoutError`` from its future and one that kills its
    process raises ``pebble.ProcessExpired``; the pool replaces the worker and goes on.
    """

    def __init__(self, workers: int | None = None, time_limit: float | None = None, threads: int = 1):
        self.workers = workers or default_workers()
        self.time_limit = time_limit
        # Spawned children inherit the environment at start: pin their threads there.
        self._saved = {k: os.environ.get(k) for k in worker_environment(threads)}
        os.environ.update(worker_environment(threads))
        self._pool = _Pool(max_workers=self.workers, initializer=warm_up, context=multiprocessing.get_context("spawn"))

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
