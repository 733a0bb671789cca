"""``dgpbench`` command line: the thin face over every layer (and imported by none).

Exit codes: 0 success (including runs whose failed cells were recorded), 2 bad input
(suite, arguments, plugin, store path), 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dgpbench.errors import BadInput
from dgpbench.vocabulary import DEFAULT_STORE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's usage errors are bad input too: exit 2, one line
        raise BadInput(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dgpbench", description="Does model M recover the data generating process of generator G?")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ls = sub.add_parser("list", help="list generators, models, metrics or suites")
    ls.add_argument("what", nargs="?", default="all", choices=["all", "generators", "models", "metrics", "suites"])
    ls.add_argument("--format", default="table", choices=["table", "json"])
    ls.add_argument("--plugin", action="append", default=[], metavar="MODULE")

    run = sub.add_parser("run", help="run a suite (built-in name or YAML path) into the store")
    run.add_argument("suite")
    run.add_argument("--store", default=DEFAULT_STORE)
    run.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    run.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import a module (or .py file) that registers generators/models/metrics",
    )
    run.add_argument("--only", default=None, metavar="generator=NAME,model=NAME")
    run.add_argument("--rerun", action="store_true", help="start a new run instead of resuming")
    run.add_argument("--no-progress", action="store_true")

    rep = sub.add_parser("report", help="write a self-contained HTML report of a run; prints its path")
    rep.add_argument("run_id", nargs="?", default=None)
    rep.add_argument("-o", "--output", default=None)
    rep.add_argument("--store", default=DEFAULT_STORE)

    lb = sub.add_parser("leaderboard", help="models by normalised score per generator and face")
    lb.add_argument("--run", dest="run_id", default=None, help="run id (default: the latest)")
    lb.add_argument("--format", default="table", choices=["table", "csv", "json", "html"])
    lb.add_argument("--detail", action="store_true", help="table: every metric, not only face means")
    lb.add_argument("-o", "--output", default=None, help="html: where to write it")
    lb.add_argument("--store", default=DEFAULT_STORE)

    cmp_ = sub.add_parser("compare", help="two runs side by side with deltas")
    cmp_.add_argument("run_a")
    cmp_.add_argument("run_b")
    cmp_.add_argument("-o", "--output", default=None)
    cmp_.add_argument("--store", default=DEFAULT_STORE)

    res = sub.add_parser("results", help="tidy export of a run's metrics or estimates")
    res.add_argument("run_id", nargs="?", default=None)
    res.add_argument("--format", default="csv", choices=["csv", "json"])
    res.add_argument("--table", default="metrics", choices=["metrics", "estimates"])
    res.add_argument("--store", default=DEFAULT_STORE)
    return p


# -- list -------------------------------------------------------------------------------------


def _listing(what: str) -> list[dict[str, Any]]:
    from dgpbench.params import describe

    if what == "suites":
        from dgpbench.benchmarks.suite import builtin_suites, load

        return [{"name": n, "description": load(n).description} for n in builtin_suites()]
    if what == "metrics":
        from dgpbench.benchmarks.metrics import METRICS

        out = []
        for e in METRICS.entries():
            try:
                m = METRICS.get(e.name)
                out.append(
                    {
                        "name": m.name,
                        "description": m.description,
                        "face": m.face,
                        "direction": m.direction,
                        "requires": list(m.requires),
                        "truth": list(m.truth),
                        "naive": m.naive,
                        "citation": m.citation,
                    }
                )
            except BadInput as exc:
                out.append({"name": e.name, "unavailable": str(exc)})
        return out
    if what == "generators":
        from dgpbench.generators.registry import GENERATORS as registry
    else:
        from dgpbench.models.registry import MODELS as registry
    out = []
    for e in registry.entries():
        try:
            cls = registry.get(e.name)
        except BadInput as exc:
            out.append({"name": e.name, "source": e.source, "unavailable": str(exc)})
            continue
        row = {
            "name": e.name,
            "description": cls.description,
            "version": cls.version,
            "parameters": describe(cls.Params),
            "source": e.source,
        }
        if what == "models":
            row["capabilities"] = list(cls.capabilities.names())
        out.append(row)
    return out


def _print_listing(what: str, rows: list[dict[str, Any]]) -> None:
    print(f"{what}:")
    for r in rows:
        if "unavailable" in r:
            print(f"  {r['name']:<18} UNAVAILABLE  {r['unavailable']}")
            continue
        extra = f" [{r['face']}]" if "face" in r else ""
        caps = f"  ({', '.join(r['capabilities'])})" if r.get("capabilities") else ""
        print(f"  {r['name']:<18} {r['description']}{extra}{caps}")
        for prm in r.get("parameters", []):
            rng = f" [{prm['range']}]" if prm["range"] else ""
            print(f"      {prm['name']}: {prm['type']} = {prm['default']!r}{rng}")


def cmd_list(args) -> int:
    from dgpbench.registry import import_plugin

    for p in args.plugin:
        import_plugin(p)
    kinds = ["generators", "models", "metrics", "suites"] if args.what == "all" else [args.what]
    listing = {k: _listing(k) for k in kinds}
    if args.format == "json":
        print(json.dumps(listing if args.what == "all" else listing[args.what], indent=1, default=str))
    else:
        for k in kinds:
            _print_listing(k, listing[k])
    return 0


# -- run and read ------------------------------------------------------------------------------


def cmd_run(args) -> int:
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store
    from dgpbench.benchmarks.suite import load
    from dgpbench.registry import import_plugin

    if args.workers is not None and args.workers < 1:
        raise BadInput(f"--workers {args.workers}: must be at least 1")
    for p in args.plugin:
        import_plugin(p)
    suite = load(args.suite)  # validated before any work or any file is written
    only = runner.parse_only(args.only)
    store = Store(args.store)
    executor = None
    if args.scheduler:
        from dgpbench.benchmarks.executors import dask_executor

        executor = dask_executor(args.scheduler)
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
    finally:
        if executor is not None:
            executor.client.close()
    print(runner.summary_line(summary))
    print(f"results: {store.path} (run {summary.run_id}); see `dgpbench leaderboard` and `dgpbench report`")
    return 0


def cmd_results(args) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.leaderboard import to_csv, to_json

    store = Store(args.store, create=False)
    run = store.run(args.run_id)
    if args.table == "metrics":
        rows = store.metric_rows(run["run_id"])
        cols = ["run_id", "generator", "model", "seed", "face", "metric", "value", "oracle", "naive", "score", "status"]
    else:
        rows = store.estimate_rows(run["run_id"])
        cols = ["run_id", "generator", "model", "seed", "name", "truth", "estimate", "lower", "upper"]
    rows = [{c: r[c] for c in cols} for r in rows]
    out = to_csv(rows) if args.format == "csv" else to_json(rows) + "\n"
    sys.stdout.write(out or ",".join(cols) + "\n")
    return 0


def cmd_leaderboard(args) -> int:
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


def cmd_report(args) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.html import write_report

    store = Store(args.store, create=False)
    print(write_report(store, args.run_id, args.output))
    return 0


def cmd_compare(args) -> int:
    from dgpbench.benchmarks.store import Store
    from dgpbench.reports.html import write_compare

    store = Store(args.store, create=False)
    print(write_compare(store, args.run_a, args.run_b, args.output))
    return 0


COMMANDS = {
    "list": cmd_list,
    "run": cmd_run,
    "results": cmd_results,
    "leaderboard": cmd_leaderboard,
    "report": cmd_report,
    "compare": cmd_compare,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except BadInput as exc:
        print(f"dgpbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def console() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console()
