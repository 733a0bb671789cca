"""The report's pictures: one function per figure kind, each returning an :class:`Image`.

Every function takes plain rows read from the store (curves, estimates, aggregated
scores) and draws with matplotlib's object API on the Agg canvas: no pyplot, so no global
figure registry to leak into and nothing to close; a figure is freed with its last
reference. Output is a PNG data URI (no ``Software`` metadata, so the bytes depend only on
the data and the matplotlib version): a report stays one self-contained file.

Colours are stable per model across every figure of a page (:class:`Palette`); truth is
drawn black and dashed, naive baselines grey and dashed, so "reference" always looks the
same. Labels come from users' suites: ``$`` is escaped so that matplotlib never parses a
label as mathtext.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from dgpbench.vocabulary import face_order

DPI = 100
WIDTH = 9.6  # inches: 960 px at DPI, within the report's text column
PANEL_H = 2.5  # inches per row of small multiples
MAX_COLS = 4
TRUTH = dict(color="#111111", ls="--", lw=1.6)
NAIVE = dict(color="#8a8a8a", ls=":", lw=1.6)
SAMPLE_TRUE = "#b9b9b9"
COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#843c39",
)
SCORE_CLIP = (-1.0, 1.5)

RC = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#888888",
    "font.family": "DejaVu Sans",
}


@dataclass(frozen=True)
class Image:
    """A finished figure: data URI, pixel size and a text alternative."""

    uri: str
    width: int
    height: int
    alt: str


class Palette:
    """Model label -> colour, fixed for a whole page (sorted labels, so deterministic)."""

    def __init__(self, labels):
        self._c = {m: COLOURS[i % len(COLOURS)] for i, m in enumerate(sorted(set(labels)))}

    def __call__(self, label: str) -> str:
        return self._c.get(label, "#444444")


def text(s: object) -> str:
    """A user label made safe for matplotlib (no mathtext)."""
    return str(s).replace("$", r"\$")


def _figure(
    n_panels: int,
    cols: int = MAX_COLS,
    panel_h: float = PANEL_H,
    height: float | None = None,
    sharex: bool = False,
    sharey: bool = False,
    width: float = WIDTH,
):
    """A figure of small multiples with margins in inches (so short figures keep tight margins)."""
    cols = max(1, min(cols, n_panels))
    rows = math.ceil(n_panels / cols)
    h = height if height is not None else panel_h * rows + 0.95
    fig = Figure(figsize=(width, h), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    fig.subplots_adjust(
        left=0.08 if cols > 1 else 0.1, right=0.98, bottom=0.5 / h, top=1 - 0.42 / h, wspace=0.28, hspace=0.6
    )
    return fig, list(axes[:n_panels])


def _left_for(labels) -> float:
    """Left margin (fraction of the width) that fits the longest y tick label."""
    longest = max((len(str(x)) for x in labels), default=4)
    return min(0.4, (0.2 + 0.062 * longest) / WIDTH)


def _finish(fig: Figure, alt: str) -> Image:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    w, h = fig.get_size_inches() * DPI
    return Image(
        "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), int(round(w)), int(round(h)), alt
    )


def _arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], float)


def _rc(fn):
    """Run a drawing function under the report's matplotlib style."""
    import functools

    import matplotlib

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return fn(*args, **kwargs)

    return wrapped


def _legend(ax, **kw) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, frameon=False, **kw)


# -- figure kinds ---------------------------------------------------------------------------


@_rc
def scores(rows: list[dict], palette: Palette) -> Image | None:
    """Normalised score of every (metric, model): oracle = 1 and naive = 0 as reference lines.

    ``rows`` are aggregated leaderboard rows of one generator; metrics are grouped by face.
    Scores beyond the axis are drawn as triangles at its edge with their value beside.
    """
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
    models = sorted({r["model"] for r in rows})
    row = 0.17 + 0.025 * len(models)
    h = 0.75 + row * (len(labels) + len(headers))
    fig, (ax,) = _figure(1, cols=1, height=h)
    fig.subplots_adjust(
        left=max(0.2, _left_for([lbl for _, lbl in labels])), right=0.80, bottom=0.5 / h, top=1 - 0.12 / h
    )
    lo, hi = SCORE_CLIP
    ax.axvspan(lo - 0.05, 0, color="#fbeaea", zorder=0, lw=0)
    ax.axvline(1, **TRUTH, label="oracle = 1")
    ax.axvline(0, **NAIVE, label="naive baseline = 0")
    step = 0.56 / max(1, len(models))
    for j, m in enumerate(models):
        off = 0.28 - step * (j + 0.5)
        pts = {"o": ([], []), "<": ([], []), ">": ([], [])}
        for r in rows:
            if r["model"] != m:
                continue
            yy, sc = ypos[(r["face"], r["metric"])] + off, r["score"]
            marker = "<" if sc < lo else ">" if sc > hi else "o"
            pts[marker][0].append(min(max(sc, lo), hi))
            pts[marker][1].append(yy)
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
                    label=text(m) if marker == "o" else None,
                )
    ax.set_yticks([p for p, _ in labels], [text(lbl) for _, lbl in labels])
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
    return _finish(fig, "normalised score of each metric and model, oracle at 1 and naive baseline at 0")


