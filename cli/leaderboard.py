"""``dgpbench leaderboard``: per generator and face, each model's face score ± se and shared
rank, as a terminal table, CSV, JSON, or the HTML page across every run of the store.

The table ends with the recovery verdicts where the run swept a sample size (one line per
family × model × face; ``results --table recovery`` has them as rows). CSV and JSON give
one row per generator × model × face (``FACE_COLUMNS``); ``--detail``
gives the per-metric rows instead (``METRIC_COLUMNS``). ``--pool-replications`` replaces the
replications of one data set (IHDP's ``ihdp_1``…) by one pooled row per model: mean ± se
over replications.
"""

from __future__ import annotations

import argparse
import sys

from dgpbench.vocabulary import DEFAULT_STORE


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("leaderboard", help="face score ± se and shared rank per generator, model and face")
    p.add_argument("--run", dest="run_id", default=None, help="run id (default: the latest)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json", "html"])
    p.add_argument(
        "--detail", action="store_true", help="every metric: the table adds them, csv/json give metric rows instead"
    )
    p.add_argument(
        "--pool-replications",
        action="store_true",
        help="one row per model for the replications of one data set (mean ± se over replications)",
    )
    p.add_argument("-o", "--output", default=None, help="html: where to write it")
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports import leaderboard as lb
    from dgpbench.reports.data import RunData
    from dgpbench.reports.units import pooled_faces, pooled_summary, replication_groups

    store = Store(args.store, create=False)
    if args.format == "html":
        from dgpbench.reports.html import write_leaderboard

        print(write_leaderboard(store, args.output))
        return 0
    data = RunData.load(store, args.run_id, figures=False)
    faces, summary = data.faces, data.summary
    if args.pool_replications:
        pooled = {g for gs in replication_groups(data) for g in gs}
        faces = [r for r in faces if r["generator"] not in pooled] + pooled_faces(data)
        summary = [s for s in summary if s["generator"] not in pooled] + pooled_summary(data)
    if args.format in ("csv", "json"):
        columns = lb.METRIC_COLUMNS if args.detail else lb.FACE_COLUMNS
        rows = lb.table_rows(data.rows if args.detail else faces, columns)
        sys.stdout.write(lb.to_csv(rows, columns) if args.format == "csv" else lb.to_json(rows) + "\n")
    else:
        run = data.run
        print(f"run {run['run_id']} (suite {lb.printable(run['suite_name'])}, {run['status']})")
        pending = lb.pending_line(run, len(data.cells))
        if pending:
            print(pending)
        print(lb.format_table(summary, data.rows, args.detail))
        if data.recovery:
            print(lb.recovery_block(data.recovery))
    return 0
