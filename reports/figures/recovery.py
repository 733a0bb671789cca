"""Figure kinds of sweeps (:mod:`dgpbench.reports.recovery`): recovery curves on log-log axes
and difficulty curves against a knob, one panel per face, each model's mean error +- se over
seeds with the floor it is judged against."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.ticker import NullLocator

from dgpbench.reports.figures import canvas as cv
from dgpbench.reports.figures.canvas import Image, styled
from dgpbench.reports.figures.palette import Palette
from dgpbench.reports.recovery import CANONICAL_RATE, Curve
from dgpbench.vocabulary import face_order


def error_label(curve: Curve) -> str:
    """What the y axis measures, in the primary metric's raw units."""
    if curve.floor == "canonical analysis":
        return f"|estimate − truth| ({curve.metric}), mean over coefficients"
    if curve.excess:
        return f"{curve.metric} − oracle's {curve.metric}"
    return curve.metric


def _faces(curves: Sequence[Curve]) -> list[str]:
    return sorted({c.face for c in curves if c.metric}, key=face_order)


def _series(curve: Curve) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    points = [p for p in curve.points if p.errors]
    x = np.array([float(p.x) for p in points])
    m = cv.arr([p.mean_se[0] for p in points])
    se = np.nan_to_num(cv.arr([p.mean_se[1] for p in points]))
    return x, m, se


def _floors(curves: Sequence[Curve]) -> list[tuple[list[str], tuple[np.ndarray, np.ndarray]]]:
    """The canonical analysis's expected-error curves, one per set of coefficients: a model
    scored on fewer coefficients (``diff_in_means``: tau only) has a floor of its own, and
    each model is judged against its own."""
    out: dict[tuple, tuple[list[str], tuple[np.ndarray, np.ndarray]]] = {}
    for c in curves:
        if c.floor != "canonical analysis":
            continue
        pts = [p for p in c.points if p.floors]
        fx = np.array([float(p.x) for p in pts])
        fy = cv.arr([p.floor_mean_se[0] for p in pts])
        key = tuple(np.round(fy, 12))
        out.setdefault(key, ([], (fx, fy)))[0].append(c.model)
    return list(out.values())


@styled
def recovery(curves: Sequence[Curve], palette: Palette, verdicts: Mapping[tuple[str, str], str]) -> Image | None:
    """One size-sweep family: per face, each model's error against the size on log-log axes
    with a band of +- 1 se over seeds; the canonical analysis's expected error (coefficients,
    black dashed) or a reference line of slope -1/2 through the models' smallest-size errors;
    ``verdicts`` ((model, face) -> verdict) label the legend. Errors <= 0 (an excess at the
    oracle) cannot sit on a log axis and are left out."""
    faces = _faces(curves)
    if not faces:
        return None
    fig, axes = cv.figure(len(faces), cols=min(2, len(faces)), panel_h=3.2)
    fig.subplots_adjust(left=0.11, wspace=0.32)  # room for a two-line y label
    for ax, face in zip(axes, faces):
        mine = [c for c in curves if c.face == face and c.metric]
        shift = np.exp(cv.dodge(len(mine), 0.035))  # models side by side at each size
        for c, dx in zip(mine, shift):
            x, m, se = _series(c)
            ok = m > 0
            style = palette(c.model)
            label = f"{cv.text(c.model)}: {verdicts.get((c.model, face), '')}"
            ax.errorbar(
                x[ok] * dx,
                m[ok],
                yerr=[(m - np.maximum(m - se, m * 0.05))[ok], se[ok]],
                color=style.colour,
                marker=style.marker,
                lw=1.5,
                ms=4.5,
                capsize=2,
                elinewidth=0.9,
                label=label,
            )
            ax.fill_between(
                x[ok] * dx, np.maximum(m - se, m * 0.05)[ok], (m + se)[ok], color=style.colour, alpha=0.15, lw=0
            )
        floors = _floors(mine)
        floor = bool(floors)
        for i, (models, (fx, fy)) in enumerate(floors):
            whose = " (expected |error|)" if len(floors) == 1 else f", floor of {', '.join(models)}"
            floor_style = {**cv.TRUTH, "ls": ("--", "-.", ":")[i % 3]}
            ax.plot(fx, fy, **floor_style, label=cv.text(f"canonical analysis{whose}"))
        if not floor:
            starts = [_series(c) for c in mine]
            firsts = [m[0] for x, m, _ in starts if len(m) and m[0] > 0]
            x_all = np.array(sorted({float(p.x) for c in mine for p in c.points}))
            if firsts and len(x_all) > 1:
                y0 = float(np.exp(np.mean(np.log(firsts))))
                ax.plot(x_all, y0 * (x_all / x_all[0]) ** CANONICAL_RATE, **cv.NAIVE, label="slope −½ (reference)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{face}: oracle level {'= canonical analysis' if floor else '= 0 (off the log axis)'}")
        sizes = sorted({float(p.x) for c in mine for p in c.points})
        ax.set_xticks(sizes, [f"{x:,.0f}" for x in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(cv.text(f"{mine[0].param} (sample size, log scale)"))
        ax.set_ylabel(cv.text(error_label(mine[0]).replace(", ", ",\n", 1) + " (log scale)"))
        cv.legend(ax, loc="best")
    return cv.finish(
        fig,
        "recovery curves: each model's mean error over seeds against the sample size on log-log axes, "
        "with ± 1 se bars and bands; models offset slightly along x so that equal errors stay visible",
    )


@styled
def difficulty(curves: Sequence[Curve], palette: Palette) -> Image | None:
    """One difficulty family: per face, each model's mean error +- se against the knob's value
    (numbers on a linear axis, names in the suite's order); the floor dashed where known."""
    faces = _faces(curves)
    if not faces:
        return None
    fig, axes = cv.figure(len(faces), cols=min(2, len(faces)), panel_h=3.0)
    fig.subplots_adjust(left=0.11, wspace=0.32)  # room for a two-line y label
    for ax, face in zip(axes, faces):
        mine = [c for c in curves if c.face == face and c.metric]
        values = list(dict.fromkeys(p.x for c in mine for p in c.points))
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        pos = {v: (float(v) if numeric else i) for i, v in enumerate(values)}
        spread = (max(pos.values()) - min(pos.values())) if len(pos) > 1 else 1.0
        for c, dx in zip(mine, cv.dodge(len(mine), 0.012 * spread)):
            pts = [p for p in c.points if p.errors]
            x = np.array([pos[p.x] for p in pts]) + dx
            m, se = cv.arr([p.mean_se[0] for p in pts]), np.nan_to_num(cv.arr([p.mean_se[1] for p in pts]))
            style = palette(c.model)
            ax.errorbar(
                x,
                m,
                yerr=se,
                color=style.colour,
                marker=style.marker,
                lw=1.5,
                ms=4.5,
                capsize=2,
                label=cv.text(c.model),
            )
        floors = [(pos[p.x], p.floor_mean_se[0]) for p in mine[0].points if p.floors]
        if floors:
            fx, fy = zip(*floors)
            ax.plot(fx, fy, **cv.TRUTH, label=f"floor ({mine[0].floor})")
        if not numeric:
            ax.set_xticks(list(pos.values()), [cv.text(v) for v in values])
        ax.set_title(cv.text(face))
        ax.set_xlabel(cv.text(mine[0].param))
        ax.set_ylabel(cv.text(error_label(mine[0])))
        cv.legend(ax, loc="best")
    return cv.finish(
        fig,
        "difficulty curves: each model's mean error over seeds against the difficulty knob, ± 1 se bars; "
        "models offset slightly along x so that equal errors stay visible",
    )
