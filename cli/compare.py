"""``dgpbench compare``: two runs side by side with deltas, as one HTML page; prints its path."""

from __future__ import annotations

import argparse

from dgpbench.vocabulary import DEFAULT_STORE


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("compare", help="two runs side by side with deltas")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("-o", "--output", default=None)
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.html import write_compare

    print(write_compare(Store(args.store, create=False), args.run_a, args.run_b, args.output))
    return 0
