"""``dgpbench run``: run a suite (built-in name or YAML path) into the store, resuming by default.

The suite is validated before any work starts or any file is written; Ctrl-C keeps every
finished cell and exits 130, and the same command resumes. Cells lost with a Dask scheduler
are not stored: the run exits 1 and says to run the same command again.

``--plugin`` imports the module it names, so it runs that module's code with the user's
rights, on this machine and on every Dask worker: the trust boundary is the user's own
choice of plugins, as with ``pip install``.
"""

from __future__ import annotations

import argparse
import sys

from dgpbench.errors import BadInput
from dgpbench.vocabulary import DEFAULT_STORE

WORKERS_PER_CORE = 4  # a local worker is a process with its own imports: beyond this they only thrash


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run a suite (built-in name or YAML path) into the store")
    p.add_argument("suite")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import a module (or .py file) that registers generators/models/metrics; "
        "it runs arbitrary code with your rights (here and on Dask workers): name only code you trust",
    )
    p.add_argument(
        "--only",
        default=None,
        metavar="generator=NAME,model=NAME",
        help="run only these: a label, a registered name (all its entries) or a sweep's label (all its sizes)",
    )
    p.add_argument("--rerun", action="store_true", help="start a new run instead of resuming")
    p.add_argument("--no-progress", action="store_true")
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store
    from dgpbench.benchmarks.suite import load
    from dgpbench.registry import import_plugin

    if args.workers is not None:
        _check_workers(args.workers)
    for p in args.plugin:
        import_plugin(p)
    suite = load(args.suite)  # validated before any work or any file is written
    only = runner.parse_only(args.only)
    executor = None
    if args.scheduler:  # a wrong address fails here, before the store is created or opened
        from dgpbench.benchmarks.execution.dask import dask_executor

        executor = dask_executor(args.scheduler)
    try:
        store = Store(args.store)
    except BaseException:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    try:
        summary = runner.run(
            suite,
            store,
            executor=executor,
            workers=args.workers,
            plugins=tuple(args.plugin),
            only=only,
            rerun=args.rerun,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished cells are stored in {store.path}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(runner.summary_line(summary))
    if summary.lost:
        print(
            f"{summary.lost} cells were lost (the Dask scheduler went away) and are not stored; the run is"
            f" marked interrupted: run the same command again, with --scheduler of a running cluster, to run them",
            file=sys.stderr,
        )
        return 1
    print(f"results: {store.path} (run {summary.run_id}); see `dgpbench leaderboard` and `dgpbench report`")
    return 0


def _check_workers(workers: int) -> None:
    """Refuse a worker count below 1 or beyond ``WORKERS_PER_CORE`` per available core, before
    a suite is read or a process started."""
    from dgpbench.benchmarks.execution.environment import default_workers

    if workers < 1:
        raise BadInput(f"--workers {workers}: must be at least 1")
    cores = default_workers()
    if workers > WORKERS_PER_CORE * cores:
        raise BadInput(
            f"--workers {workers}: at most {WORKERS_PER_CORE * cores} ({WORKERS_PER_CORE} per core, "
            f"{cores} cores available); each worker is a process, so more only slow the run down"
        )
