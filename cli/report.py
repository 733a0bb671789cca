"""``dgpbench report``: one run's self-contained HTML report; prints the path it wrote."""

from __future__ import annotations

import argparse

from dgpbench.vocabulary import DEFAULT_STORE


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("report", help="write a self-contained HTML report of a run; prints its path")
    p.add_argument("run_id", nargs="?", default=None)
    p.add_argument("-o", "--output", default=None)
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.html import write_report

    print(write_report(Store(args.store, create=False), args.run_id, args.output))
    return 0