@_rc
def coefficients(rows: list[dict], palette: Palette, naive_models: set[str] = frozenset()) -> Image | None:
    """True (or reference) vs recovered coefficients with intervals: one panel per coefficient,
    one line per model and seed."""
    rows = [r for r in rows if r["estimate"] is not None]
    if not rows:
        return None
    names = sorted({r["name"] for r in rows})
    models = sorted({r["model"] for r in rows}, reverse=True)
    cols = min(len(names), 4)
    fig, axes = _figure(len(names), cols=cols, panel_h=0.4 + 0.3 * len(models))
    fig.subplots_adjust(left=_left_for(models), wspace=0.12)
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
            est = _arr([r["estimate"] for r in mine])
            lo = np.where(np.isnan(_arr([r["lower"] for r in mine])), est, _arr([r["lower"] for r in mine]))
            hi = np.where(np.isnan(_arr([r["upper"] for r in mine])), est, _arr([r["upper"] for r in mine]))
            ax.hlines(
                y, lo, hi, color=palette(m), lw=1.2, alpha=0.8, linestyles="dotted" if m in naive_models else "solid"
            )
            ax.scatter(est, y, s=12, color=palette(m), zorder=3, lw=0)
        if truth is not None:
            ax.axvline(truth, **TRUTH, label=kind)
        ax.set_title(text(name))
        ax.set_yticks(range(len(models)), [text(m) for m in models] if k % cols == 0 else [])
        ax.set_ylim(-0.6, len(models) - 0.4)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(_locator())
        if k == 0 and truth is not None:
            ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.12), borderaxespad=0)
    return _finish(fig, "estimated coefficients with intervals against the truth, per model and seed")


def _locator():
    return MaxNLocator(4)


@_rc
def conditional(curves: dict[str, dict], palette: Palette, naive_models: set[str] = frozenset()) -> Image | None:
    """Conditional mean and sd of y given x: every model against the truth (two panels)."""
    if not curves:
        return None
    fig, (a_mean, a_sd) = _figure(2, cols=2, panel_h=2.4)
    truth = next(iter(curves.values()))
    for m, d in sorted(curves.items()):
        x = _arr(d["x"])
        style = dict(NAIVE, color=palette(m)) if m in naive_models else dict(color=palette(m), lw=1.5)
        a_mean.plot(x, _arr(d["mean"]), label=text(m), **style)
        a_sd.plot(x, _arr(d["sd"]), **style)
    x = _arr(truth["x"])
    if truth.get("true_mean"):
        a_mean.plot(x, _arr(truth["true_mean"]), label="truth", **TRUTH)
    if truth.get("true_sd"):
        a_sd.plot(x, _arr(truth["true_sd"]), **TRUTH)
    xl = text(truth.get("xlabel") or "x")
    a_mean.set(title="conditional mean E[y | x]", xlabel=xl)
    a_sd.set(title="conditional sd  sd[y | x]", xlabel=xl)
    _legend(a_mean)
    return _finish(fig, "conditional mean and standard deviation of each model against the truth")


def _grid_of(models: list[str], cols: int = MAX_COLS, panel_h: float = PANEL_H, **kw):
    """One panel per model; a figure of one or two panels is narrower rather than stretched."""
    used = max(2, min(cols, len(models)))
    return _figure(len(models), cols=cols, panel_h=panel_h, width=WIDTH * used / cols, **kw)


def _overlay(
    curves: dict[str, dict], palette: Palette, points, xlabel, truth_label: str, caption: str, ylabel: str | None = None
) -> Image:
    """One panel per model: its points (colour) over the truth's (grey). ``points(d)`` gives
    ``((truth_x, truth_y), (model_x, model_y))`` and ``xlabel(d)`` the x-axis label."""
    models = sorted(curves)
    fig, axes = _grid_of(models, sharex=True, sharey=True)
    for ax, m in zip(axes, models):
        d = curves[m]
        (tx, ty), (mx, my) = points(d)
        ax.scatter(_arr(tx), _arr(ty), s=3, color=SAMPLE_TRUE, lw=0, label=truth_label)
        ax.scatter(_arr(mx), _arr(my), s=3, color=palette(m), lw=0, alpha=0.75, label="model")
        ax.set_title(text(m))
        ax.set_xlabel(text(xlabel(d)))
    if ylabel is not None:
        axes[0].set_ylabel(text(ylabel))
    _legend(axes[0], markerscale=3, loc="best")
    return _finish(fig, caption)


