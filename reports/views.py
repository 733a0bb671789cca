"""The run report's views: small units with a name, a title and an order (asv's idea).

Each view turns :class:`~dgpbench.reports.data.RunData` into a plain context for its own
template (``templates/_<name>.html.j2``), or ``None`` when it has nothing to show. The
per-generator pictures are figure kinds chosen by which curves and estimates the store
holds, never by model or generator names.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dgpbench.reports import figures as fig
from dgpbench.reports.data import STATUS_ORDER, RunData
from dgpbench.reports.leaderboard import FACE_ORDER, _mean_se
from dgpbench.reports.published import published_for


class View:
    name: str = ""
    title: str = ""
    order: int = 0

    @property
    def template(self) -> str:
        return f"_{self.name}.html.j2"

    def context(self, data: Any) -> dict[str, Any] | None:
        raise NotImplementedError


def build(views: list[View], data: Any) -> list[tuple[View, dict[str, Any]]]:
    """The views that have something to show, in order, with their contexts."""
    out = []
    for v in sorted(views, key=lambda v: (v.order, v.name)):
        ctx = v.context(data)
        if ctx is not None:
            out.append((v, ctx))
    return out


def _overall(s: dict) -> float | None:
    vals = [s[f] for f in FACE_ORDER if s.get(f) is not None]
    return sum(vals) / len(vals) if vals else None


class RunHeader(View):
    name, title, order = "header", "Run", 10

    def context(self, data: RunData) -> dict[str, Any]:
        return {"meta": data.meta()}


class Summary(View):
    """Generator x model x face: the mean normalised score of each face, best model first."""

    name, title, order = "summary", "Summary", 20

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.summary:
            return None
        naive = data.all_naive_models()
        faces = [f for f in FACE_ORDER if any(s[f] is not None for s in data.summary)] or list(FACE_ORDER)
        groups = []
        for g in data.generators:
            rows = [dict(s, overall=_overall(s), naive=s["model"] in naive)
                    for s in data.summary if s["generator"] == g]
            rows.sort(key=lambda s: (s["overall"] is None, -(s["overall"] or 0), s["model"]))
            if rows:
                groups.append({"generator": g, "rows": rows})
        return {"groups": groups, "faces": faces}


class Leaderboard(View):
    """Every (generator, model, metric): mean +- se over seeds, oracle, naive, normalised score."""

    name, title, order = "leaderboard", "Leaderboard", 30

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.rows:
            return None
        gorder = {g: i for i, g in enumerate(data.generators)}
        rows = [dict(r, direction=data.direction(r["metric"]) or "", description=data.description(r["metric"]),
                     gorder=gorder.get(r["generator"], 999)) for r in data.rows]
        faces = [f for f in FACE_ORDER if any(r["face"] == f for r in rows)]
        published = []
        registered = data.registered("generator")
        for g in data.generators:
            for p in published_for(registered.get(g, "")):
                if p.kind == "metric":
                    published.append({"generator": g, "p": p})
        return {"rows": rows, "faces": faces, "generators": data.generators, "published": published}


class Failures(View):
    """Cells that did not finish ok: errors one by one, skipped pairs grouped with their reason."""

    name, title, order = "failures", "Failed, timed-out and skipped cells", 40

    def context(self, data: RunData) -> dict[str, Any]:
        bad = [c for c in data.cells if c["status"] not in ("ok", "skipped")]
        bad.sort(key=lambda c: (STATUS_ORDER.index(c["status"]) if c["status"] in STATUS_ORDER else 9,
                                c["generator"], c["model"], c["seed"]))
        failed = [{"generator": c["generator"], "model": c["model"], "seed": c["seed"], "status": c["status"],
                   "headline": _headline(c["error"]), "error": (c["error"] or "").strip(),
                   "seconds": c["total_s"]} for c in bad]
        skipped: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for c in data.cells:
            if c["status"] == "skipped":
                skipped[(c["generator"], c["model"], (c["error"] or "").strip())].append(c["seed"])
        skip_rows = [{"generator": g, "model": m, "reason": r, "seeds": sorted(s)}
                     for (g, m, r), s in sorted(skipped.items())]
        return {"failed": failed, "skipped": skip_rows}


def _headline(error: str | None) -> str:
    lines = [ln.strip() for ln in (error or "").strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no message)"


def replication_groups(data: RunData) -> list[list[str]]:
    """Generator labels of one registered generator whose parameters differ only in
    ``replication`` (the shared parameter name for a data set's replications)."""
    reg = data.registered("generator")
    by: dict[tuple, list[str]] = defaultdict(list)
    for g in data.generators:
        p = dict(data.params(g))
        if "replication" not in p:
            continue
        p.pop("replication")
        by[(reg[g], repr(sorted(p.items())))].append(g)
    return [gs for gs in by.values() if len(gs) > 1]


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
                if r["generator"] in reps and r["mean"] is not None and r["note"] != "not normalised":
                    per[(r["model"], r["metric"])][r["generator"]] = r["mean"]
            rows = []
            for (m, metric), vals in sorted(per.items(), key=lambda kv: (kv[0][1], kv[0][0])):
                v = [vals[g] for g in gs if g in vals]
                rows.append({"model": m, "metric": metric, "n": len(v), "mean": statistics.fmean(v),
                             "median": statistics.median(v), "min": min(v), "max": max(v),
                             "sd": statistics.stdev(v) if len(v) > 1 else None,
                             "worst": max((g for g in gs if g in vals), key=lambda g: vals[g]),
                             "values": [(reps[g], vals.get(g)) for g in gs]})
            published = [p for p in published_for(reg[gs[0]]) if p.kind == "metric"]
            out.append({"name": reg[gs[0]], "generators": gs, "replications": sorted(reps.values()),
                        "rows": rows, "published": published})
        return {"groups": out}


# -- per generator ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureKind:
    """One picture of a generator section: drawn when its data is in the store."""

    name: str
    title: str
    order: int
    caption: str
    draw: Callable[[RunData, str, fig.Palette], tuple[fig.Image | None, int | None]]


def _curve_kind(name: str, fn: Callable, face: str | None = None):
    def draw(data: RunData, g: str, palette: fig.Palette):
        curves, seed = data.curves_of(g, name)
        if not curves:
            return None, None
        kw = {"naive_models": data.naive_models(face)} if face else {}
        return fn(curves, palette, **kw), seed
    return draw


def _scores(data: RunData, g: str, palette: fig.Palette):
    return fig.scores([r for r in data.rows if r["generator"] == g], palette), None


def _coefficients(data: RunData, g: str, palette: fig.Palette):
    rows = [r for r in data.estimates if r["generator"] == g]
    return fig.coefficients(rows, palette, data.naive_models("coefficients")), None


FIGURES: tuple[FigureKind, ...] = (
    FigureKind("scores", "Scores against the oracle and the naive baseline", 10,
               "Mean normalised score per metric over seeds: 1 is the oracle (the truth used as a model), "
               "0 the naive baseline, negative worse than naive (red band).", _scores),
    FigureKind("coefficients", "True vs recovered coefficients", 20,
               "Estimate and 95 % interval per model and seed (one line each); the dashed line is the truth "
               "(or, for real data, the published reference). Naive baselines are dotted.", _coefficients),
    FigureKind("conditional", "Conditional mean and sd against the truth", 30,
               "Each model's E[y | x] and sd[y | x] on a grid; truth dashed black, naive baseline dotted.",
               _curve_kind("conditional", fig.conditional, "variance")),
    FigureKind("samples", "Model samples over true samples", 40,
               "One draw of y per held-out x from each model (colour) over the observed y (grey).",
               _curve_kind("samples", fig.samples)),
    FigureKind("joint_samples", "Synthetic rows over true rows", 45,
               "Rows sampled by joint models (colour) over fresh rows from the truth (grey).",
               _curve_kind("joint_samples", fig.joint_samples)),
    FigureKind("panel_paths", "Observed, true counterfactual and predicted counterfactual paths", 50,
               "Mean over treated units per period: what was observed, the true untreated outcome Y(0) "
               "(dashed) and each model's predicted Y(0); naive baselines dotted.",
               _curve_kind("panel_paths", fig.panel_paths, "counterfactuals")),
    FigureKind("group_effects", "Group effects against the truth, with shrinkage", 60,
               "True (grey) and estimated (colour) effect of every group against its size; small groups "
               "pulled towards zero is shrinkage. Titles give the slope of estimate on truth.",
               _curve_kind("group_effects", fig.group_effects)),
    FigureKind("ite", "Predicted vs true individual effects", 70,
               "Held-out rows; the dashed identity line is the oracle, a flat cloud is a constant effect.",
               _curve_kind("ite", fig.ite)),
)


class Generators(View):
    """One section per generator: parameters, published reference rows, then its pictures."""

    name, title, order = "generators", "Generators", 50

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.generators:
            return None
        palette = fig.Palette(data.models)
        reg = data.registered("generator")
        grouped = {g for gs in replication_groups(data) for g in gs}
        sections = []
        for g in data.generators:
            cells = [c for c in data.cells if c["generator"] == g]
            served = sorted({c["model"] for c in cells if c["status"] != "skipped"})
            truth_kinds = {r["truth_kind"] for r in data.estimates if r["generator"] == g} - {None}
            figures = []
            for kind in sorted(FIGURES, key=lambda k: k.order):
                image, seed = kind.draw(data, g, palette)
                if image is not None:
                    figures.append({"kind": kind, "image": image, "seed": seed})
            sections.append({"generator": g, "registered": reg.get(g, g), "params": data.params(g),
                             "served": served, "truth_kind": "reference" if "reference" in truth_kinds else "truth",
                             "figures": figures,
                             "published": [] if g in grouped else _published_rows(data, g, reg.get(g, ""))})
        return {"sections": sections}


def _published_rows(data: RunData, g: str, registered: str) -> list[dict[str, Any]]:
    """Per published quantity: this run's measured rows (model mean +- se), then the published ones."""
    out = []
    for quantity in sorted({p.quantity for p in published_for(registered)}):
        pubs = [p for p in published_for(registered) if p.quantity == quantity]
        if pubs[0].kind == "metric":
            measured = [{"model": r["model"], "mean": r["mean"], "se": r["se"], "n": r["n"]}
                        for r in data.rows if r["generator"] == g and r["metric"] == quantity]
        else:
            by: dict[str, list[float]] = defaultdict(list)
            for r in data.estimates:
                if r["generator"] == g and r["name"] == quantity:
                    by[r["model"]].append(r["estimate"])
            measured = []
            for m, v in sorted(by.items()):
                mean, se = _mean_se(v)
                measured.append({"model": m, "mean": mean, "se": se, "n": len(v)})
        out.append({"quantity": quantity, "kind": pubs[0].kind, "measured": measured, "published": pubs})
    return out


REPORT_VIEWS: tuple[View, ...] = (RunHeader(), Summary(), Leaderboard(), Failures(), Replications(), Generators())
