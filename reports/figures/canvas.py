"""The drawing kit every figure kind shares: the report's style, :class:`Image`,
:class:`Palette`, safe label text, and figures of small multiples on the Agg canvas."""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

F = TypeVar("F", bound=Callable[..., Any])
# The model labels a figure draws as naive baselines (dotted).
Naive = AbstractSet[str]

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

    def __init__(self, labels: Iterable[str]):
        self._c = {m: COLOURS[i % len(COLOURS)] for i, m in enumerate(sorted(set(labels)))}

    def __call__(self, label: str) -> str:
        return self._c.get(label, "#444444")


def text(s: object) -> str:
    """A user label made safe for matplotlib (no mathtext)."""
    return str(s).replace("$", r"\$")


def figure(
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


def left_for(labels) -> float:
    """Left margin (fraction of the width) that fits the longest y tick label."""
    longest = max((len(str(x)) for x in labels), default=4)
    return min(0.4, (0.2 + 0.062 * longest) / WIDTH)


def finish(fig: Figure, alt: str) -> Image:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    w, h = fig.get_size_inches() * DPI
    return Image(
        "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), int(round(w)), int(round(h)), alt
    )


def arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], float)


def styled(fn: F) -> F:
    """Run a drawing function under the report's matplotlib style."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return fn(*args, **kwargs)

    return cast(F, wrapped)


def legend(ax, **kw) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, frameon=False, **kw)


def grid_of(models: list[str], cols: int = MAX_COLS, panel_h: float = PANEL_H, **kw):
    """One panel per model; a figure of one or two panels is narrower rather than stretched."""
    used = max(2, min(cols, len(models)))
    return figure(len(models), cols=cols, panel_h=panel_h, width=WIDTH * used / cols, **kw)


def locator() -> MaxNLocator:
    return MaxNLocator(4)
