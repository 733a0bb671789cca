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
from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.leaderboard import _mean_se
from dgpbench.reports.published import published_for
from dgpbench.vocabulary import FACES, FAILED_STATUSES


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


def anchor(data: RunData, generator: str) -> str:
    """The id of the section that shows a generator: by position, so any label makes a valid
    fragment; a replication group's members all point at the group's section."""
    for gs in replication_groups(data):
        if generator in gs:
            generator = gs[0]
    return f"gen-{data.generators.index(generator)}"


def _overall(s: dict) -> float | None:
    vals = [s[f] for f in FACES if s.get(f) is not None]
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
        naive = data.naive_faces()
        faces = [f for f in FACES if any(s[f] is not None for s in data.summary)] or list(FACES)
        groups = []
        for g in data.generators:
            rows = [
                dict(s, overall=_overall(s), naive=", ".join(naive.get(s["model"], ())))
                for s in data.summary
                if s["generator"] == g
            ]
            rows.sort(key=lambda s: (s["overall"] is None, -(s["overall"] or 0), s["model"]))
            if rows:
                groups.append({"generator": g, "anchor": anchor(data, g), "rows": rows})
        return {"groups": groups, "faces": faces}


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
    """Cells that did not finish ok: errors one by one, skipped pairs grouped with their reason."""

    name, title, order = "failures", "Failed, timed-out and skipped cells", 40

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
                "seconds": max((c["total_s"] or 0.0) for c in cs),
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
    return [sorted(gs, key=lambda g: (data.params(g)["replication"], g)) for gs in by.values() if len(gs) > 1]


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


# -- per generator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """What one generator section shows: a generator, or a replication group drawn as one."""

    label: str
    members: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.members[0]

    @property
    def is_group(self) -> bool:
        return len(self.members) > 1


def units(data: RunData) -> list[Unit]:
    """Generators in suite order; a replication group takes the place of its first member."""
    groups = {gs[0]: gs for gs in replication_groups(data)}
    members = {g for gs in groups.values() for g in gs}
    reg = data.registered("generator")
    out = []
    for g in data.generators:
        if g in groups:
            gs = groups[g]
            out.append(Unit(f"{reg[g]} · {len(gs)} replications", tuple(gs)))
        elif g not in members:
            out.append(Unit(g, (g,)))
    return out


@dataclass(frozen=True)
class FigureKind:
    """One picture of a generator section: drawn when its data is in the store."""

    name: str
    title: str
    order: int
    caption: str
    draw: Callable[[RunData, Unit, fig.Palette], tuple[fig.Image | None, str]]


def _curve_kind(name: str, fn: Callable, face: str | None = None):
    """Curves of one kind at the lowest seed (of the first replication, for a group)."""

    def draw(data: RunData, unit: Unit, palette: fig.Palette):
        curves, seed = data.curves_of(unit.first, name)
        if not curves:
            return None, ""
        kw = {"naive_models": data.naive_models(face)} if face else {}
        where = f"Seed {seed}" + (f" of {unit.first}" if unit.is_group else "") + "."
        return fn(curves, palette, **kw), where

    return draw


def _scores(data: RunData, unit: Unit, palette: fig.Palette):
    if not unit.is_group:
        return fig.scores([r for r in data.rows if r["generator"] == unit.first], palette), ""
    members = set(unit.members)
    rows = lb.aggregate(
        [dict(r, generator=unit.label) for r in data.metrics if r["generator"] in members],
        [dict(c, generator=unit.label) for c in data.cells if c["generator"] in members],
    )
    return fig.scores(rows, palette), f"Pooled over the {len(members)} replications and their seeds."


def _coefficients(data: RunData, unit: Unit, palette: fig.Palette):
    rows = [r for r in data.estimates if r["generator"] == unit.first]
    return (
        fig.coefficients(rows, palette, data.naive_models("coefficients")),
        f"Replication {unit.first}." if unit.is_group else "",
    )


