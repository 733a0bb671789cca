"""How long the HTML pages take to build, and how big they are.

Builds a store by running a suite (default: ``quick``; ``--suite default`` for the suite
``make benchmark`` runs), or takes an existing one with ``--store``, then writes the run
report (and the leaderboard and compare pages) a few times and prints wall and CPU seconds
and megabytes. Targets: the default suite's report under 10 s and under 10 MB.

Each page is built by the command a user types (``dgpbench report``, ``leaderboard
--format html``, ``compare``) run as a child process, so the benchmarks layer imports
nothing above it and the figure is what a user waits for. This script used to call the
CLI's ``main`` in its own process, which left the imports out of every repeat but the
first; now each repeat is a fresh process and its figure holds the interpreter's start and
the imports of matplotlib and jinja2 too. ``startup`` (the same interpreter printing
``dgpbench --help``, best of the repeats) is measured separately: the difference is the
page's own work with its imports. A first, untimed run of each command warms the file cache
and writes bytecode. CPU seconds are the child's (user + system).

    .venv/bin/python benchmarks/perf/report_perf.py [--suite default | --store PATH] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S, LIMIT_MB = 10.0, 10.0


def command(*argv: str) -> tuple[float, float, str]:
    """(wall s, child cpu s, last line printed) of one ``dgpbench`` command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "dgpbench.cli.main", *argv], capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"dgpbench {' '.join(argv)} exited {out.returncode}: {out.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = out.stdout.strip().splitlines()
    return wall, cpu, lines[-1] if lines else ""


def timed(argv: list[str], repeats: int) -> tuple[list[float], list[float], str]:
    """Wall and CPU seconds of ``repeats`` runs after one untimed warm-up, and what it printed."""
    command(*argv)
    walls, cpus, printed = [], [], ""
    for _ in range(repeats):
        wall, cpu, printed = command(*argv)
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus, printed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--suite", default="quick", help="suite to run into a fresh store (default: quick)")
    src.add_argument("--store", default=None, help="use this existing store instead of running a suite")
    p.add_argument("--run", default=None, help="run id (default: the latest)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--check", action="store_true", help=f"exit 1 if over {LIMIT_S:g} s or {LIMIT_MB:g} MB")
    args = p.parse_args(argv)

    from dgpbench.benchmarks.store import Store

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
    startup, _, _ = timed(["--help"], args.repeats)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"run {rid} (suite {run['suite_name']}, {n_cells} cells); startup {min(startup):.2f} s; "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )

    out_dir = Path(tempfile.mkdtemp(prefix="report-perf-pages-"))
    where = ["--store", str(store.path)]
    walls, cpus, report = timed(["report", rid, "-o", str(out_dir / "report.html"), *where], args.repeats)
    mb = Path(report).stat().st_size / 1e6
    print(
        f"report:      best {min(walls):.2f} s, median {statistics.median(walls):.2f} s wall "
        f"(cpu {min(cpus):.2f} s) over {args.repeats}; {mb:.2f} MB  -> {report}"
    )
    lw, _, lpath = timed(
        ["leaderboard", "--format", "html", "-o", str(out_dir / "leaderboard.html"), *where], args.repeats
    )
    print(f"leaderboard: best {min(lw):.2f} s; {Path(lpath).stat().st_size / 1e6:.2f} MB")
    cw, _, cpath = timed(["compare", rid, rid, "-o", str(out_dir / "compare.html"), *where], args.repeats)
    print(f"compare:     best {min(cw):.2f} s; {Path(cpath).stat().st_size / 1e6:.2f} MB")

    ok = min(walls) < LIMIT_S and mb < LIMIT_MB
    print(f"{'OK' if ok else 'OVER'}: report {min(walls):.2f} s (< {LIMIT_S:g} s), {mb:.2f} MB (< {LIMIT_MB:g} MB)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
