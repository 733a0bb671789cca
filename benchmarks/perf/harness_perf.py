"""Harness figures: what the harness adds to each cell, and how two workers overlap.

    .venv/bin/python benchmarks/perf/harness_perf.py [--cells 40] [--sleep-cells 20]

1. Overhead per cell (target < 50 ms): a cell of ``tiny_const`` (a model that does no work)
   called directly (sample, fit, score: the work itself), then through ``run_cell`` and the
   store in this process, then through the runner and a one-worker local pool (the interval
   between cells at steady state, from the store's finish times; the worker computes the next
   cell while the runner writes the last, so this is a throughput, not a latency). The
   overhead is each minus the direct call.
2. Speed-up (target >= 1.7x): 20 cells of ``tiny_sleep`` (1 s each, no CPU) on 2 workers vs
   1 worker. The makespan runs from the first cell's start to the last cell's end (cell start
   = finish time - total_s), so pool start-up is left out; the end-to-end wall time, which
   includes it, is printed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_perf import PLUGIN, tiny_suite

OVERHEAD_TARGET_MS = 50
SPEEDUP_TARGET = 1.7


def _plan(n: int):
    from dgpbench.benchmarks.runner import plan

    return plan(tiny_suite(n), (PLUGIN,))


def direct_ms(the_plan) -> float:
    """Median ms of the work itself: sample, fit, score (no harness around it)."""
    from dgpbench.benchmarks import scoring
    from dgpbench.benchmarks.scoring import score_cell
    from dgpbench.generators.registry import load_generator
    from dgpbench.models.registry import load_model

    times = []
    for c in the_plan.cells:
        spec = c.spec
        t = time.perf_counter()
        generator = load_generator(spec.generator.name, **spec.generator.params)
        observed, truth = generator.sample(spec.seed)
        model = load_model(spec.model.name, **spec.model.params)
        fitted = model.fit(observed, spec.seed)
        data = scoring.CellData(generator, observed, truth, spec.seed)
        score_cell(data, fitted, model.capabilities, the_plan.settings.metrics)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def run_cell_store_ms(the_plan, folder: Path) -> float:
    """Median ms of ``run_cell`` plus writing its row to the store, in this process."""
    from dgpbench.benchmarks.cell import run_cell
    from dgpbench.benchmarks.store import Store

    store = Store(folder / "inproc.sqlite")
    run_id, _ = store.start_run(tiny_suite(len(the_plan.cells), name="inproc"), len(the_plan.cells))
    times = []
    for c in the_plan.cells:
        t = time.perf_counter()
        store.write_cell(run_id, c, run_cell(c.spec, the_plan.settings))
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def pool_ms(n: int, folder: Path) -> float:
    """Median interval between cells finishing through the runner on one local worker."""
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store

    store = Store(folder / "pool.sqlite")
    s = runner.run(tiny_suite(n, name="pool"), store, workers=1, plugins=(PLUGIN,), progress=False, echo=lambda _: None)
    t = sorted(r["finished_at"] for r in store.cells(s.run_id))
    return 1000 * statistics.median(b - a for a, b in zip(t[1:], t[2:]))  # skip the first (warm-up)


def sleep_run(workers: int, n: int, folder: Path) -> tuple[float, float]:
    """(makespan s, end-to-end wall s) of ``n`` one-second cells on ``workers`` local workers."""
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store

    store = Store(folder / f"sleep-{workers}.sqlite")
    suite = tiny_suite(n, {"name": "tiny_sleep", "params": {"seconds": 1.0}}, name=f"sleep{workers}")
    t0 = time.perf_counter()
    s = runner.run(suite, store, workers=workers, plugins=(PLUGIN,), progress=False, echo=lambda _: None)
    wall = time.perf_counter() - t0
    assert s.counts["ok"] == n, s.counts
    rows = store.cells(s.run_id)
    return max(r["finished_at"] for r in rows) - min(r["finished_at"] - r["total_s"] for r in rows), wall


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", type=int, default=40, help="tiny cells per overhead measurement")
    p.add_argument("--sleep-cells", type=int, default=20, help="one-second cells of the speed-up run")
    args = p.parse_args(argv)

    from dgpbench.registry import import_plugin

    import_plugin(PLUGIN)
    the_plan = _plan(args.cells)
    direct_ms(replace(the_plan, cells=the_plan.cells[:5]))  # warm imports and caches
    ok = True
    with tempfile.TemporaryDirectory(prefix="dgpbench-harness-") as tmp:
        folder = Path(tmp)
        direct = direct_ms(the_plan)
        inproc = run_cell_store_ms(the_plan, folder)
        pool = pool_ms(args.cells, folder)
        print(f"harness overhead per cell (median of {args.cells} tiny cells, target < {OVERHEAD_TARGET_MS} ms)")
        print(f"  {'direct call (sample, fit, score)':<44}{direct:8.1f} ms")
        print(f"  {'run_cell + store write, in process':<44}{inproc:8.1f} ms   overhead {inproc - direct:+6.1f} ms")
        print(
            f"  {'runner + 1-worker pool + store: interval':<44}{pool:8.1f} ms   overhead {pool - direct:+6.1f} ms"
            "  (pipelined: the runner writes while the worker computes)"
        )
        ok &= max(inproc, pool) - direct < OVERHEAD_TARGET_MS

        one, one_wall = sleep_run(1, args.sleep_cells, folder)
        two, two_wall = sleep_run(2, args.sleep_cells, folder)
        print(f"\n{args.sleep_cells} cells of 1 s (sleep), local pool (target speed-up >= {SPEEDUP_TARGET}x)")
        print(f"  {'workers':<10}{'makespan s':>12}{'wall s':>10}")
        print(f"  {1:<10}{one:>12.2f}{one_wall:>10.2f}")
        print(f"  {2:<10}{two:>12.2f}{two_wall:>10.2f}")
        print(f"  speed-up: {one / two:.2f}x on makespan, {one_wall / two_wall:.2f}x end to end (with pool start-up)")
        ok &= one / two >= SPEEDUP_TARGET
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
