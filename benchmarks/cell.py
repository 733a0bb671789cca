"""``run_cell`` is the pure, picklable function every executor runs on a cell's
(:class:`~dgpbench.benchmarks.cell_spec.CellSpec`, :class:`~dgpbench.benchmarks.cell_spec.RunSettings`):
observe, fit, draw the truth, score, return a result row.

Truth cannot reach a model: while ``supports`` and ``fit`` run, the cell holds only the
observed data (``Generator.observe``), so no ``Truth`` is on the stack or alive for the
garbage collector to hand out; the model gets ``model_seed(seed)``, not the seed that drew
the data. The truth is built afterwards by a second, deterministic draw of the same seed,
whose observed data must match the first draw's fingerprint.

``run_cell`` is the cell boundary, the only place that catches ``Exception`` -- and
``BaseException``: a model that raises or returns non-finite values becomes a row with its
status and message, never a lost cell, and so does one that ends its cell with ``sys.exit``
or its own ``KeyboardInterrupt`` (``crashed``). Workers never touch the store; the parent
writes what this returns.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dgpbench.benchmarks.cell_spec import CellSpec, RunSettings
    from dgpbench.benchmarks.scoring import CellData
    from dgpbench.models.base import Capabilities


@dataclass
class CellResult:
    cell_key: str
    status: str
    error: str = ""
    metrics: list[dict[str, Any]] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    curves: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    peak_mem_mb: float | None = None
    log: str = ""  # what the cell printed (its cell process captures it; see execution.cell_process)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PeakRSS:
    """Peak resident memory of this process above its level at start, sampled every 20 ms.

    Counts what numpy, PyTorch and TensorFlow allocate alike, which tracemalloc cannot.
    """

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self._stop = threading.Event()
        self.start = self.peak = self._rss()

    @staticmethod
    def _rss() -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return 0

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakRSS:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.start) / 2**20


class UserInterrupt:
    """Tells the user's Ctrl-C from a ``KeyboardInterrupt`` a model raises itself.

    While the cell runs, a SIGINT that reaches this process is noted (``received``) before
    the handler already in place runs. Only in the main thread, where Python delivers
    signals, and only where SIGINT has a Python handler: in a pool worker, which ignores
    SIGINT, or in a thread, no user's Ctrl-C can surface inside the cell, so every
    ``KeyboardInterrupt`` there is the model's.
    """

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None

    def __enter__(self) -> UserInterrupt:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):
                self._previous = previous
                signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum: int, frame: Any) -> None:
        self.received = True
        self._previous(signum, frame)

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def run_cell(spec: CellSpec, settings: RunSettings) -> CellResult:
    """Sample, fit, score one cell. Never raises for a model's failure: returns its row.

    The one place that catches ``BaseException``: a model that calls ``sys.exit`` or raises
    ``KeyboardInterrupt`` must end its own cell (``crashed``), not the worker, or, re-raised
    from the executor's future, the whole run -- which then stores nothing and fails the
    same way on every resume. Only a real Ctrl-C of the user's goes on up.
    """
    key = spec.key()
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    with UserInterrupt() as ctrl_c:
        try:
            with PeakRSS() as mem:
                result = _run(spec, settings, key, timings)
            result.peak_mem_mb = round(mem.mb, 1)
        except Exception as exc:  # the cell boundary
            result = CellResult(key, "error", _describe(exc))
        except BaseException as exc:  # the cell boundary: sys.exit, a model's own KeyboardInterrupt
            if isinstance(exc, KeyboardInterrupt) and ctrl_c.received:
                raise
            result = CellResult(key, "crashed", _describe(exc))
    timings["total_s"] = time.perf_counter() - t_start
    result.timings = {k: round(v, 4) for k, v in timings.items()}
    return result


def _describe(exc: BaseException) -> str:
    """``Type: message`` and the traceback; an exception whose ``str`` fails still gets a row."""
    try:
        message = str(exc)
    except Exception as failure:  # the cell boundary: a model's exception with a broken __str__
        message = f"<str() of the exception failed: {type(failure).__name__}>"
    return f"{type(exc).__name__}: {message}\n{traceback.format_exc()}"


class DrawMismatch(RuntimeError):
    """Two draws of one generator and seed differ: its truth would not match the data."""


def _run(spec: CellSpec, settings: RunSettings, key: str, timings: dict[str, float]) -> CellResult:
    from dgpbench.benchmarks.scoring import CellData
    from dgpbench.generators.registry import load_generator
    from dgpbench.models.base import model_seed
    from dgpbench.models.registry import load_model
    from dgpbench.registry import import_plugin

    for plugin in settings.plugins:
        import_plugin(plugin)
    t = time.perf_counter()
    generator = load_generator(spec.generator.name, **spec.generator.params)
    observed = generator.observe(spec.seed)
    drawn = observed.fingerprint()
    # Only the train/valid rows stay alive while the model runs: no frame a model could walk
    # up to holds the test rows' outcomes (scoring takes them from the second draw below).
    fit_rows = observed.fit_view()
    del observed
    timings["sample_s"] = time.perf_counter() - t
    model = load_model(spec.model.name, **spec.model.params)
    ok, reason = model.supports(fit_rows)
    if not ok:
        return CellResult(key, "skipped", reason)
    t = time.perf_counter()
    fitted = model.fit(fit_rows, model_seed(spec.seed))
    timings["fit_s"] = time.perf_counter() - t
    del fit_rows
    t = time.perf_counter()
    observed, truth = generator.sample(spec.seed)
    if observed.fingerprint() != drawn:
        raise DrawMismatch(
            f"generator {spec.generator.name!r} drew different data for seed {spec.seed} on a second draw: "
            "its sample() must be deterministic per seed"
        )
    timings["truth_s"] = time.perf_counter() - t
    return _score(CellData(generator, observed, truth, spec.seed), fitted, model.capabilities, settings, key, timings)


def _score(
    data: CellData,
    fitted: Any,
    capabilities: Capabilities,
    settings: RunSettings,
    key: str,
    timings: dict[str, float],
) -> CellResult:
    """Score the fitted model against the truth, keep the figure arrays, flag non-finite values."""
    from dgpbench.benchmarks.scoring import figure_data, score_cell

    t = time.perf_counter()
    metrics, estimates = score_cell(data, fitted, capabilities, settings.metrics)
    timings["score_s"] = time.perf_counter() - t
    t = time.perf_counter()
    figures = figure_data(data, fitted, capabilities)
    timings["curves_s"] = time.perf_counter() - t
    bad = [m["metric"] for m in metrics if m["value"] is not None and not math.isfinite(m["value"])]
    if bad:
        for m in metrics:
            if m["metric"] in bad:
                m["value"], m["score"], m["note"] = None, None, "non-finite"
        return CellResult(key, "diverged", f"non-finite values in: {', '.join(bad)}", metrics, estimates, figures)
    return CellResult(key, "ok", "", metrics, estimates, figures)
