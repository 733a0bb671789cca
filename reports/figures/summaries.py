"""Figure kinds that summarise a generator's rows: normalised scores, and coefficients
against the truth."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from dgpbench.reports.figures import canvas as cv
from dgpbench.reports.figures.canvas import Image, Naive, Palette, styled
from dgpbench.vocabulary import face_order


@styled
def scores(rows: list[dict], palette: Palette, ranks: Mapping[tuple[str, str], int] | None = None) -> Image | None:
    """Normalised score +- se of every (metric, model): oracle = 1 and naive = 0 as reference lines.

    ``rows`` are aggregated leaderboard rows of one generator; metrics are grouped by face.
    Scores beyond the axis are drawn as triangles at its edge with their value beside.
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
    row = 0.17 + 0.025 * len(models)
    h = 0.75 + row * (len(labels) + len(headers))
    fig, (ax,) = cv.figure(1, cols=1, height=h)
    fig.subplots_adjust(
        left=max(0.2, cv.left_for([lbl for _, lbl in labels])), right=0.80, bottom=0.5 / h, top=1 - 0.12 / h
    )
    lo, hi = cv.SCORE_CLIP
    ax.axvspan(lo - 0.05, 0, color="#fbeaea", zorder=0, lw=0)
    ax.axvline(1, **cv.TRUTH, label="oracle = 1")
    ax.axvline(0, **cv.NAIVE, label="naive baseline = 0")
    step = 0.56 / max(1, len(models))
    for j, m in enumerate(models):
        off = 0.28 - step * (j + 0.5)
        pts: dict[str, tuple[list[float], list[float]]] = {"o": ([], []), "<": ([], []), ">": ([], [])}
        for r in rows:
            if r["model"] != m:
                continue
            yy, sc = ypos[(r["face"], r["metric"])] + off, r["score"]
            marker = "<" if sc < lo else ">" if sc > hi else "o"
            pts[marker][0].append(min(max(sc, lo), hi))
            pts[marker][1].append(yy)
            if r.get("score_se") and marker == "o":
                a, b = max(sc - r["score_se"], lo), min(sc + r["score_se"], hi)
                ax.plot([a, b], [yy, yy], color=palette(m), lw=1.1, alpha=0.8, zorder=2, solid_capstyle="butt")
            rank = ranks.get((m, r["metric"]))
            if rank is not None and marker == "o":
                ax.annotate(
                    f"#{rank}",
                    (sc, yy),
                    xytext=(0, 3.5),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=5.5,
                    color=palette(m),
                )
            if marker != "o" and len(models) <= 3:
                ax.annotate(
                    f"{sc:.3g}",
                    (min(max(sc, lo), hi), yy),
                    xytext=(5 if sc < lo else -5, 0),
                    textcoords="offset points",
                    ha="left" if sc < lo else "right",
                    va="center",
                    fontsize=6.5,
                    color=palette(m),
                )
        for marker, (xs, ys) in pts.items():
            if xs or marker == "o":
                ax.scatter(
                    xs,
                    ys,
                    s=22 if marker == "o" else 28,
                    color=palette(m),
                    marker=marker,
                    zorder=3,
                    edgecolors="white",
                    linewidths=0.4,
                    label=cv.text(m) if marker == "o" else None,
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
            fontsize=8,
            fontweight="bold",
            color="#444444",
        )
    ax.set_ylim(y + 0.5, 0.5)
    ax.set_xlim(lo - 0.05, hi + 0.05)
    ax.set_xlabel("normalised score  (naive − model) / (naive − oracle)")
    ax.grid(axis="y", visible=False)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return cv.finish(fig, "normalised score of each metric and model, oracle at 1 and naive baseline at 0")


@styled
def coefficients(rows: list[dict], palette: Palette, naive_models: Naive = frozenset()) -> Image | None:
    """True (or reference) vs recovered coefficients with intervals: one panel per coefficient,
    one line per model and seed."""
    rows = [r for r in rows if r["estimate"] is not None]
    if not rows:
        return None
    names = sorted({r["name"] for r in rows})
    models = sorted({r["model"] for r in rows}, reverse=True)
    cols = min(len(names), 4)
    fig, axes = cv.figure(len(names), cols=cols, panel_h=0.4 + 0.3 * len(models))
    fig.subplots_adjust(left=cv.left_for(models), wspace=0.12)
    for k, (ax, name) in enumerate(zip(axes, names)):
        sub = [r for r in rows if r["name"] == name]
        truth = next((r["truth"] for r in sub if r["truth"] is not None), None)
        kind = next((r["truth_kind"] for r in sub if r["truth"] is not None), "truth") or "truth"
        for j, m in enumerate(models):
            mine = sorted((r for r in sub if r["model"] == m), key=lambda r: r["seed"])
            if not mine:
                continue
            k_ = np.arange(len(mine)) - (len(mine) - 1) / 2
            y = j + k_ * min(0.12, 0.6 / len(mine))
            est = cv.arr([r["estimate"] for r in mine])
            lo = np.where(np.isnan(cv.arr([r["lower"] for r in mine])), est, cv.arr([r["lower"] for r in mine]))
            hi = np.where(np.isnan(cv.arr([r["upper"] for r in mine])), est, cv.arr([r["upper"] for r in mine]))
            ax.hlines(
                y, lo, hi, color=palette(m), lw=1.2, alpha=0.8, linestyles="dotted" if m in naive_models else "solid"
            )
            ax.scatter(est, y, s=12, color=palette(m), zorder=3, lw=0)
        if truth is not None:
            ax.axvline(truth, **cv.TRUTH, label=kind)
        ax.set_title(cv.text(name))
        ax.set_yticks(range(len(models)), [cv.text(m) for m in models] if k % cols == 0 else [])
        ax.set_ylim(-0.6, len(models) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(cv.locator())
        if k == 0 and truth is not None:
            ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.12), borderaxespad=0)
    return cv.finish(fig, "estimated coefficients with intervals against the truth, per model and seed")
