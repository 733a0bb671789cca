"""How long the HTML report takes to build, and how big it is.

Builds a store by running a suite (default: ``quick``; ``--suite default`` for the suite
``make benchmark`` runs), or takes an existing one with ``--store``, then writes the run
report (and the leaderboard and compare pages) a few times and prints wall and CPU seconds
and megabytes. Targets: the default suite's report under 10 s and under 10 MB.

Pages are built through the command line's own functions (``cli.main``), in process: the
benchmarks layer never imports ``reports`` directly (the CLI is the one face over all).

    .venv/bin/python benchmarks/perf/report_perf.py [--suite default | --store PATH] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S, LIMIT_MB = 10.0, 10.0


def timed(fn, repeats: int) -> tuple[list[float], list[float], object]:
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return walls, cpus, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--suite", default="quick", help="suite to run into a fresh store (default: quick)")
    src.add_argument("--store", default=None, help="use this existing store instead of running a suite")
    p.add_argument("--run", default=None, help="run id (default: the latest)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--check", action="store_true", help=f"exit 1 if over {LIMIT_S:g} s or {LIMIT_MB:g} MB")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    from dgpbench.benchmarks.store import Store
    from dgpbench.cli import main as cli

    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["list", "suites"])  # warm the CLI's imports once, outside the timings
    imported = time.perf_counter() - t0

    def page(*argv: str) -> str:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = cli.main([*argv, "--store", str(store.path)])
        if code != 0:
            raise SystemExit(f"dgpbench {' '.join(argv)} exited {code}")
        return buf.getvalue().strip().splitlines()[-1]

    if args.store:
        store = Store(args.store, create=False)
    else:
        from dgpbench.benchmarks import runner

        path = Path(tempfile.mkdtemp(prefix="report-perf-")) / "store.sqlite"
        t = time.perf_counter()
        runner.run(args.suite, str(path), workers=args.workers, progress=False, echo=lambda s: None)
        print(f"store: suite {args.suite} run into {path} in {time.perf_counter() - t:.1f} s")
        store = Store(path)
    run = store.run(args.run)
    rid = run["run_id"]
    n_cells = len(store.cells(rid))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"run {rid} (suite {run['suite_name']}, {n_cells} cells); import {imported:.2f} s; "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )

    out_dir = Path(tempfile.mkdtemp(prefix="report-perf-pages-"))
    walls, cpus, path = timed(lambda: page("report", rid, "-o", str(out_dir / "report.html")), args.repeats)
    mb = Path(path).stat().st_size / 1e6
    print(
        f"report:      best {min(walls):.2f} s, median {statistics.median(walls):.2f} s wall "
        f"(cpu {min(cpus):.2f} s) over {args.repeats}; {mb:.2f} MB  -> {path}"
    )
    lw, _, lpath = timed(
        lambda: page("leaderboard", "--format", "html", "-o", str(out_dir / "leaderboard.html")), args.repeats
    )
    print(f"leaderboard: best {min(lw):.2f} s; {Path(lpath).stat().st_size / 1e6:.2f} MB")
    cw, _, cpath = timed(lambda: page("compare", rid, rid, "-o", str(out_dir / "compare.html")), args.repeats)
    print(f"compare:     best {min(cw):.2f} s; {Path(cpath).stat().st_size / 1e6:.2f} MB")

    ok = min(walls) < LIMIT_S and mb < LIMIT_MB
    print(f"{'OK' if ok else 'OVER'}: report {min(walls):.2f} s (< {LIMIT_S:g} s), {mb:.2f} MB (< {LIMIT_MB:g} MB)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
