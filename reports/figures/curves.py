"""Figure kinds drawn from a run's stored curves (one seed): conditional moments, samples
over true samples, counterfactual paths, group effects and individual effects."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.ticker import NullLocator

from dgpbench.reports.figures import canvas as cv
from dgpbench.reports.figures.canvas import Image, Naive, styled
from dgpbench.reports.figures.palette import Palette


@styled
def conditional(curves: dict[str, dict], palette: Palette, naive_models: Naive = frozenset()) -> Image | None:
    """Conditional mean and sd of y given x: every model against the truth (two panels)."""
    if not curves:
        return None
    fig, (a_mean, a_sd) = cv.figure(2, cols=2, panel_h=2.4)
    truth = next(iter(curves.values()))
    for m, d in sorted(curves.items()):
        x = cv.arr(d["x"])
        style = _line(palette, m, m in naive_models, len(x))
        a_mean.plot(x, cv.arr(d["mean"]), label=cv.text(m), **style)
        a_sd.plot(x, cv.arr(d["sd"]), **style)
    x = cv.arr(truth["x"])
    if truth.get("true_mean"):
        a_mean.plot(x, cv.arr(truth["true_mean"]), label="truth", **cv.TRUTH)
    if truth.get("true_sd"):
        a_sd.plot(x, cv.arr(truth["true_sd"]), **cv.TRUTH)
    xl = cv.text(truth.get("xlabel") or "x")
    a_mean.set(title="conditional mean E[y | x]", xlabel=xl, ylabel="E[y | x] (outcome units)")
    a_sd.set(title="conditional sd  sd[y | x]", xlabel=xl, ylabel="sd[y | x] (outcome units)")
    cv.legend(a_mean)
    return cv.finish(fig, "conditional mean and standard deviation of each model against the truth")


def _line(palette: Palette, model: str, naive: bool, n_points: int) -> dict[str, Any]:
    """A model's line: its colour, dotted for a naive baseline, and its marker every few
    points (a phase per model, so two overlapping lines still show both markers)."""
    style = palette(model)
    every = max(1, n_points // 6)
    base = dict(cv.NAIVE) if naive else {"lw": 1.5}
    phase = int(hashlib.sha256(model.encode("utf-8")).digest()[0]) % every
    return {**base, "color": style.colour, "marker": style.marker, "ms": 4.5, "markevery": (phase, every)}


@dataclass(frozen=True)
class Overlay:
    """A figure kind of one panel per model: its points (colour) over the truth's (grey).

    ``points(d)`` gives ``((truth_x, truth_y), (model_x, model_y))`` of one model's curve
    data, ``xlabel(d)`` the x-axis label and ``ylabel(d)`` (of the first model) the y-axis one.
    """

    points: Callable[[dict], tuple[tuple[Any, Any], tuple[Any, Any]]]
    xlabel: Callable[[dict], str]
    truth_label: str
    caption: str
    ylabel: Callable[[dict], str | None] = lambda d: None

    @styled
    def __call__(self, curves: dict[str, dict], palette: Palette) -> Image | None:
        if not curves:
            return None
        models = sorted(curves)
        fig, axes = cv.grid_of(models, sharex=True, sharey=True)
        for ax, m in zip(axes, models):
            d = curves[m]
            (tx, ty), (mx, my) = self.points(d)
            ax.scatter(cv.arr(tx), cv.arr(ty), s=3, color=cv.SAMPLE_TRUE, lw=0, label=self.truth_label)
            ax.scatter(cv.arr(mx), cv.arr(my), s=3, color=palette(m).colour, lw=0, alpha=0.75, label="model")
            ax.set_title(cv.text(m))
            ax.set_xlabel(cv.text(self.xlabel(d)))
        ylabel = self.ylabel(curves[models[0]])
        if ylabel is not None:
            axes[0].set_ylabel(cv.text(ylabel))
        cv.legend(axes[0], markerscale=3, loc="best")
        return cv.finish(fig, self.caption)


# Model samples of y given x (colour) over true held-out samples (grey), one panel per model.
samples = Overlay(
    points=lambda d: ((d["x"], d["y_true"]), (d["x"], d["y_model"])),
    xlabel=lambda d: d.get("xlabel") or "x",
    truth_label="true",
    caption="samples of y given x from each model over true samples",
    ylabel=lambda d: d.get("ylabel") or "y (outcome units)",
)

# Synthetic rows of a joint sampler over rows drawn from the truth (first two columns).
joint_samples = Overlay(
    points=lambda d: ((d["truth"][0], d["truth"][1]), (d["model"][0], d["model"][1])),
    xlabel=lambda d: d["columns"][0],
    truth_label="truth",
    caption="rows sampled by each joint model over rows sampled from the truth",
    ylabel=lambda d: d["columns"][1],
)


@styled
def panel_paths(curves: dict[str, dict], palette: Palette, naive_models: Naive = frozenset()) -> Image | None:
    """Treated units' mean path: observed, true Y(0) and each model's predicted Y(0)."""
    if not curves:
        return None
    fig, (ax,) = cv.figure(1, cols=1, height=3.3)
    fig.subplots_adjust(left=0.08, right=0.69)
    first = next(iter(curves.values()))
    t = cv.arr(first["t"])
    ax.plot(t, cv.arr(first["observed"]), color="#111111", lw=2, label="observed (treated units)")
    ax.plot(t, cv.arr(first["true_y0"]), label="true counterfactual Y(0)", **cv.TRUTH)
    for m, d in sorted(curves.items()):
        style = _line(palette, m, m in naive_models, len(d["t"]))
        ax.plot(cv.arr(d["t"]), cv.arr(d["predicted_y0"]), label=f"{cv.text(m)}: predicted Y(0)", **style)
    if first.get("adoption") is not None:
        ax.axvline(first["adoption"], color="#999999", lw=1, ls="-.")
        ax.annotate(
            "adoption",
            (first["adoption"], 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=cv.SMALL,
            color="#666666",
        )
    ax.set(xlabel="period", ylabel="mean outcome (outcome units)")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return cv.finish(fig, "observed, true counterfactual and predicted counterfactual paths of the treated units")


@styled
def group_effects(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Group effects against group size: true (grey) and estimated (colour), joined per group.

    Small groups pulled towards zero is the shrinkage a hierarchical model should show; the
    panel title gives the slope of estimate on truth for groups below and above n = 5.
    """
    if not curves:
        return None
    models = sorted(curves)
    fig, axes = cv.grid_of(models, cols=3, panel_h=2.7, sharex=True, sharey=True)
    for ax, m in zip(axes, models):
        d = curves[m]
        n, tr, est = cv.arr(d["n"]), cv.arr(d["true"]), cv.arr(d["estimate"])
        jitter = n * np.exp(np.linspace(-0.06, 0.06, len(n)))
        colour = palette(m).colour
        ax.vlines(jitter, tr, est, color=colour, lw=0.5, alpha=0.5)
        ax.scatter(jitter, tr, s=7, color=cv.SAMPLE_TRUE, lw=0, label="true", zorder=2)
        ax.scatter(jitter, est, s=7, color=colour, lw=0, label="estimate", zorder=3)
        ax.axhline(0, color="#999999", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(f"{cv.text(m)}\n{_slopes(n, tr, est)}", fontsize=cv.SMALL)
        ax.set_xlabel("group size n (rows, log scale)")
    axes[0].set_ylabel("group effect (outcome units)")
    cv.legend(axes[0], loc="lower right", markerscale=2)
    return cv.finish(fig, "estimated group effects against true group effects by group size")


def _slopes(n, tr, est) -> str:
    parts = []
    for label, sel in (("n<5", n < 5), ("n≥5", n >= 5)):
        ok = sel & np.isfinite(tr) & np.isfinite(est)
        if ok.sum() >= 3 and np.var(tr[ok]) > 0:
            parts.append(f"{label}: {np.polyfit(tr[ok], est[ok], 1)[0]:.2f}")
    return "slope est~true  " + ", ".join(parts) if parts else ""


@styled
def ite(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Predicted vs true individual effects on held-out rows; the identity is the oracle."""
    if not curves:
        return None
    models = sorted(curves)
    fig, axes = cv.grid_of(models, sharex=True, sharey=True)
    allv = np.concatenate([np.concatenate([cv.arr(d["true"]), cv.arr(d["predicted"])]) for d in curves.values()])
    allv = allv[np.isfinite(allv)]
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 1.0)
    for ax, m in zip(axes, models):
        d = curves[m]
        ax.plot([lo, hi], [lo, hi], **cv.TRUTH, label="oracle (y = x)")
        ax.scatter(cv.arr(d["true"]), cv.arr(d["predicted"]), s=6, color=palette(m).colour, lw=0, alpha=0.8)
        ax.set_title(cv.text(m))
        ax.set_xlabel("true effect (outcome units)")
    axes[0].set_ylabel("predicted effect (outcome units)")
    cv.legend(axes[0], loc="upper left")
    return cv.finish(fig, "predicted against true individual treatment effects")
