"""The local executor: a pebble process pool of spawned workers (no TensorFlow or BLAS state
is forked), a per-cell time limit that kills an overrunning worker, and BLAS / PyTorch /
TensorFlow threads pinned per worker."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

import pebble
from pebble.common import ProcessExpired, Result, ResultStatus
from pebble.common.process import stop_process
from pebble.pool.process import PoolManager, WorkerManager

from dgpbench.benchmarks.execution.environment import default_workers, warm_up, worker_environment


class _WorkerManager(WorkerManager):
    """pebble's worker manager, remembering the workers that exited with code 0.

    pebble reports a worker that dies with a non-zero code (its task fails at once with
    ``ProcessExpired``) but drops one that exits cleanly: a model calling ``os._exit(0)``
    left its cell waiting out the whole time limit, to be stored as ``timeout``. The list
    of dead workers is taken once, here, so none can slip between two looks at it.
    Written against pebble 5 (``WorkerManager.inspect_workers``).
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.clean_exits: set[int] = set()

    def inspect_workers(self) -> tuple:
        expired = tuple(w for w in tuple(self.workers.values()) if not w.is_alive())
        for worker in expired:
            if worker.pid is not None:
                self.workers.pop(worker.pid, None)
        self.clean_exits.update(w.pid for w in expired if w.exitcode == 0 and w.pid is not None)
        return tuple((w.pid, w.exitcode) for w in expired if w.exitcode != 0)


class _PoolManager(PoolManager):
    """pebble's pool manager, failing the task of a worker that exited with code 0 as crashed.

    A task counts as that worker's as soon as the worker's acknowledgement arrives, which
    may be after the worker is gone: the remembered exits are checked on every round.
    """

    def __init__(self, context: Any, mp_context: Any) -> None:
        super().__init__(context, mp_context)
        self._workers = _WorkerManager(context.workers, context.worker_parameters, mp_context)
        self.worker_manager = self._workers

    def update_workers(self) -> None:
        super().update_workers()
        gone = self._workers.clean_exits
        gone -= set(self._workers.workers)  # a pid the system gave a new worker is no longer a dead one
        for task in tuple(self.task_manager.tasks.values()):
            if task.worker_id in gone:
                expired = ProcessExpired("Abnormal termination", code=0, pid=task.worker_id)
                self.task_manager.task_done(task.id, Result(ResultStatus.ERROR, expired))


class _Pool(pebble.ProcessPool):
    """A pebble pool whose shutdown never lets a starting worker print a traceback.

    A worker that died (a crash, a cell killed past its time limit) is replaced at once, and a
    spawned replacement rebuilds the pool channel's locks from their names while it starts.
    pebble's shutdown unlinks those names first and then stops the workers one after the
    other, waiting for each: a replacement still starting meanwhile fails to find its locks
    and prints a ``FileNotFoundError`` traceback. Here every worker is signalled and reaped
    once no new one can be started (the manager loop has ended), before the locks go.
    Written against pebble 5 (``_pool_manager_loop``, ``_pool_manager.worker_manager``).
    A worker that exits with code 0 mid-cell fails its cell at once (:class:`_PoolManager`).
    """

    def __init__(self, max_workers: int, initializer: Callable[[], None], context: Any) -> None:
        super().__init__(max_workers=max_workers, initializer=initializer, context=context)
        self._pool_manager = _PoolManager(self._context, context)

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
    process (with any exit code, 0 included) raises ``pebble.ProcessExpired`` at once; the
    pool replaces the worker and goes on.
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
