"""The report's per-generator sections: parameters, published reference rows and pictures.

The pictures are figure kinds chosen by which curves and estimates the store holds, never
by model or generator names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dgpbench.reports import figures as fig
from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.published import published_for
from dgpbench.reports.recovery import size_members
from dgpbench.reports.units import Unit, anchor, pooled_faces, units
from dgpbench.reports.view import View


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
    """Per metric and model: score +- se; the face's primary metric carries each model's shared rank."""
    if not unit.is_group:
        rows = [r for r in data.rows if r["generator"] == unit.first]
        faces = [r for r in data.faces if r["generator"] == unit.first]
        return fig.scores(rows, palette, _ranks(faces)), ""
    members = set(unit.members)
    rows = lb.aggregate(
        [dict(r, generator=unit.label) for r in data.metrics if r["generator"] in members],
        [dict(c, generator=unit.label) for c in data.cells if c["generator"] in members],
        data.info,
    )
    faces = [r for r in pooled_faces(data) if r["generator"] == unit.label]
    return (
        fig.scores(rows, palette, _ranks(faces)),
        f"Pooled over the {len(members)} replications and their seeds; ranks paired by replication.",
    )


def _ranks(face_rows: list[dict]) -> dict[tuple[str, str], int]:
    """(model, primary metric) -> shared rank, for the metrics that decide a face."""
    return {(r["model"], r["primary_metric"]): r["rank"] for r in face_rows if r["rank"] is not None}


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
        "Normalised score per metric ± its standard error over seeds (bars): 1 is the oracle (the truth "
        "used as a model), 0 the naive baseline, negative worse than naive (orange band). #k beside a face's "
        "primary metric is the model's shared rank; metrics whose naive and oracle are not separable, and "
        "nominal ones, have no dot (their raw values are in the leaderboard).",
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
        pending = lb.pending_count(data.run, len(data.cells))
        drawn_at = largest_sizes(data)
        for unit in units(data):
            members = set(unit.members)
            served = sorted({c["model"] for c in data.cells if c["generator"] in members and c["status"] != "skipped"})
            truth_kinds = {r["truth_kind"] for r in data.estimates if r["generator"] in members} - {None}
            figures = []
            largest = drawn_at.get(unit.label)
            for kind in sorted(FIGURES, key=lambda k: k.order) if largest in (None, unit.label) else ():
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
                    "drawn_at": largest if largest != unit.label else None,
                    "drawn_anchor": anchor(data, largest) if largest else None,
                    "pending": pending,
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
                mean, se = lb.mean_se(v)
                measured.append({"model": m, "mean": mean, "se": se, "n": len(v)})
        out.append({"quantity": quantity, "kind": pubs[0].kind, "measured": measured, "published": pubs})
    return out


def largest_sizes(data: RunData) -> dict[str, str]:
    """Each size-sweep member -> its family's largest size: only that one is drawn (the
    pictures of one process at every size would repeat each other, and every size is in the
    recovery curves), which keeps a report with sweeps light."""
    swept = size_members(data.suite)
    largest: dict[str, str] = {}
    for g, sw in swept.items():
        top = largest.get(sw["family"])
        if top is None or sw["value"] > swept[top]["value"]:
            largest[sw["family"]] = g
    return {g: largest[sw["family"]] for g, sw in swept.items()}
