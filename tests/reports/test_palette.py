"""The report's colours: the score scale survives deuteranopia, and model styles are fixed,
distinct and independent of the page.

Deuteranopia is simulated with Machado, Oliveira & Fernandes (2009), severity 1.0, applied
to linear RGB; colour differences are CIE76 ΔE in CIELAB (D65). A ΔE above about 2 is
visible side by side; 20 is "clearly a different colour" even between two cells apart.
"""

import re

import numpy as np
import pytest

from dgpbench.reports import html
from dgpbench.reports.figures import palette as pl

# Machado et al. (2009), deuteranomaly at severity 1.0 (deuteranopia), on linear RGB.
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
# The red-green scale the report used before (its -1, 0 and 1).
OLD_SCALE = ("#f06868", "#fcfcfa", "#63be7b")
INK = "#1d2433"


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def gamma(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def deuteranope(colour: str) -> np.ndarray:
    """The sRGB colour (0-1) a deuteranope sees for ``colour``."""
    return gamma(DEUTERANOPIA @ linear(rgb(colour)))


def lab(srgb: np.ndarray) -> np.ndarray:
    t = (SRGB_TO_XYZ @ linear(srgb)) / WHITE_D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(lab(a) - lab(b)))


def distinguishable_for_deuteranopes(worse: str, neutral: str, better: str) -> bool:
    """Both ends clearly apart from each other and from the neutral middle, as seen."""
    w, n, b = deuteranope(worse), deuteranope(neutral), deuteranope(better)
    return delta_e(w, b) > 20 and delta_e(w, n) > 20 and delta_e(b, n) > 20


def test_simulation_keeps_grey_and_merges_red_with_green():
    """The simulation itself: neutral greys are unchanged, a pure red and a pure green that
    anyone with full colour vision tells apart become alike."""
    assert np.allclose(deuteranope("#808080"), rgb("#808080"), atol=0.01)
    assert delta_e(rgb("#e05050"), rgb("#50a050")) > 60
    assert delta_e(deuteranope("#c8463c"), deuteranope("#6e9b3c")) < 15


def test_the_old_red_green_scale_fails_under_deuteranopia():
    """The test can fail: the former scale's ends (-0.60 and +1.00 looked alike, issue 14)."""
    assert not distinguishable_for_deuteranopes(*OLD_SCALE)
    assert delta_e(deuteranope(OLD_SCALE[0]), deuteranope(OLD_SCALE[2])) < 20


@pytest.mark.parametrize("end", [1.0, 0.6])
def test_the_score_scale_stays_distinguishable_under_deuteranopia(end):
    """-end and +end as a deuteranope sees them: apart from each other and from naive (0)."""
    colours = html.score_colour(-end), html.score_colour(0.0), html.score_colour(end)
    if end == 1.0:
        assert distinguishable_for_deuteranopes(*colours)
    seen = [deuteranope(c) for c in colours]
    assert delta_e(seen[0], seen[2]) > 20 * end


def test_the_score_scale_saturates_and_is_neutral_at_naive():
    assert html.score_colour(1.0) == html.score_colour(6.83) == "#5e9ed6"
    assert html.score_colour(-1.0) == html.score_colour(-20.09) == "#e08214"
    assert html.score_colour(0.0) == "#f7f7f7"
    assert html.score_colour(None) == html.score_colour(float("nan")) == ""


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio."""
    la, lb = (float(linear(rgb(c)) @ [0.2126, 0.7152, 0.0722]) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize("score", [-1.0, -0.5, 0.0, 0.5, 1.0])
def test_ink_stays_readable_on_every_score_colour(score):
    assert contrast(INK, html.score_colour(score)) >= 4.5


def test_the_css_scale_bar_is_the_same_scale():
    """The legend bar of page.css and the cells' colours: one scale, ends and middle equal."""
    css = (html.TEMPLATES / "page.css").read_text(encoding="utf-8")
    bar = re.search(r"\.scale \.bar \{[^}]*linear-gradient\(90deg, ([^)]*)\)", css)
    assert bar is not None
    stops = [s.split()[0].lower() for s in bar.group(1).split(",")]
    assert stops == [html.score_colour(-1.0), html.score_colour(0.0), html.score_colour(1.0)]
    macros = (html.TEMPLATES / "_macros.html.j2").read_text(encoding="utf-8")
    label = re.search(r'class="bar" role="img" aria-label="([^"]*)"', macros)
    assert label is not None and "orange" in label.group(1) and "blue" in label.group(1)
    assert "red" not in label.group(1) and "green" not in label.group(1)


# -- model styles --------------------------------------------------------------------------

BUILTINS = sorted(pl.FIXED)


def test_every_builtin_model_has_a_fixed_distinct_style():
    from dgpbench.models.registry import MODELS

    builtin = sorted(e.name for e in MODELS.entries() if e.source == "builtin")
    assert sorted(pl.FIXED) == builtin  # a new built-in model needs its entry in FIXED
    assert len(set(pl.FIXED.values())) == len(pl.FIXED)


def test_twenty_names_get_twenty_distinct_colour_marker_pairs():
    names = BUILTINS[:12] + [f"plugin_{i}" for i in range(8)]
    palette = pl.Palette(names)
    styles = {palette(n) for n in names}
    assert len(styles) == 20
    plugins_only = pl.Palette([f"my_model_{i}" for i in range(20)])
    assert len({plugins_only(f"my_model_{i}") for i in range(20)}) == 20


def test_builtin_styles_do_not_depend_on_the_other_models_on_the_page():
    pages = [
        ["ols"],
        ["ols", "twfe"],
        ["zzz_plugin", "ols", "a_plugin"],
        BUILTINS,
        ["ols", *(f"p{i}" for i in range(30))],
    ]
    for name in ("ols", "twfe"):
        styles = {pl.Palette(page)(name) for page in pages if name in page}
        assert styles == {pl.Palette([])(name)}


def test_a_plugin_style_is_stable_for_the_same_set_and_avoids_the_page():
    names = ["ols", "my_model", "other_plugin", "twfe"]
    a, b = pl.Palette(names), pl.Palette(list(reversed(names)))
    assert all(a(n) == b(n) for n in names)
    assert len({a(n) for n in names}) == len(names)
    # a plugin does not take a built-in's pair even when that built-in is elsewhere
    reserved = {pl.Palette([])(n) for n in pl.FIXED}
    assert pl.Palette(["my_model"])("my_model") not in reserved


def test_styles_are_colour_and_marker_from_the_declared_sets():
    style = pl.Palette(["ols"])("ols")
    assert style.colour in pl.COLOURS and style.marker in pl.MARKERS
    assert "#111111" not in pl.COLOURS  # black is the truth's
