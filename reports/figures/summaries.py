"""Figure kinds that summarise a generator's rows: normalised scores, and coefficients
against the truth."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.lines import Line2D

from dgpbench.reports.figures import canvas as cv
from dgpbench.reports.figures.canvas import Image, Naive, styled
from dgpbench.reports.figures.palette import Palette, score_colour
from dgpbench.vocabulary import face_order

# A metric's se this small next to its mean is zero up to the float rounding of the mean:
# the seeds gave one value (a deterministic fit on fixed data). The metric's own se, not the
# score's: a naive baseline's score is 0 on every seed by construction, its values are not.
_ZERO_SE = 1e-12


def _identical(r: Mapping) -> bool:
    mean, se = r.get("mean"), r.get("se")
    return (r.get("n") or 0) > 1 and mean is not None and se is not None and se <= _ZERO_SE * max(1.0, abs(mean))


@styled
def scores(rows: list[dict], palette: Palette, ranks: Mapping[tuple[str, str], int] | None = None) -> Image | None:
    """Normalised score +- se of every (metric, model): oracle = 1 and naive = 0 as reference lines.

    ``rows`` are aggregated leaderboard rows of one generator; metrics are grouped by face.
    Each model has its own colour and marker and its own lane within a metric's row (a
    deterministic dodge), so identical scores sit side by side. A score beyond SCORE_CLIP
    is drawn at the axis edge with an arrow and its true value; a model whose seeds all gave
    the same value (fixed data, deterministic fit) has no bar and says so in the legend.
    ``ranks`` ((model, metric) -> shared rank) are written beside the primary metrics' dots.
    A metric with no score (not separable, or nominal) is labelled with why, without dots.
    """
    ranks = ranks or {}
    unscored = {(r["face"], r["metric"]) for r in rows} - {
        (r["face"], r["metric"]) for r in rows if r["score"] is not None
    }
    rows = [r for r in rows if r["score"] is not None]
    if not rows:
        return None
    faces = sorted({r["face"] for r in rows}, key=lambda f: (face_order(f), f))
    ypos, labels, headers, y = {}, [], [], 0.0
    for f in faces:
        headers.append((y, f))
        y -= 1
        for metric in sorted({r["metric"] for r in rows if r["face"] == f}):
            ypos[(f, metric)] = y
            labels.append((y, metric))
            y -= 1
        for metric in sorted(m for face, m in unscored if face == f):
            labels.append((y, f"{metric} (no score)"))
            y -= 1
    models = sorted({r["model"] for r in rows})
    lane = 0.1  # inches between two models' lanes
    row = 0.12 + lane * len(models)
    h = 0.9 + row * (len(labels) + len(headers))
    fig, (ax,) = cv.figure(1, cols=1, height=h)
    longest = max(len(cv.text(m)) for m in models)
    fig.subplots_adjust(
        left=max(0.2, cv.left_for([lbl for _, lbl in labels])),
        right=max(0.55, 1 - (0.75 + 0.075 * max(longest, 20)) / cv.WIDTH),
        bottom=0.62 / h,
        top=1 - 0.12 / h,
    )
    lo, hi = cv.SCORE_CLIP
    ax.axvspan(lo - 0.12, 0, color=_worse_band(), zorder=0, lw=0)
    ax.axvline(1, **cv.TRUTH, label="oracle = 1")
    ax.axvline(0, **cv.NAIVE, label="naive baseline = 0")
    offsets = -cv.dodge(len(models), lane / row * 0.98)
    clipped = False
    for j, m in enumerate(models):
        style = palette(m)
        mine = [r for r in rows if r["model"] == m]
        same = [r for r in mine if _identical(r)]
        for r in mine:
            yy, sc = ypos[(r["face"], r["metric"])] + offsets[j], r["score"]
            x = min(max(sc, lo), hi)
            edge = x != sc
            clipped |= edge
            end = x
            if r.get("score_se") and not edge and not _identical(r):
                a, b = max(sc - r["score_se"], lo), min(sc + r["score_se"], hi)
                end = b
                ax.errorbar(
                    sc,
                    yy,
                    xerr=[[sc - a], [b - sc]],
                    fmt="none",
                    ecolor=style.colour,
                    elinewidth=1.2,
                    capsize=2.5,
                    zorder=2,
                )
            notes = []
            if edge:
                notes.append(f"{'←' if sc < lo else '→'} {sc:.3g}")
            if _identical(r) and len(same) < len(mine):
                notes.append(f"same on all {r['n']} seeds")
            rank = ranks.get((m, r["metric"]))
            if rank is not None:
                notes.append(f"#{rank}")
            if notes:
                ax.annotate(
                    "  ".join(notes) if sc >= lo else "  ".join(reversed(notes)),
                    (end, yy),
                    xytext=(-6 if sc > hi else 6, 0),
                    textcoords="offset points",
                    ha="right" if sc > hi else "left",
                    va="center",
                    fontsize=8,
                    color="#333333",
                    zorder=4,
                )
        xs = [min(max(r["score"], lo), hi) for r in mine]
        ys = [ypos[(r["face"], r["metric"])] + offsets[j] for r in mine]
        label = cv.text(m) + ("\n(same on every seed)" if same and len(same) == len(mine) else "")
        ax.scatter(
            xs,
            ys,
            s=30,
            color=style.colour,
            marker=style.marker,
            zorder=3,
            edgecolors="#333333",
            linewidths=0.4,
            label=label,
        )
    ax.set_yticks([p for p, _ in labels], [cv.text(lbl) for _, lbl in labels])
    for yy, f in headers:
        ax.axhline(yy + 0.5, color="#d5d9e1", lw=0.8)
        ax.text(
            -0.01,
            yy,
            f,
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=9.5,
            fontweight="bold",
            color="#444444",
        )
    ax.set_ylim(y + 0.5, 0.5)
    ax.set_xlim(lo - 0.12, hi + 0.12)
    ax.set_xlabel("normalised score (1 = oracle, 0 = naive baseline, < 0 worse than naive)")
    ax.grid(axis="y", visible=False)
    handles, texts = ax.get_legend_handles_labels()
    if clipped:
        handles.append(Line2D([], [], ls="none"))
        texts.append(f"← / → value: beyond [{lo:g}, {hi:g}],\ndrawn at the edge")
    ax.legend(handles, texts, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    alt = "normalised score of each metric and model ± se over seeds, oracle at 1 and naive baseline at 0"
    if clipped:
        alt += f"; scores beyond [{lo:g}, {hi:g}] are drawn at the edge with an arrow and their value"
    return cv.finish(fig, alt)


def _worse_band() -> str:
    """The band of scores worse than naive: a tint of the score scale's "worse" end."""
    return _tint(score_colour(-1.0), 0.22)


