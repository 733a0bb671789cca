"""Scale figure: cells per minute for one suite of tiny cells on 1 and 2 local workers and on a
two-worker Dask cluster (real ``dask scheduler`` / ``dask worker`` processes on 127.0.0.1),
and the runner process's memory on a 500-cell suite (it must stay flat, under 300 MB).

    .venv/bin/python benchmarks/perf/scale_perf.py [--cells 200] [--memory-cells 500]

Each measurement runs in a fresh Python process, so the memory column is the runner's own.
``end to end`` counts everything from ``runner.run`` to its return (pool start-up included);
``steady`` is the rate after the first tenth of the cells, from the store's finish times. A
tiny cell samples 40 rows, "fits" ``tiny_const`` (no work) and scores two coefficients
against the oracle and the naive baseline: what is measured is the harness, not a model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = str(HERE / "tiny_models.py")
RSS_LIMIT_MB = 300


def tiny_suite(n_cells: int, model: dict | None = None, name: str = "tiny"):
    from dgpbench.benchmarks import suite as suite_mod

    return suite_mod.validate(
        {
            "name": f"{name}-{n_cells}",
            "seeds": list(range(n_cells)),
            "time_limit": 60,
            "generators": [{"name": "heteroscedastic", "params": {"n": 30, "n_test": 10}}],
            "models": [model or {"name": "tiny_const"}],
            "metrics": ["coef_error"],
        },
        f"<{name} suite>",
    )


class RSSSampler:
    """This process's resident memory every 50 ms: start, peak and end, in MB."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def __enter__(self) -> RSSSampler:
        self.samples.append(self.rss_mb())
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            self.samples.append(self.rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self.rss_mb())


def steady_rate(store, run_id: str) -> float:
    """Cells per minute after the first tenth of the cells, from the store's finish times."""
    t = sorted(r["finished_at"] for r in store.cells(run_id))
    k = max(1, len(t) // 10)
    return 60 * (len(t) - k) / (t[-1] - t[k - 1]) if len(t) > k and t[-1] > t[k - 1] else float("nan")


def measure_one(kind: str, workers: int, n_cells: int, folder: str, scheduler: str | None) -> dict:
    """One run of the tiny suite in this (fresh) process; the figures as a dict."""
    import resource

    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store
    from dgpbench.registry import import_plugin

    import_plugin(PLUGIN)
    suite = tiny_suite(n_cells)
    store = Store(Path(folder) / f"{kind}-{workers}-{n_cells}.sqlite")
    executor = None
    if kind == "dask":
        from dgpbench.benchmarks.execution.dask import DaskExecutor

        if scheduler is None:
            raise ValueError("a dask measurement needs the scheduler's address")
        executor = DaskExecutor(scheduler)
    with RSSSampler() as rss:
        t0 = time.perf_counter()
        summary = runner.run(
            suite,
            store,
            executor=executor,
            workers=workers,
            plugins=(PLUGIN,),
            rerun=True,
            progress=False,
            echo=lambda s: None,
        )
        wall = time.perf_counter() - t0
    assert summary.counts["ok"] == n_cells, summary.counts
    return {
        "executor": kind,
        "workers": workers,
        "cells": n_cells,
        "wall_s": wall,
        "per_min_wall": 60 * n_cells / wall,
        "per_min_steady": steady_rate(store, summary.run_id),
        "rss_start_mb": rss.samples[0],
        "rss_peak_mb": max(rss.samples),
        "rss_end_mb": rss.samples[-1],
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(kind: str, workers: int, n_cells: int, folder: str, scheduler: str | None = None) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        kind,
        "--workers",
        str(workers),
        "--cells",
        str(n_cells),
        "--folder",
        folder,
    ] + (["--scheduler", scheduler] if scheduler else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = (
        f"{'executor':<10}{'workers':>8}{'cells':>7}{'wall s':>9}{'cells/min':>11}{'steady':>9}"
        f"{'RSS start':>11}{'RSS peak':>10}{'RSS end':>9}{'maxrss':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['executor']:<10}{r['workers']:>8}{r['cells']:>7}{r['wall_s']:>9.1f}{r['per_min_wall']:>11.0f}"
            f"{r['per_min_steady']:>9.0f}{r['rss_start_mb']:>11.0f}{r['rss_peak_mb']:>10.0f}"
            f"{r['rss_end_mb']:>9.0f}{r['maxrss_mb']:>8.0f}"
        )
    return "\n".join(lines) + "\n(cells/min: end to end; steady: after the first tenth; memory of the runner, MB)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", type=int, default=200, help="cells per throughput run")
    p.add_argument("--memory-cells", type=int, default=500, help="cells of the memory run")
    p.add_argument("--one", choices=["local", "dask"], help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--scheduler", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one, args.workers, args.cells, args.folder, args.scheduler)))
        return 0

    from dgpbench.benchmarks.perf.dask_cluster import DaskProcesses

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; tiny cells", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dgpbench-scale-") as folder:
        for workers in (1, 2):
            rows.append(measure("local", workers, args.cells, folder))
            print(f"  local x{workers}: {rows[-1]['per_min_wall']:.0f} cells/min", flush=True)
        with DaskProcesses(Path(folder) / "dask", n_workers=2) as cluster:
            rows.append(measure("dask", 2, args.cells, folder, cluster.address))
            print(f"  dask x2: {rows[-1]['per_min_wall']:.0f} cells/min", flush=True)
        memory = measure("local", 2, args.memory_cells, folder)
        rows.append(memory)
    print(table(rows))
    growth = memory["rss_end_mb"] - memory["rss_start_mb"]
    ok = memory["rss_peak_mb"] < RSS_LIMIT_MB
    print(
        f"runner memory over {args.memory_cells} cells: peak {memory['rss_peak_mb']:.0f} MB "
        f"(limit {RSS_LIMIT_MB}), growth {growth:+.1f} MB from start to end: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
