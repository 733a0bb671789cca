"""The run report's views: the header, the summary and leaderboard tables, the failures and
the replication summary, then the per-generator sections (:mod:`~dgpbench.reports.sections`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.leaderboard import order_key
from dgpbench.reports.published import Published, published_for
from dgpbench.reports.recovery import size_members
from dgpbench.reports.recovery_view import Recovery, family_anchor
from dgpbench.reports.sections import Generators
from dgpbench.reports.sensitivity_view import Sensitivity
from dgpbench.reports.stats import mean_se
from dgpbench.reports.units import anchor, pooled_summary, replication_groups, units
from dgpbench.reports.view import View
from dgpbench.vocabulary import FACES, FAILED_STATUSES


class RunHeader(View):
    name, title, order = "header", "Run", 10

    def context(self, data: RunData) -> dict[str, Any]:
        return {"meta": data.meta()}


class Summary(View):
    """Generator x model x face: each face's score +- se and shared rank, best model first.

    A replication group (IHDP's replications) is one pooled group: mean +- se over its
    replications, ranks paired by replication; the members' own rows are in the leaderboard.
    A size sweep is one group read at its largest size, each face with its recovery verdict
    (:mod:`.recovery`); the scores at every size follow, folded.
    """

    name, title, order = "summary", "Does it recover the process?", 12

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.summary:
            return None
        naive = data.naive_faces()
        pooled = pooled_summary(data)
        faces = [f for f in FACES if any(f in s["verdict"] for s in data.summary)] or list(FACES)
        primary: dict[str, set[str]] = defaultdict(set)
        for r in data.faces:
            if r["primary_metric"]:
                primary[r["face"]].add(r["primary_metric"])
        swept = size_members(data.suite)
        recovery = {(r["generator"], r["model"], r["face"]): r["verdict"] for r in data.recovery}

        running = lb.pending_count(data.run, len(data.cells)) > 0

        def rows_of(label: str, source: list[dict]) -> list[dict]:
            rows = [dict(s, naive=", ".join(naive.get(s["model"], ()))) for s in source if s["generator"] == label]
            for r in rows:  # a pair of a running run with fewer cells than seeds planned: the rest is pending
                r["pending"] = max(data.planned_seeds(label) - r["n_total"], 0) if running else 0
            return sorted(rows, key=order_key)

        groups: list[dict[str, Any]] = []
        sizes: list[dict[str, Any]] = []
        for unit in units(data):
            family = swept[unit.label]["family"] if unit.label in swept else None
            rows = rows_of(unit.label, pooled if unit.is_group else data.summary)
            if not rows:
                continue
            group = {
                "generator": unit.label,
                "anchor": anchor(data, unit.first),
                "rows": rows,
                "pooled": unit.is_group,
                "family": None,
                "at": None,
            }
            if family is None:
                groups.append(group)
                continue
            sizes.append(dict(group, family=family, size=swept[unit.label]["value"]))
            if not any(g["family"] == family for g in groups):
                groups.append({"generator": family, "family": family, "anchor": family_anchor(data, family)})
        for g in groups:
            if g["family"]:
                g.update(at_size([m for m in sizes if m["family"] == g["family"]]))
                for r in g["rows"]:
                    r["recovery"] = {f: recovery.get((g["family"], r["model"], f)) for f in faces}
        return {
            "groups": groups,
            "sizes": sizes,
            "faces": faces,
            "primary": {f: " / ".join(sorted(p)) for f, p in primary.items()},
        }


def at_size(members: list[dict]) -> dict[str, Any]:
    """A size sweep's summary rows: every model at the largest size all of them ran, so their
    ranks compare like with like; where they share no size, each at its own largest, unranked."""
    models = {r["model"] for m in members for r in m["rows"]}
    by_size = sorted(members, key=lambda m: m["size"])
    common = [m for m in by_size if {r["model"] for r in m["rows"]} == models]
    if common:
        return {"rows": [dict(r) for r in common[-1]["rows"]], "at": common[-1]["generator"], "pooled": False}
    largest: dict[str, dict] = {}
    for member in by_size:
        for r in member["rows"]:
            verdict = {f: dict(v, rank=None) for f, v in r["verdict"].items()}
            largest[r["model"]] = dict(r, verdict=verdict, mean_rank=None, at=member["generator"])
    return {"rows": sorted(largest.values(), key=order_key), "at": None, "pooled": False}


class Leaderboard(View):
    """Every (generator, model, metric): mean +- se over seeds, oracle, naive, normalised score."""

    name, title, order = "leaderboard", "Leaderboard", 30

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.rows:
            return None
        gorder = {g: i for i, g in enumerate(data.generators)}
        rows = [
            dict(
                r,
                direction=data.direction(r["metric"]) or "",
                description=data.description(r["metric"]),
                gorder=gorder.get(r["generator"], 999),
            )
            for r in data.rows
        ]
        faces = [f for f in FACES if any(r["face"] == f for r in rows)]
        registered = data.registered("generator")
        names = sorted({registered[g] for g in data.generators if g in registered})
        published = [p for name in names for p in published_for(name) if p.kind == "metric"]
        return {"rows": rows, "faces": faces, "generators": data.generators, "published": published}


class Failures(View):
    """Cells that did not finish ok, and cells with no result yet. Failures (error, diverged,
    timeout, crashed: the model's) come first, grouped by message, with the longest a cell ran
    before it stopped; then the pairs a model cannot serve (skipped: not applicable, not a
    failure); then the cells of the run still pending (a running run) or never run (an
    interrupted one), so that none of them reads as "every model was skipped"."""

    name, title, order = "failures", "Failed, timed-out, skipped and pending cells", 40

    def context(self, data: RunData) -> dict[str, Any]:
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for c in data.cells:
            if c["status"] in FAILED_STATUSES:
                groups[(c["status"], c["generator"], c["model"], _headline(c["error"]))].append(c)
        order = {g: i for i, g in enumerate(data.generators)}
        failed = [
            {
                "status": st,
                "generator": g,
                "model": m,
                "headline": head,
                "seeds": sorted(c["seed"] for c in cs),
                # the longest a cell ran before it stopped; None where no cell recorded it
                "seconds": max((c["total_s"] for c in cs if c["total_s"] is not None), default=None),
                "error": (min(cs, key=lambda c: c["seed"])["error"] or "").strip(),
            }
            for (st, g, m, head), cs in sorted(
                groups.items(),
                key=lambda kv: (
                    FAILED_STATUSES.index(kv[0][0]),
                    order.get(kv[0][1], 999),
                    kv[0][2],
                    kv[0][3],
                ),
            )
        ]
        skipped: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for c in data.cells:
            if c["status"] == "skipped":
                skipped[(c["generator"], c["model"], (c["error"] or "").strip())].append(c["seed"])
        skip_rows = [
            {"generator": g, "model": m, "reason": r, "seeds": sorted(s)} for (g, m, r), s in sorted(skipped.items())
        ]
        counts = data.status_counts()
        tally = lb.status_text(counts, {})
        return {
            "failed": failed,
            "skipped": skip_rows,
            "tally": tally,
            "pending": lb.pending_line(data.run, len(data.cells)),
            "time_limit": data.suite.get("time_limit"),
        }


def _headline(error: str | None) -> str:
    lines = [ln.strip() for ln in (error or "").strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no message)"


class Replications(View):
    """A replicated data set as papers report it: one table of models x the published metrics,
    mean +- se over replications, beside the published values with their se; then the spread
    over replications (a few replications with extreme outcomes can dominate a mean)."""

    name, title, order = "replications", "Across replications", 45

    def context(self, data: RunData) -> dict[str, Any] | None:
        groups = replication_groups(data)
        if not groups:
            return None
        reg = data.registered("generator")
        out = []
        for gs in groups:
            reps = {g: data.params(g)["replication"] for g in gs}
            per: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
            for r in data.rows:
                if r["generator"] in reps and r["mean"] is not None and data.normalised(r["metric"]):
                    per[(r["model"], r["metric"])][r["generator"]] = r["mean"]
            rows = []
            for (m, metric), vals in sorted(per.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                v = [vals[g] for g in gs if g in vals]
                rows.append(
                    {
                        "model": m,
                        "metric": metric,
                        "n": len(v),
                        "mean": statistics.fmean(v),
                        "median": statistics.median(v),
                        "min": min(v),
                        "max": max(v),
                        "sd": statistics.stdev(v) if len(v) > 1 else None,
                        "worst": (min if data.direction(metric) == "higher" else max)(
                            (g for g in gs if g in vals), key=lambda g: vals[g]
                        ),
                    }
                )
            published = [p for p in published_for(reg[gs[0]]) if p.kind == "metric"]
            out.append(
                {
                    "name": reg[gs[0]],
                    "generators": gs,
                    "replications": sorted(reps.values()),
                    "rows": rows,
                    "paper": paper_table(per, gs, published),
                }
            )
        return {"groups": out}


def paper_table(
    per: dict[tuple[str, str], dict[str, float]], members: list[str], published: list[Published]
) -> dict[str, Any] | None:
    """Models x the metrics the literature reports for this data set (those with a published
    value, in the source's order): mean +- se over replications (se = sd / sqrt(replications
    run)), best first on the first column; the published methods' rows below with their se."""
    columns = list(dict.fromkeys(p.quantity for p in published))
    if not columns:
        return None
    models = sorted({m for m, metric in per if metric in columns})
    rows: list[dict[str, Any]] = []
    for m in models:
        cells = []
        for metric in columns:
            v = [per[(m, metric)][g] for g in members if g in per.get((m, metric), {})]
            mean, se = mean_se(v)
            cells.append({"mean": mean, "se": se, "n": len(v)})
        rows.append({"model": m, "cells": cells, "first": cells[0]["mean"]})
    rows.sort(key=lambda r: (r["first"] is None, r["first"] or 0.0, r["model"]))
    methods = list(dict.fromkeys(p.method for p in published))
    at = {(p.method, p.quantity): p for p in published}
    return {
        "columns": columns,
        "rows": rows,
        "published": [{"method": k, "cells": [at.get((k, c)) for c in columns]} for k in methods],
        "sources": sorted({f"{p.source}; {p.note}" if p.note else p.source for p in published}),
    }


REPORT_VIEWS: tuple[View, ...] = (
    RunHeader(),
    Recovery(),
    Summary(),
    Sensitivity(),
    Leaderboard(),
    Failures(),
    Replications(),
    Generators(),
)
