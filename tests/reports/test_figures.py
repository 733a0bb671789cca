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


def test_label_text_is_escaped():
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

    from dgpbench.reports.figures.palette import Palette

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
    assert dist.get_ylabel() == "crps − oracle's crps (log scale)"
    assert sum(isinstance(c, PolyCollection) for c in coef.collections) == 2  # one se band per model
    assert sum(isinstance(c, PolyCollection) for c in dist.collections) == 1
    legend = [t.get_text() for t in coef.get_legend().get_texts()]
    assert "ols: recovers" in legend and "biased: plateaus" in legend
    assert any("canonical analysis" in t for t in legend)
    assert any("slope −½" in t.get_text() for t in dist.get_legend().get_texts())
    assert "= 0" in dist.get_title()


# -- what a reviewer checks: resolution, type sizes, labelled axes, clipping, dodging, seeds ----


@pytest.mark.parametrize("kind", sorted(CASES))
def test_figures_are_2x_with_9pt_type_and_labelled_axes(kind, monkeypatch):
    """The PNG holds twice the CSS pixels each way; every tick label and axis label is at
    least 9 pt; every visible panel has an x label, and the first a y label or category ticks."""
    import io

    from PIL import Image

    kept = _captured(monkeypatch)
    image = CASES[kind]()
    with Image.open(io.BytesIO(png(image))) as im:
        assert im.size == (2 * image.width, 2 * image.height)
    ((figure, _),) = kept
    axes = [ax for ax in figure.axes if ax.get_visible()]
    for ax in axes:
        texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label, ax.yaxis.label]
        assert all(t.get_fontsize() >= 9 for t in texts if t.get_text()), kind
        assert ax.get_xlabel(), (kind, ax.get_title())
    first = axes[0]
    assert first.get_ylabel() or any(t.get_text() for t in first.get_yticklabels()), kind


def _score_row(model, metric, score, se=0.1, n=3, face="distribution", value_se=0.01):
    return {
        "face": face,
        "metric": metric,
        "model": model,
        "score": score,
        "score_se": se,
        "n": n,
        "mean": 0.3,
        "se": value_se,
    }


def test_clipped_scores_carry_their_value_and_the_alt_text_says_so(monkeypatch):
    kept = _captured(monkeypatch)
    fig.scores(
        [_score_row("ols", "crps", -20.09), _score_row("twfe", "crps", 6.83), _score_row("mdn", "nll", 0.5)], PAL
    )
    ((figure, alt),) = kept
    (ax,) = [a for a in figure.axes if a.get_visible()]
    notes = [t.get_text() for t in ax.texts]
    assert "← -20.1" in notes and "→ 6.83" in notes
    assert "beyond [-1, 1.5]" in alt
    assert any("beyond" in t.get_text() for t in ax.get_legend().get_texts())


def test_unclipped_scores_say_nothing_of_clipping(monkeypatch):
    kept = _captured(monkeypatch)
    fig.scores([_score_row("ols", "crps", 0.2)], PAL)
    ((figure, alt),) = kept
    assert "beyond" not in alt


def test_identical_scores_are_dodged_and_carry_se_bars(monkeypatch):
    """Two models with the same score on one metric: two dots at different heights (never on
    top of each other), each with its own error bar."""
    kept = _captured(monkeypatch)
    fig.scores([_score_row("ols", "crps", 0.5), _score_row("mixedlm", "crps", 0.5)], PAL)
    ((figure, _),) = kept
    (ax,) = [a for a in figure.axes if a.get_visible()]
    dots = [
        c.get_offsets()[0] for c in ax.collections if len(c.get_offsets()) == 1 and c.get_label() in ("ols", "mixedlm")
    ]
    assert len(dots) == 2 and dots[0][0] == dots[1][0] and dots[0][1] != dots[1][1]
    assert len(ax.containers) == 2  # one errorbar per model


def test_scores_identical_on_every_seed_are_said_so(monkeypatch):
    """Judged on the metric's values, not the score: a naive baseline scores 0 on every seed
    by construction while its values differ."""
    kept = _captured(monkeypatch)
    rows = [
        _score_row("ols", "crps", 0.7, se=0.0, n=5, value_se=0.0),
        _score_row("mdn", "crps", 0.4, se=0.05, n=5),
        _score_row("linear_gaussian", "crps", 0.0, se=0.0, n=5),
    ]
    fig.scores(rows, PAL)
    ((figure, _),) = kept
    (ax,) = [a for a in figure.axes if a.get_visible()]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ols\n(same on every seed)" in legend and "mdn" in legend and "linear_gaussian" in legend
    assert len(ax.containers) == 1  # a bar for mdn only


def _coef_rows(model, estimates, lower=0.9, upper=1.3):
    return [
        {
            "name": "x",
            "model": model,
            "seed": s,
            "truth": 1.0,
            "truth_kind": "reference",
            "estimate": e,
            "lower": lower,
            "upper": upper,
        }
        for s, e in enumerate(estimates)
    ]


def test_coefficients_collapse_seeds_that_are_identical_and_only_those(monkeypatch):
    """Fixed real data (radon_mn): a deterministic fit gives one interval on every seed, drawn
    once and labelled; a model whose seeds differ keeps one line per seed."""
    kept = _captured(monkeypatch)
    rows = _coef_rows("mixedlm", [1.1] * 5) + _coef_rows("glmm_vi", [1.1, 1.12, 1.08, 1.1, 1.1])
    image = fig.coefficients(rows, PAL)
    ((figure, alt),) = kept
    (ax,) = [a for a in figure.axes if a.get_visible()]
    segments = [len(c.get_segments()) for c in ax.collections if hasattr(c, "get_segments")]
    assert sorted(segments) == [1, 5]
    assert [t.get_text() for t in ax.texts] == ["same on all 5 seeds"]
    assert "same on every seed" in image.alt and ax.get_xlabel() == "coefficient estimate"


def test_same_on_every_seed_needs_two_identical_seeds():
    from dgpbench.reports.figures.canvas import same_on_every_seed

    assert same_on_every_seed([(1.0, 0.5, None), (1.0, 0.5, None)])
    assert not same_on_every_seed([(1.0, 0.5, 2.0)])
    assert not same_on_every_seed([(1.0, 0.5, 2.0), (1.0 + 1e-6, 0.5, 2.0)])


def test_recovery_curves_of_identical_models_are_dodged_with_error_bars(monkeypatch):
    from dgpbench.reports.figures.recovery import recovery

    kept = _captured(monkeypatch)
    curves = [
        _curve(m, "coefficients", "coef_abs_error", "canonical analysis", [0.05, 0.025, 0.0125], FLOOR)
        for m in ("ols", "twfe")
    ]
    recovery(curves, fig.Palette(["ols", "twfe"]), {})
    ((figure, _),) = kept
    (ax,) = [a for a in figure.axes if a.get_visible() and a.has_data()]
    assert len(ax.containers) == 2  # error bars over seeds, one set per model
    xs = [c.lines[0].get_xdata() for c in ax.containers]
    assert not np.allclose(xs[0], xs[1]) and np.allclose(xs[0] / xs[1], xs[0][0] / xs[1][0])
    markers = {c.lines[0].get_marker() for c in ax.containers}
    assert markers == {fig.Palette(["ols"])("ols").marker, fig.Palette(["twfe"])("twfe").marker}
