"""The row of a cell whose future raised instead of returning a CellResult: the executor
killed it past its time limit, its process died, or its Dask worker did -- and the cells that
get no row at all because the infrastructure cancelled them (:func:`is_lost`)."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import sys


def failure_of(exc: BaseException, time_limit: float | None) -> tuple[str, str]:
    """(status, message) for a future that raised instead of returning a CellResult."""
    if isinstance(exc, TimeoutError):
        return "timeout", f"cell exceeded the time limit of {time_limit:g} s and its worker was stopped"
    if _is_process_expired(exc):
        return "crashed", f"worker process died (exit code {getattr(exc, 'exitcode', None)}) while running the cell"
    if _is_killed_worker(exc):
        return "crashed", f"Dask worker died while running the cell: {exc}"
    return "error", f"{type(exc).__name__}: {exc}"


def is_lost(exc: BaseException) -> bool:
    """The cell was cancelled by the infrastructure, not ended by its model: a Dask client that
    lost its scheduler cancels every pending future. Such a cell has no result to store; the
    runner leaves it out, so that a resume runs it again."""
    return isinstance(exc, (cf.CancelledError, asyncio.CancelledError))


def _is_process_expired(exc: BaseException) -> bool:
    try:
        from pebble import ProcessExpired
    except ImportError:  # pragma: no cover - pebble is a dependency; without it no pool raised this
        return False
    return isinstance(exc, ProcessExpired)


def _is_killed_worker(exc: BaseException) -> bool:
    """Dask gave up on the cell after its workers died (``allowed-failures`` times). Without
    ``distributed`` imported no Dask future ran, so the check never imports it."""
    if "distributed" not in sys.modules:
        return False
    from distributed.scheduler import KilledWorker

    return isinstance(exc, KilledWorker)
