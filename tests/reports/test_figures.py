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
