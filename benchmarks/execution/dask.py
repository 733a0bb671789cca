"""Cells on an existing Dask cluster: a ``distributed.Client(address).get_executor()`` -- the
same runner code, nothing home-made about scheduling, retries or data transfer.

Dask runs tasks in threads of a long-lived worker process, where a thread can be neither
killed nor limited, so each cell runs in a cell process the Dask worker starts and can kill
(:mod:`~dgpbench.benchmarks.execution.cell_process`). A Dask worker that dies is Dask's
business: the scheduler reruns its cells elsewhere and, after
``distributed.scheduler.allowed-failures`` deaths, raises ``KilledWorker``, which the runner
records as ``crashed``.

A Dask client that loses its scheduler cancels every pending future: the runner treats those
cells as lost (no row; a resume runs them). A cell that finished just before, whose result
the client then fails to fetch, is left pending by ``distributed`` for ever; the executor
fails such futures as cancelled once its client has closed (:meth:`DaskExecutor._watch`).

Before any client exists, the address is asked who it is within :data:`SCHEDULER_TIMEOUT`
seconds, because ``distributed``'s own handshake waits without a limit for a peer that
accepts the connection and never answers (an HTTP server, a silent port).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import threading
from typing import Any

from dgpbench.benchmarks.cell import run_cell
from dgpbench.benchmarks.execution.cell_process import run_cell_isolated
from dgpbench.errors import BadInput

SCHEDULER_TIMEOUT = 5.0  # seconds the address has to answer as a Dask scheduler (connect included)
WATCH_S = 0.5  # how often the executor looks whether its client has closed


class DaskExecutor(cf.Executor):
    """Cells on an existing Dask cluster, through ``Client(address).get_executor()``.

    ``submit(run_cell, spec, settings)`` runs :func:`run_cell_isolated` on a worker (the cell
    in a cell process within its time and memory limits); any other function is submitted as it is.
    """

    def __init__(self, address: str, connect_timeout: float = SCHEDULER_TIMEOUT):
        from distributed import Client
        from distributed.comm import get_address_host_port

        try:  # a malformed address fails here, not in a Client that then hangs on close
            get_address_host_port(address)
        except ValueError as exc:
            raise BadInput(
                f"--scheduler {address!r}: not a Dask scheduler address ({exc}); write tcp://HOST:PORT"
            ) from None
        except NotImplementedError:  # a backend without host and port (inproc://, ucx://): let Dask judge
            pass
        _check_is_scheduler(address, connect_timeout)
        try:
            self.client = Client(address, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise BadInput(f"--scheduler {address!r}: cannot connect to a Dask scheduler: {exc}") from None
        self.address = address
        self._executor = self.client.get_executor(pure=False)
        self._pending: set[cf.Future] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name="dask-client-watch").start()

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> cf.Future:
        future = self._executor.submit(run_cell_isolated if fn is run_cell else fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: cf.Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def _watch(self) -> None:
        """Once the client has closed on its own (its scheduler lost), fail every future still
        pending as cancelled: ``distributed`` leaves one pending whose result it could not fetch."""
        while not self._stopped.wait(WATCH_S):
            if self.client.status not in ("closing", "closed"):
                continue
            with self._lock:
                stuck = list(self._pending)
            for future in stuck:
                try:
                    future.set_exception(cf.CancelledError("the Dask client lost its scheduler"))
                except cf.InvalidStateError:  # it ended meanwhile
                    pass
            return

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop submitting and close the client (closing it again later is harmless)."""
        self._stopped.set()
        self._executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def _check_is_scheduler(address: str, timeout: float) -> None:
    """Raise BadInput unless ``address`` answers Dask's handshake and says it is a scheduler,
    all within ``timeout`` seconds (connecting, retries and the reply together)."""
    try:
        kind = asyncio.run(asyncio.wait_for(_identity_type(address, timeout), timeout))
    except TimeoutError:
        raise BadInput(
            f"--scheduler {address!r}: no Dask scheduler answered within {timeout:g} s"
            " (nothing listening there, or something that is not a Dask scheduler)"
        ) from None
    except (OSError, ValueError, TypeError, EOFError) as exc:
        raise BadInput(f"--scheduler {address!r}: cannot connect to a Dask scheduler: {exc}") from None
    if kind != "Scheduler":
        raise BadInput(f"--scheduler {address!r}: this is a Dask {kind or 'peer'}, not a scheduler")


async def _identity_type(address: str, timeout: float) -> str | None:
    """The ``type`` a Dask server at ``address`` gives for itself (``Scheduler``, ``Worker``)."""
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        reply = await comm.read()
    finally:
        comm.abort()
    return reply.get("type") if isinstance(reply, dict) else None


def dask_executor(address: str) -> DaskExecutor:
    """An executor on an existing Dask cluster (``dask scheduler`` / ``dask worker``)."""
    return DaskExecutor(address)
