"""Plan a suite into cells, run them on an executor, write each result as it arrives.

Only this parent process writes to the store, one transaction per finished cell, so an
interrupted run loses only the cells that had not finished; running the same suite into
the same store resumes it (cells are skipped by key), ``rerun=True`` starts afresh.

A cell the infrastructure cancelled (a Dask scheduler that went away) is *lost*, not failed:
it gets no row, the run ends ``interrupted`` rather than ``done``, and the summary says how
many were lost, so that the same command later runs exactly those cells.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.cell import CellResult, run_cell
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell, RunSettings
from dgpbench.benchmarks.execution.failures import failure_of, is_lost
from dgpbench.benchmarks.execution.local import LocalExecutor
from dgpbench.benchmarks.metrics import selected_metrics
from dgpbench.benchmarks.store import Store
from dgpbench.errors import BadInput
from dgpbench.generators.registry import load_generator
from dgpbench.models.registry import load_model
from dgpbench.registry import import_plugin, plugin_spec
from dgpbench.vocabulary import DEFAULT_STORE, FAILED_STATUSES, STATUSES


@dataclass
class Plan:
    """The cells to run, the pairs a model cannot serve (with the reason), and how to run them."""

    settings: RunSettings
    cells: list[PlannedCell] = field(default_factory=list)
    skipped: list[tuple[PlannedCell, str]] = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: str
    resumed: bool
    counts: dict[str, int]
    already_done: int
    seconds: float
    lost: int = 0  # cells the infrastructure cancelled: not stored, run again on resume


def parse_only(only: str | None) -> dict[str, str]:
    """``generator=NAME,model=NAME`` (labels or registered names) -> filter dict."""
    if not only:
        return {}
    out = {}
    for part in only.split(","):
        k, sep, v = part.partition("=")
        if not sep or k.strip() not in ("generator", "model") or not v.strip():
            raise BadInput(f"--only {only!r}: write generator=NAME and/or model=NAME, comma separated")
        out[k.strip()] = v.strip()
    return out


def plan(suite: suite_mod.Suite, plugins: tuple[str, ...] = (), only: dict[str, str] | None = None) -> Plan:
    """Expand generators x models x seeds; pairs a model cannot serve are skipped with the reason.

    ``supports`` is asked on the fit view of the generator's first-seed draw, before any
    cell runs, with no truth alive (``Generator.observe``), as in the cell itself.
    """
    only = only or {}
    family = {g.label: g.sweep.family for g in suite.generators if g.sweep}  # a sweep's label names all its entries
    gens = [g for g in suite.generators if only.get("generator") in (None, g.label, g.name, family.get(g.label))]
    mods = [m for m in suite.models if only.get("model") in (None, m.label, m.name)]
    if not gens or not mods:
        raise BadInput(f"--only {only}: matches no {'generator' if not gens else 'model'} of suite {suite.name!r}")
    result = Plan(RunSettings(suite.time_limit, suite.metrics, tuple(plugins), suite.memory_limit))
    seen: set[str] = set()
    for g in gens:
        generator = load_generator(g.name, **g.params)
        seeds = g.seeds or suite.seeds
        try:
            fit_view = generator.observe(seeds[0]).fit_view()
        except (ValueError, MemoryError) as exc:  # e.g. sizes too large for this machine
            raise BadInput(
                f"generator {g.label!r} cannot draw its data with {g.params}: {type(exc).__name__}: {exc}"
            ) from None
        generator_spec = ComponentSpec.of(generator, g.params)
        for m in mods:
            if m.on is not None and g.label not in m.on:
                continue
            model = load_model(m.name, **m.params)
            model_spec = ComponentSpec.of(model, m.params)
            ok, reason = model.supports(fit_view)
            for seed in seeds:
                cell = PlannedCell(CellSpec(generator_spec, model_spec, seed), g.label, m.label)
                if cell.key() in seen:
                    continue  # the same process and model named twice: one result serves both
                seen.add(cell.key())
                if ok:
                    result.cells.append(cell)
                else:
                    result.skipped.append((cell, reason or "not supported"))
    return result


def run(
    suite: suite_mod.Suite | str,
    store: Store | str = DEFAULT_STORE,
    *,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    plugins: tuple[str, ...] = (),
    only: dict[str, str] | None = None,
    rerun: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> RunSummary:
    """Run a suite into a store and return what happened. Python face of ``dgpbench run``.

    The executor the run uses, given or a local pool made here, is shut down when the run
    ends, however it ends.
    """
    t0 = time.perf_counter()
    try:
        started = _start(suite, store, plugins, only, rerun, echo)
    except (KeyboardInterrupt, Exception):
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    store = started.store
    if executor is None and started.todo:
        executor = LocalExecutor(workers)
    try:
        if executor is not None:
            _execute(executor, started, progress)
    except KeyboardInterrupt:
        store.finish_run(started.run_id, "interrupted")
        raise
    store.finish_run(started.run_id, "interrupted" if started.lost else "done")
    return RunSummary(
        started.run_id,
        started.resumed,
        started.counts,
        started.already,
        time.perf_counter() - t0,
        started.lost,
    )


@dataclass
class _Started:
    """A run recorded in its store: what is left to run, and the counts so far."""

    store: Store
    plan: Plan
    run_id: str
    resumed: bool
    todo: list[PlannedCell]
    already: int
    counts: dict[str, int]
    lost: int = 0


def _start(
    suite: suite_mod.Suite | str,
    store: Store | str,
    plugins: tuple[str, ...],
    only: dict[str, str] | None,
    rerun: bool,
    echo: Callable[[str], None],
) -> _Started:
    """Plan the suite, start (or resume) its run in the store and record the skipped pairs."""
    plugins = tuple(plugin_spec(p) for p in plugins)  # a .py path made absolute for the workers
    for p in plugins:
        import_plugin(p)
    if isinstance(suite, str):
        suite = suite_mod.load(suite)
    if not isinstance(store, Store):
        store = Store(store)
    the_plan = plan(suite, plugins, only)
    run_id, resumed = store.start_run(
        suite, len(the_plan.cells) + len(the_plan.skipped), rerun, metrics=selected_metrics(suite.metrics)
    )
    done = store.done_keys(run_id)
    counts = dict.fromkeys(STATUSES, 0)
    reasons = {}
    for cell, reason in the_plan.skipped:
        reasons[(cell.generator_label, cell.model_label)] = reason
        if cell.key() not in done:
            store.write_cell(run_id, cell, CellResult(cell.key(), "skipped", reason))
            counts["skipped"] += 1
    todo = [c for c in the_plan.cells if c.key() not in done]
    already = len(the_plan.cells) - len(todo)
    echo(
        f"run {run_id} ({'resumed' if resumed else 'new'}) suite {suite.name}: {len(todo)} cells to run"
        + (f", {already} already done" if already else "")
        + f", store {store.path}"
    )
    if reasons:
        echo(_skipped_line(reasons, run_id, store.path))
    return _Started(store, the_plan, run_id, resumed, todo, already, counts)


def _skipped_line(reasons: dict[tuple[str, str], str], run_id: str, path: object) -> str:
    """One line for the pairs a model does not support, however many: their count, the most
    common reasons with an example pair each, and the command that lists them all."""
    by_reason: dict[str, list[tuple[str, str]]] = {}
    for pair, reason in reasons.items():
        by_reason.setdefault(reason, []).append(pair)
    common = sorted(by_reason.items(), key=lambda kv: -len(kv[1]))
    shown = "; ".join(f"{len(pairs)} x {reason} (e.g. {pairs[0][1]} on {pairs[0][0]})" for reason, pairs in common[:3])
    others = len(common) - 3
    more = f"; {others} other reason{'s' if others > 1 else ''}" if others > 0 else ""
    return (
        f"skipped {len(reasons)} generator x model pairs a model does not support: {shown}{more}; "
        f"list them: dgpbench results {run_id} --store {path} --table cells"
    )


def _execute(executor: cf.Executor, started: _Started, progress: bool) -> None:
    """Run the cells on ``executor``, storing each result as it arrives, then shut it down --
    whoever made it: once every cell is in, or at once (queued cells cancelled) when the run is
    interrupted or the store fails, so that nothing waits for a queue no one will read."""
    settings = started.plan.settings
    futures: dict[cf.Future, PlannedCell] = {}
    try:
        futures = {executor.submit(run_cell, c.spec, settings): c for c in started.todo}
        started.lost = _collect(futures, started.store, started.run_id, started.counts, progress)
    except (KeyboardInterrupt, Exception):
        for f in futures:
            f.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def _collect(
    futures: dict[cf.Future, PlannedCell],
    store: Store,
    run_id: str,
    counts: dict[str, int],
    progress: bool,
) -> int:
    """Store each cell's result as it arrives; return how many cells were lost (not stored)."""
    from tqdm import tqdm

    bar = tqdm(
        total=len(futures),
        unit="cell",
        disable=not progress or not futures,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
    )
    lost = 0
    with bar:
        for fut in cf.as_completed(futures):
            cell = futures[fut]
            try:
                result = fut.result()
            except (Exception, asyncio.CancelledError) as exc:  # the executor's report of a cell that did not return
                if is_lost(exc):
                    lost += 1
                    bar.set_postfix_str(f"{cell.model_label}/{cell.generator_label} lost; lost {lost}", refresh=False)
                    bar.update()
                    continue
                status, message = failure_of(exc)
                result = CellResult(cell.key(), status, message)
            store.write_cell(run_id, cell, result)
            counts[result.status] += 1
            failed = sum(counts[s] for s in FAILED_STATUSES)
            bar.set_postfix_str(
                f"{cell.model_label}/{cell.generator_label} {result.status}; failed {failed}",
                refresh=False,
            )
            bar.update()
    return lost


def summary_line(s: RunSummary) -> str:
    parts = [f"{v} {k}" for k, v in s.counts.items() if v] + ([f"{s.lost} lost (not stored)"] if s.lost else [])
    return (
        f"run {s.run_id}: "
        + (", ".join(parts) or "nothing to do")
        + (f" ({s.already_done} cells were already stored)" if s.already_done else "")
        + f" in {s.seconds:.1f} s"
    )
