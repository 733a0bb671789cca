"""The row of a cell whose future raised instead of returning a CellResult (its Dask worker
died, its cell process could not start) -- and the cells that get no row at all because the
infrastructure cancelled them (:func:`is_lost`). A cell past its time or memory limit, or
whose process died, returns its row from its cell process (``cell_process``)."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import sys


def failure_of(exc: BaseException) -> tuple[str, str]:
    """(status, message) for a future that raised instead of returning a CellResult."""
    if _is_killed_worker(exc):
        return "crashed", f"Dask worker died while running the cell: {exc}"
    return "error", f"{type(exc).__name__}: {exc}"


def is_lost(exc: BaseException) -> bool:
    """The cell was cancelled by the infrastructure, not ended by its model: a Dask client that
    lost its scheduler cancels every pending future. Such a cell has no result to store; the
    runner leaves it out, so that a resume runs it again."""
    return isinstance(exc, (cf.CancelledError, asyncio.CancelledError))


def _is_killed_worker(exc: BaseException) -> bool:
    """Dask gave up on the cell after its workers died (``allowed-failures`` times). Without
    ``distributed`` imported no Dask future ran, so the check never imports it."""
    if "distributed" not in sys.modules:
        return False
    from distributed.scheduler import KilledWorker

    return isinstance(exc, KilledWorker)
