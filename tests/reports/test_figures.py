"""Each figure kind draws from plain rows, survives hostile labels and returns a PNG data URI."""

import base64

import numpy as np
import pytest

from dgpbench.reports import figures as fig

LABEL = "<b>$x$</b> 50% _m_"
PAL = fig.Palette([LABEL, "other"])
X = list(np.linspace(0.1, 1, 20))


def png(image):
    assert image is not None and image.uri.startswith("data:image/png;base64,")
    raw = base64.b64decode(image.uri.split(",", 1)[1])
    assert raw.startswith(b"\x89PNG") and image.width > 0 and image.height > 0 and image.alt
    return raw


CASES = {
    "scores": lambda: fig.scores(
        [
            {"face": "distribution", "metric": "crps", "model": LABEL, "score": 0.5},
            {"face": "coefficients", "metric": "coef[x]", "model": "other", "score": -9.0},
            {"face": "distribution", "metric": "nll", "model": "other", "score": None},
        ],
        PAL,
    ),
    "coefficients": lambda: fig.coefficients(
        [
            {
                "name": "x",
                "model": LABEL,
                "seed": s,
                "truth": 1.0,
                "truth_kind": "truth",
                "estimate": 1.1,
                "lower": None if s else 0.9,
                "upper": 1.3,
            }
            for s in (0, 1)
        ],
        PAL,
        {LABEL},
    ),
    "conditional": lambda: fig.conditional(
        {LABEL: {"x": X, "mean": X, "sd": X, "true_mean": X, "true_sd": X, "xlabel": "$x"}}, PAL, {LABEL}
    ),
    "samples": lambda: fig.samples(
        {LABEL: {"x": X, "y_true": X, "y_model": [None] + X[1:], "xlabel": "x", "ylabel": "y"}}, PAL
    ),
    "joint_samples": lambda: fig.joint_samples(
        {LABEL: {"columns": ["x", "y$"], "model": [X, X], "truth": [X, X]}}, PAL
    ),
    "panel_paths": lambda: fig.panel_paths(
        {LABEL: {"t": list(range(20)), "observed": X, "true_y0": X, "predicted_y0": X, "adoption": 10.0}}, PAL
    ),
    "group_effects": lambda: fig.group_effects(
        {LABEL: {"group": [str(i) for i in range(20)], "true": X, "estimate": X, "n": list(range(1, 21))}}, PAL
    ),
    "ite": lambda: fig.ite({LABEL: {"true": X, "predicted": X}, "other": {"true": X, "predicted": X}}, PAL),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_figure_kind_draws(kind):
    png(CASES[kind]())


@pytest.mark.parametrize(
    "fn", [fig.conditional, fig.samples, fig.joint_samples, fig.panel_paths, fig.group_effects, fig.ite]
)
def test_no_data_no_figure(fn):
    assert fn({}, PAL) is None


def test_same_data_same_bytes():
    assert CASES["ite"]().uri == CASES["ite"]().uri


def test_palette_is_stable_and_label_text_is_escaped():
    assert fig.Palette(["b", "a"])("a") == fig.Palette(["a", "b"])("a")
    assert fig.text("$x$") == r"\$x\$"


def _captured(monkeypatch):
    """The matplotlib figure a drawing function hands to ``finish``, kept for inspection."""
    from dgpbench.reports.figures import canvas

    kept = []
    real = canvas.finish

    def keep(fig, alt):
        kept.append((fig, alt))
        return real(fig, alt)

    monkeypatch.setattr(canvas, "finish", keep)
    return kept


def _curve(model, face, metric, floor, errors, floors=None, excess=False):
    from dgpbench.reports.recovery import Curve, Point

    sizes = (250, 1000, 4000)
    points = tuple(
        Point(n, {s: e * (1 + 0.1 * s) for s in range(3)}, {s: f for s in range(3)} if floors else {})
        for n, e, f in zip(sizes, errors, floors or errors)
    )
    return Curve("linear", "n", True, model, face, metric, floor, points, excess)


FLOOR = [0.05, 0.025, 0.0125]


def test_recovery_curves_have_axes_units_the_oracle_level_and_se_bands(monkeypatch):
    """Every panel: log-log axes labelled with the size parameter and the error's units, one
    ± se band per model, the floor it is judged against drawn (the canonical analysis's curve,
    or the −½ reference where the oracle's level is 0, said in the title), verdicts in the legend."""
    import importlib

    from matplotlib.collections import PolyCollection

    from dgpbench.reports.figures.canvas import Palette

    figures = importlib.import_module(
        "dgpbench.reports.figures.recovery"
    )  # the package exports a function of that name

    kept = _captured(monkeypatch)
    curves = [
        _curve("ols", "coefficients", "coef_abs_error", "canonical analysis", [0.05, 0.025, 0.0125], FLOOR),
        _curve("biased", "coefficients", "coef_abs_error", "canonical analysis", [0.3, 0.3, 0.3], FLOOR),
        _curve("mdn", "distribution", "crps", "oracle", [0.02, 0.005, 0.00125], excess=True),
    ]
    verdicts = {("ols", "coefficients"): "recovers", ("biased", "coefficients"): "plateaus"}
    image = figures.recovery(curves, Palette(["ols", "biased", "mdn"]), verdicts)
    assert image is not None and image.uri.startswith("data:image/png;base64,")
    ((fig, alt),) = kept
    assert "log-log" in alt and "se" in alt
    coef, dist = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()]
    for ax in (coef, dist):
        assert ax.get_xscale() == ax.get_yscale() == "log"
        assert "n (sample size" in ax.get_xlabel()
        assert "oracle level" in ax.get_title()
    assert coef.get_ylabel().startswith("|estimate − truth| (coef_abs_error)")
    assert dist.get_ylabel() == "crps − oracle's crps"
    assert sum(isinstance(c, PolyCollection) for c in coef.collections) == 2  # one se band per model
    assert sum(isinstance(c, PolyCollection) for c in dist.collections) == 1
    legend = [t.get_text() for t in coef.get_legend().get_texts()]
    assert "ols: recovers" in legend and "biased: plateaus" in legend
    assert any("canonical analysis" in t for t in legend)
    assert any("slope −½" in t.get_text() for t in dist.get_legend().get_texts())
    assert "= 0" in dist.get_title()
