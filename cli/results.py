"""``dgpbench results``: a tidy export of one run's metric rows, estimates, face or recovery
verdicts, or cells (CSV or JSON). The face table is the leaderboard's verdict per
(generator, model, face) -- score +- se, shared rank, the leak alarm's ``suspect`` -- as
scripts read it; the recovery table one row per (size-sweep family, model, face): the
error's slope against the size with its interval, the canonical slope, the verdict and the
bias floor; the cell table each cell's status, error and log (what its model printed)."""

from __future__ import annotations

import argparse
import json
import sys

from dgpbench.reports.recovery import RECOVERY_COLUMNS
from dgpbench.reports.verdict import FACE_COLUMNS
from dgpbench.vocabulary import DEFAULT_STORE

# The stable columns of each table (the README documents them; scripts read them by name).
CELL = ["run_id", "generator", "model", "seed"]
COLUMNS = {
    "metrics": [*CELL, "face", "metric", "value", "oracle", "naive", "score", "status"],
    "estimates": [*CELL, "name", "truth", "estimate", "lower", "upper"],
    "faces": ["run_id", *FACE_COLUMNS],
    "recovery": ["run_id", *RECOVERY_COLUMNS],
    "cells": [*CELL, "cell_key", "status", "error", "log"],
}


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("results", help="tidy export of a run's metrics, estimates, face or recovery verdicts, cells")
    p.add_argument("run_id", nargs="?", default=None)
    p.add_argument("--format", default="csv", choices=["csv", "json"])
    p.add_argument("--table", default="metrics", choices=list(COLUMNS))
    p.add_argument("--store", default=DEFAULT_STORE)
    return p


def run(args: argparse.Namespace) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.leaderboard import to_csv, to_json
    from dgpbench.reports.natural import natural_key

    store = Store(args.store, create=False)
    run = store.run(args.run_id)
    run_id = run["run_id"]
    if args.table == "recovery":
        from dgpbench.reports.recovery import recovery_rows

        suite = json.loads(run.get("suite_json") or "{}")
        judged = recovery_rows(suite, store.metric_rows(run_id), store.cells(run_id), store.metric_info(run_id))
        # sizes: a list in JSON, "200;800;3200" in a CSV cell
        join = args.format == "csv"
        stored = [
            {"run_id": run_id, **r, "sizes": ";".join(map(str, r["sizes"])) if join else r["sizes"]} for r in judged
        ]
    elif args.table == "faces":
        from dgpbench.reports.verdict import face_verdicts

        stored = [{"run_id": run_id, **r} for r in face_verdicts(store.metric_rows(run_id), store.metric_info(run_id))]
    elif args.table == "cells":
        stored = store.cells(run_id)
    else:
        stored = store.metric_rows(run_id) if args.table == "metrics" else store.estimate_rows(run_id)
    # generators and models as a reader counts them (ihdp_2 before ihdp_10); the store's order within
    stored = sorted(stored, key=lambda r: (natural_key(r.get("generator")), natural_key(r.get("model"))))
    cols = COLUMNS[args.table]
    rows = [{c: r.get(c) for c in cols} for r in stored]  # a store read as it was written may lack ``log``
    out = to_csv(rows) if args.format == "csv" else to_json(rows) + "\n"
    sys.stdout.write(out or ",".join(cols) + "\n")
    return 0