@_rc
def samples(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Model samples of y given x (colour) over true held-out samples (grey), one panel per model."""
    if not curves:
        return None
    return _overlay(
        curves,
        palette,
        lambda d: ((d["x"], d["y_true"]), (d["x"], d["y_model"])),
        lambda d: d.get("xlabel") or "x",
        "true",
        "samples of y given x from each model over true samples",
    )


@_rc
def joint_samples(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Synthetic rows of a joint sampler over rows drawn from the truth (first two columns)."""
    if not curves:
        return None
    return _overlay(
        curves,
        palette,
        lambda d: ((d["truth"][0], d["truth"][1]), (d["model"][0], d["model"][1])),
        lambda d: d["columns"][0],
        "truth",
        "rows sampled by each joint model over rows sampled from the truth",
        ylabel=curves[sorted(curves)[0]]["columns"][1],
    )


@_rc
def panel_paths(curves: dict[str, dict], palette: Palette, naive_models: set[str] = frozenset()) -> Image | None:
    """Treated units' mean path: observed, true Y(0) and each model's predicted Y(0)."""
    if not curves:
        return None
    fig, (ax,) = _figure(1, cols=1, height=3.3)
    fig.subplots_adjust(left=0.08, right=0.76)
    first = next(iter(curves.values()))
    t = _arr(first["t"])
    ax.plot(t, _arr(first["observed"]), color="#111111", lw=2, label="observed (treated units)")
    ax.plot(t, _arr(first["true_y0"]), label="true counterfactual Y(0)", **TRUTH)
    for m, d in sorted(curves.items()):
        style = dict(NAIVE, color=palette(m)) if m in naive_models else dict(color=palette(m), lw=1.4)
        ax.plot(_arr(d["t"]), _arr(d["predicted_y0"]), label=f"{text(m)}: predicted Y(0)", **style)
    if first.get("adoption") is not None:
        ax.axvline(first["adoption"], color="#999999", lw=1, ls="-.")
        ax.annotate(
            "adoption",
            (first["adoption"], 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -10),
            textcoords="offset points",
            fontsize=7.5,
            color="#666666",
        )
    ax.set(xlabel="period", ylabel="mean outcome")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _finish(fig, "observed, true counterfactual and predicted counterfactual paths of the treated units")


@_rc
def group_effects(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Group effects against group size: true (grey) and estimated (colour), joined per group.

    Small groups pulled towards zero is the shrinkage a hierarchical model should show; the
    panel title gives the slope of estimate on truth for groups below and above n = 5.
    """
    if not curves:
        return None
    models = sorted(curves)
    fig, axes = _grid_of(models, cols=3, panel_h=2.7, sharex=True, sharey=True)
    for ax, m in zip(axes, models):
        d = curves[m]
        n, tr, est = _arr(d["n"]), _arr(d["true"]), _arr(d["estimate"])
        jitter = n * np.exp(np.linspace(-0.06, 0.06, len(n)))
        ax.vlines(jitter, tr, est, color=palette(m), lw=0.5, alpha=0.5)
        ax.scatter(jitter, tr, s=7, color=SAMPLE_TRUE, lw=0, label="true", zorder=2)
        ax.scatter(jitter, est, s=7, color=palette(m), lw=0, label="estimate", zorder=3)
        ax.axhline(0, color="#999999", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(f"{text(m)}\n{_slopes(n, tr, est)}", fontsize=8)
        ax.set_xlabel("group size n")
    axes[0].set_ylabel("group effect")
    _legend(axes[0], loc="lower right", markerscale=2)
    return _finish(fig, "estimated group effects against true group effects by group size")


def _slopes(n, tr, est) -> str:
    parts = []
    for label, sel in (("n<5", n < 5), ("n≥5", n >= 5)):
        ok = sel & np.isfinite(tr) & np.isfinite(est)
        if ok.sum() >= 3 and np.var(tr[ok]) > 0:
            parts.append(f"{label}: {np.polyfit(tr[ok], est[ok], 1)[0]:.2f}")
    return "slope est~true  " + ", ".join(parts) if parts else ""


@_rc
def ite(curves: dict[str, dict], palette: Palette) -> Image | None:
    """Predicted vs true individual effects on held-out rows; the identity is the oracle."""
    if not curves:
        return None
    models = sorted(curves)
    fig, axes = _grid_of(models, sharex=True, sharey=True)
    allv = np.concatenate([np.concatenate([_arr(d["true"]), _arr(d["predicted"])]) for d in curves.values()])
    allv = allv[np.isfinite(allv)]
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 1.0)
    for ax, m in zip(axes, models):
        d = curves[m]
        ax.plot([lo, hi], [lo, hi], **TRUTH, label="oracle (y = x)")
        ax.scatter(_arr(d["true"]), _arr(d["predicted"]), s=6, color=palette(m), lw=0, alpha=0.8)
        ax.set_title(text(m))
        ax.set_xlabel("true effect")
    axes[0].set_ylabel("predicted effect")
    _legend(axes[0], loc="upper left")
    return _finish(fig, "predicted against true individual treatment effects")
