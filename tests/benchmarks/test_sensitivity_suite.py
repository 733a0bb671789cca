"""The suite key ``breaks`` and the listing: sensitivity models are kept apart from ordinary
ones, and a suite names one only beside the correct model it breaks."""

import json

import pytest

from dgpbench.benchmarks.suite import parse
from dgpbench.cli.main import main
from dgpbench.errors import BadInput

SUITE = """
name: t
seeds: [0]
generators:
  - {name: heteroscedastic, params: {n: 200, n_test: 50}}
models:
  - {name: scale_gaussian}
  - {name: scale_gaussian_wide_sd, breaks: {model: scale_gaussian}}
"""


def test_face_catch_and_what_default_to_the_declaration():
    suite = parse(SUITE)
    assert suite.models[1].breaks == {
        "model": "scale_gaussian",
        "face": "distribution",
        "catch": "worse",
        "what": "predictive sd x1.25",
    }
    assert suite.to_dict()["models"][1]["breaks"]["face"] == "distribution"
    assert "breaks" not in suite.to_dict()["models"][0]


def test_a_variant_without_breaks_is_bad_input():
    with pytest.raises(BadInput, match=r"models\[1\].*sensitivity model"):
        parse(SUITE.replace(", breaks: {model: scale_gaussian}", ""))


@pytest.mark.parametrize(
    ("replace", "key"),
    [
        ("{model: scale_gaussian}", r"models\[1\]\.breaks\.model"),
        ("{model: scale_gaussian_wide_sd}", r"models\[1\]\.breaks\.model"),
        ("{model: scale_gaussian, face: variance}", r"models\[1\]\.breaks\.face"),
        ("{model: scale_gaussian, catch: maybe}", r"models\[1\]\.breaks\.catch"),
        ("{model: scale_gaussian, by: x}", r"models\[1\]\.breaks\.by"),
    ],
)
def test_bad_breaks_name_the_key(replace, key):
    text = SUITE.replace("{model: scale_gaussian}", replace)
    if replace.startswith("{model: scale_gaussian}"):
        text = text.replace("- {name: scale_gaussian}\n", "- {name: linear_gaussian}\n")
    with pytest.raises(BadInput, match=key):
        parse(text)


def test_breaks_only_on_models():
    with pytest.raises(BadInput, match=r"generators\[0\]\.breaks"):
        parse(SUITE.replace("params: {n: 200, n_test: 50}}", "params: {n: 200}, breaks: {model: x}}"))


def top_level(listing: str) -> set[str]:
    """Names on a listing's entry lines (two-space indent; parameters are indented deeper)."""
    return {ln.split()[0] for ln in listing.splitlines() if ln.startswith("  ") and not ln.startswith("    ")}


def test_list_models_shows_variants_apart(capsys):
    assert main(["list", "models"]) == 0
    out = capsys.readouterr().out
    ordinary, _, apart = out.partition("sensitivity variants")
    assert apart, "no heading of their own"
    assert {"twfe", "t_learner", "scale_gaussian"} <= top_level(ordinary)
    assert {"twfe_wide_sd", "outcome_leak", "t_learner_constant_effect", "two_mode_family"} <= top_level(apart)
    assert not top_level(ordinary) & top_level(apart)


def test_list_models_json_marks_variants(capsys):
    assert main(["list", "models", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["twfe_shifted_2se"]["sensitivity"] == {
        "breaks": "coefficients biased by 2 canonical se",
        "face": "coefficients",
        "catch": "worse",
    }
    assert rows["outcome_leak"]["sensitivity"]["catch"] == "suspect"
    assert "role" in rows["two_mode_family"]["sensitivity"]
    assert "sensitivity" not in rows["twfe"] and "sensitivity" not in rows["t_learner"]
