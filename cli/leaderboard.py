"""``dgpbench leaderboard``: models by normalised score per generator and face, as a terminal
table, CSV, JSON, or the HTML page across every run of the store."""

from __future__ import annotations

import argparse
import sys

from dgpbench.vocabulary import DEFAULT_STORE


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("leaderboard", help="models by normalised score per generator and face")
    p.add_argument("--run", dest="run_id", default=None, help="run id (default: the latest)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json", "html"])
    p.add_argument("--detail", action="store_true", help="table: every metric, not only face means")
    p.add_argument("-o", "--output", default=None, help="html: where to write it")
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports import leaderboard as lb

    store = Store(args.store, create=False)
    if args.format == "html":
        from dgpbench.reports.html import write_leaderboard

        print(write_leaderboard(store, args.output))
        return 0
    run = store.run(args.run_id)
    cells = store.cells(run["run_id"])
    rows = lb.aggregate(store.metric_rows(run["run_id"]), cells)
    if args.format == "csv":
        sys.stdout.write(lb.to_csv(rows))
    elif args.format == "json":
        print(lb.to_json(rows))
    else:
        print(f"run {run['run_id']} (suite {run['suite_name']}, {run['status']})")
        print(lb.format_table(lb.face_summary(rows, cells), rows, args.detail))
    return 0