FIGURES: tuple[FigureKind, ...] = (
    FigureKind(
        "scores",
        "Scores against the oracle and the naive baseline",
        10,
        "Mean normalised score per metric over seeds: 1 is the oracle (the truth used as a model), "
        "0 the naive baseline, negative worse than naive (red band).",
        _scores,
    ),
    FigureKind(
        "coefficients",
        "True vs recovered coefficients",
        20,
        "Estimate and 95 % interval per model and seed (one line each); the dashed line is the truth "
        "(or, for real data, the published reference). Naive baselines are dotted.",
        _coefficients,
    ),
    FigureKind(
        "conditional",
        "Conditional mean and sd against the truth",
        30,
        "Each model's E[y | x] and sd[y | x] on a grid; truth dashed black, naive baseline dotted.",
        _curve_kind("conditional", fig.conditional, "distribution"),
    ),
    FigureKind(
        "samples",
        "Model samples over true samples",
        40,
        "One draw of y per held-out x from each model (colour) over the observed y (grey).",
        _curve_kind("samples", fig.samples),
    ),
    FigureKind(
        "joint_samples",
        "Synthetic rows over true rows",
        45,
        "Rows sampled by joint models (colour) over fresh rows from the truth (grey).",
        _curve_kind("joint_samples", fig.joint_samples),
    ),
    FigureKind(
        "panel_paths",
        "Observed, true counterfactual and predicted counterfactual paths",
        50,
        "Mean over treated units per period: what was observed, the true untreated outcome Y(0) "
        "(dashed) and each model's predicted Y(0); naive baselines dotted.",
        _curve_kind("panel_paths", fig.panel_paths, "counterfactuals"),
    ),
    FigureKind(
        "group_effects",
        "Group effects against the truth, with shrinkage",
        60,
        "True (grey) and estimated (colour) effect of every group against its size; small groups "
        "pulled towards zero is shrinkage. Titles give the slope of estimate on truth.",
        _curve_kind("group_effects", fig.group_effects),
    ),
    FigureKind(
        "ite",
        "Predicted vs true individual effects",
        70,
        "Held-out rows; the dashed identity line is the oracle, a flat cloud is a constant effect.",
        _curve_kind("ite", fig.ite),
    ),
)


class Generators(View):
    """One section per generator (a replication group is one section): parameters, published
    reference rows, then its pictures."""

    name, title, order = "generators", "Generators", 50

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.generators:
            return None
        palette = fig.Palette(data.models)
        reg = data.registered("generator")
        sections = []
        for unit in units(data):
            members = set(unit.members)
            served = sorted({c["model"] for c in data.cells if c["generator"] in members and c["status"] != "skipped"})
            truth_kinds = {r["truth_kind"] for r in data.estimates if r["generator"] in members} - {None}
            figures = []
            for kind in sorted(FIGURES, key=lambda k: k.order):
                image, where = kind.draw(data, unit, palette)
                if image is not None:
                    figures.append({"kind": kind, "image": image, "where": where})
            params = dict(data.params(unit.first))
            if unit.is_group:
                params["replication"] = ", ".join(str(data.params(g)["replication"]) for g in unit.members)
            sections.append(
                {
                    "generator": unit.label,
                    "anchor": anchor(data, unit.first),
                    "registered": reg.get(unit.first, unit.first),
                    "params": params,
                    "members": list(unit.members) if unit.is_group else [],
                    "served": served,
                    "truth_kind": "reference" if "reference" in truth_kinds else "truth",
                    "figures": figures,
                    "published": [] if unit.is_group else _published_rows(data, unit.first, reg.get(unit.first, "")),
                }
            )
        return {"sections": sections}


def _published_rows(data: RunData, g: str, registered: str) -> list[dict[str, Any]]:
    """Per published quantity: this run's measured rows (model mean +- se), then the published ones."""
    out = []
    for quantity in sorted({p.quantity for p in published_for(registered)}):
        pubs = [p for p in published_for(registered) if p.quantity == quantity]
        if pubs[0].kind == "metric":
            measured = [
                {"model": r["model"], "mean": r["mean"], "se": r["se"], "n": r["n"]}
                for r in data.rows
                if r["generator"] == g and r["metric"] == quantity
            ]
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
