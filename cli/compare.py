"""``dgpbench compare RUN_A RUN_B``: every delta of two runs, paired by seed where they share
seeds, tested, and flagged with the table's false-flag rate controlled.

A terminal diff by default (asv compare's shape: flagged deltas first, then a count of the
rest); ``--format json|csv`` prints every delta; ``--format html`` (the default when ``-o``
is given) writes the HTML page and prints its path. ``-o FILE`` writes any format to FILE.
"""

from __future__ import annotations

import argparse
import sys

from dgpbench.vocabulary import DEFAULT_STORE

FORMATS = ("table", "json", "csv", "html")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("compare", help="two runs delta by delta, each tested, false flags controlled")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument(
        "--format", default=None, choices=FORMATS, help="table (default), json, csv, or html (default with -o)"
    )
    p.add_argument("--all", dest="every", action="store_true", help="table: every delta, not only flagged ones")
    p.add_argument(
        "--correction",
        default="bh",
        choices=("bh", "holm", "none"),
        help="how flags are controlled across the table: Benjamini-Hochberg (default), Holm, or none",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="false-flag rate of the correction (default 0.05)")
    p.add_argument("-o", "--output", default=None, help="write to FILE and print its path")
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.errors import BadInput

    if not 0 < args.alpha < 1:
        raise BadInput(f"--alpha must lie between 0 and 1, not {args.alpha:g}")
    store = Store(args.store, create=False)
    fmt = args.format or ("html" if args.output else "table")
    if fmt == "html":
        from dgpbench.reports.html import write_compare

        print(write_compare(store, args.run_a, args.run_b, args.output, correction=args.correction, alpha=args.alpha))
        return 0
    from dgpbench.reports import compare_text
    from dgpbench.reports.compare import compare_runs
    from dgpbench.reports.data import RunData

    a, b = (RunData.load(store, run, figures=False) for run in (args.run_a, args.run_b))
    c = compare_runs(a, b, args.correction, args.alpha)
    if fmt == "json":
        text = compare_text.to_json(c) + "\n"
    elif fmt == "csv":
        text = compare_text.to_csv(c)
    else:
        text = compare_text.format_diff(c, a.run, b.run, every=args.every) + "\n"
    if args.output:
        from dgpbench.reports.output import write_output

        print(write_output(text, args.output, store.path, html=False))
    else:
        sys.stdout.write(text)
    return 0
