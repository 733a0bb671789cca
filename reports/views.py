"""The run report's views: the header, the summary and leaderboard tables, the failures and
the replication summary, then the per-generator sections (:mod:`~dgpbench.reports.sections`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.leaderboard import order_key
from dgpbench.reports.published import published_for
from dgpbench.reports.recovery_view import Recovery
from dgpbench.reports.sections import Generators
from dgpbench.reports.sensitivity_view import Sensitivity
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
    """

    name, title, order = "summary", "Summary", 20

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
        groups = []
        for unit in units(data):
            source = pooled if unit.is_group else data.summary
            rows = [dict(s, naive=", ".join(naive.get(s["model"], ()))) for s in source if s["generator"] == unit.label]
            rows.sort(key=order_key)
            if rows:
                groups.append(
                    {"generator": unit.label, "anchor": anchor(data, unit.first), "rows": rows, "pooled": unit.is_group}
                )
        return {"groups": groups, "faces": faces, "primary": {f: " / ".join(sorted(p)) for f, p in primary.items()}}


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
    """Mean, median and spread over a data set's replications (a few extreme ones dominate means)."""

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
                        "values": [(reps[g], vals.get(g)) for g in gs],
                    }
                )
            published = [p for p in published_for(reg[gs[0]]) if p.kind == "metric"]
            out.append(
                {
                    "name": reg[gs[0]],
                    "generators": gs,
                    "replications": sorted(reps.values()),
                    "rows": rows,
                    "published": published,
                }
            )
        return {"groups": out}


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
