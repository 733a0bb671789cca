"""The drawing kit every figure kind shares: the report's style, :class:`Image`, safe label
text, dodging, identical-seed detection and figures of small multiples on the Agg canvas.
Model styles are :mod:`.palette`'s."""

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
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dgpbench.reports import numbers
from dgpbench.reports.stats import mean_se

F = TypeVar("F", bound=Callable[..., Any])
# The model labels a figure draws as naive baselines (dotted).
Naive = AbstractSet[str]

# Pixel density: figures are laid out in CSS pixels (CSS_DPI per inch, the size the page
# shows them at: Image.width/height) and rendered at twice that, so they stay sharp on
# high-density screens and when zoomed. Their palette is quantised (see ``finish``) to keep
# the 2x PNGs about the size 1x ones were.
CSS_DPI = 100
DPI = 2 * CSS_DPI
WIDTH = 9.6  # inches: 960 CSS px, within the report's text column
PANEL_H = 2.5  # inches per row of small multiples
MAX_COLS = 4
TRUTH = dict(color="#111111", ls="--", lw=1.6)
NAIVE = dict(color="#8a8a8a", ls=":", lw=1.6)
SAMPLE_TRUE = "#b9b9b9"
SCORE_CLIP = (-1.0, 1.5)

# Ticks and labels at 9 pt or more (12.5 CSS px): readable at the page's 1x size.
SMALL = 9.0
RC = {
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "legend.fontsize": SMALL,
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
    """A finished figure: data URI, its size in CSS pixels (the PNG holds twice as many
    each way) and a text alternative."""

    uri: str
    width: int
    height: int
    alt: str


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
        left=0.08 if cols > 1 else 0.1, right=0.98, bottom=0.55 / h, top=1 - 0.45 / h, wspace=0.3, hspace=0.75
    )
    return fig, list(axes[:n_panels])


def left_for(labels) -> float:
    """Left margin (fraction of the width) that fits the longest y tick label."""
    longest = max((len(str(x)) for x in labels), default=4)
    return min(0.4, (0.2 + 0.062 * longest) / WIDTH)


def finish(fig: Figure, alt: str) -> Image:
    """The figure as a PNG data URI at DPI, sized at CSS_DPI for the page.

    The canvas's pixels are quantised to at most 256 colours (fast octree, no dithering:
    deterministic, and flat areas stay flat) and encoded once: line art at 2x has few distinct
    colours beyond the antialiased edges, so the loss is invisible while the PNG shrinks by
    about half -- and a report draws well over a hundred figures, so encoding the full-colour
    PNG first and then re-encoding it (three times the time) is not an option.
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    flat = rgba.convert("RGB").quantize(256, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE)
    out = io.BytesIO()
    flat.save(out, "PNG")
    w, h = fig.get_size_inches() * CSS_DPI
    return Image(
        "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii"), int(round(w)), int(round(h)), alt
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


def dodge(k: int, width: float) -> np.ndarray:
    """Offsets of k marks sharing one position, centred and ``width`` apart: deterministic,
    so identical models sit side by side instead of on top of each other."""
    return (np.arange(k) - (k - 1) / 2) * width


def same_on_every_seed(values: Iterable[Iterable[float | None]]) -> bool:
    """Whether two or more seeds' tuples of values are the same on every seed in each position
    (:func:`dgpbench.reports.numbers.same_every_seed`, the tables' rule): a deterministic fit
    on fixed data, drawn once, not once per seed."""
    rows = [tuple(values_) for values_ in values]
    if len(rows) < 2:
        return False
    columns = [c for c in zip(*rows) if any(v is not None for v in c)]
    return bool(columns) and all(numbers.same_every_seed(*mean_se(list(c))) for c in columns)
