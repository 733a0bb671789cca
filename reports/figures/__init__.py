"""The report's pictures: one callable per figure kind, each returning an :class:`Image`.

Every figure kind takes plain rows read from the store (curves, estimates, aggregated
scores) and draws with matplotlib's object API on the Agg canvas: no pyplot, so no global
figure registry to leak into and nothing to close; a figure is freed with its last
reference. Output is a PNG data URI (no ``Software`` metadata, so the bytes depend only on
the data and the matplotlib version): a report stays one self-contained file.

Colours are stable per model across every figure of a page (:class:`Palette`); truth is
drawn black and dashed, naive baselines grey and dashed, so "reference" always looks the
same. Labels come from users' suites: ``$`` is escaped so that matplotlib never parses a
label as mathtext.
"""

from dgpbench.reports.figures.canvas import Image, text
from dgpbench.reports.figures.curves import conditional, group_effects, ite, joint_samples, panel_paths, samples
from dgpbench.reports.figures.palette import Palette, Style
from dgpbench.reports.figures.recovery import difficulty, recovery
from dgpbench.reports.figures.summaries import coefficients, scores

__all__ = [
    "Image",
    "Palette",
    "Style",
    "coefficients",
    "conditional",
    "difficulty",
    "group_effects",
    "ite",
    "joint_samples",
    "panel_paths",
    "recovery",
    "samples",
    "scores",
    "text",
]
