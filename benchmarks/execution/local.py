"""The local executor: ``workers`` threads of the runner, each running its cells in a cell
process (:mod:`~dgpbench.benchmarks.execution.cell_process`) -- the same processes, limits
and statuses as on Dask, with BLAS / PyTorch / TensorFlow threads pinned per process."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any

from dgpbench.benchmarks.cell import run_cell
from dgpbench.benchmarks.execution.cell_process import CellProcessPool
from dgpbench.benchmarks.execution.environment import default_workers


class LocalExecutor(cf.Executor):
    """``submit(run_cell, spec, settings)`` runs the cell in a cell process of this executor,
    at most ``workers`` at a time; any other function runs as it is in one of its threads.

    A cell that overruns its time limit or memory limit, or kills its process, comes back as
    its row (``timeout``, ``crashed``) and the next cell gets a fresh process.
    """

    def __init__(self, workers: int | None = None, threads: int = 1):
        self.workers = workers or default_workers()
        self._processes = CellProcessPool(threads)
        self._threads = cf.ThreadPoolExecutor(self.workers, thread_name_prefix="dgpbench-cell")

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._threads.submit(self._processes.run if fn is run_cell else fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for the cells (``wait``), or cancel the queued ones and stop the running ones
        (``cancel_futures``); then stop the idle cell processes."""
        self._threads.shutdown(wait=False, cancel_futures=cancel_futures)
        if cancel_futures:
            self._processes.close()
        if wait or cancel_futures:
            self._threads.shutdown(wait=True)
            self._processes.close()