def _tint(colour: str, t: float) -> str:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in rgb)


def _intervals(mine: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    est = cv.arr([r["estimate"] for r in mine])
    lower, upper = cv.arr([r["lower"] for r in mine]), cv.arr([r["upper"] for r in mine])
    return est, np.where(np.isnan(lower), est, lower), np.where(np.isnan(upper), est, upper)


@styled
def coefficients(rows: list[dict], palette: Palette, naive_models: Naive = frozenset()) -> Image | None:
    """True (or reference) vs recovered coefficients with intervals: one panel per coefficient,
    one line per model and seed, seeds dodged vertically within the model's row. A model whose
    seeds all gave the same estimate and interval (a deterministic fit on fixed data) is one
    line labelled "same on every seed", not a stack of identical ones."""
    rows = [r for r in rows if r["estimate"] is not None]
    if not rows:
        return None
    names = sorted({r["name"] for r in rows})
    models = sorted({r["model"] for r in rows}, reverse=True)
    cols = min(len(names), 4)
    fig, axes = cv.figure(len(names), cols=cols, panel_h=0.55 + 0.32 * len(models))
    fig.subplots_adjust(left=cv.left_for(models), wspace=0.12)
    collapsed = False
    for k, (ax, name) in enumerate(zip(axes, names)):
        sub = [r for r in rows if r["name"] == name]
        truth = next((r["truth"] for r in sub if r["truth"] is not None), None)
        kind = next((r["truth_kind"] for r in sub if r["truth"] is not None), "truth") or "truth"
        for j, m in enumerate(models):
            mine = sorted((r for r in sub if r["model"] == m), key=lambda r: r["seed"])
            if not mine:
                continue
            est, lo, hi = _intervals(mine)
            same = cv.same_on_every_seed(zip(est, lo, hi))
            if same:
                est, lo, hi = est[:1], lo[:1], hi[:1]
                collapsed = True
            y = j + cv.dodge(len(est), min(0.12, 0.6 / len(est)))
            style = palette(m)
            ax.hlines(
                y, lo, hi, color=style.colour, lw=1.2, alpha=0.85, linestyles="dotted" if m in naive_models else "solid"
            )
            ax.scatter(
                est, y, s=18, color=style.colour, marker=style.marker, zorder=3, edgecolors="#333333", linewidths=0.3
            )
            if same:
                ax.annotate(
                    f"same on all {len(mine)} seeds",
                    (float(hi[0]), j),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                    color="#444444",
                )
        if truth is not None:
            ax.axvline(truth, **cv.TRUTH, label=kind)
        ax.set_title(cv.text(name))
        ax.set_xlabel("coefficient estimate")
        ax.set_yticks(range(len(models)), [cv.text(m) for m in models] if k % cols == 0 else [])
        ax.set_ylim(-0.6, len(models) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(cv.locator())
        if k == 0 and truth is not None:
            ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.12), borderaxespad=0)
    alt = "estimated coefficients with intervals against the truth, per model and seed"
    if collapsed:
        alt += "; a model whose seeds gave identical intervals is drawn once, labelled as the same on every seed"
    return cv.finish(fig, alt)
