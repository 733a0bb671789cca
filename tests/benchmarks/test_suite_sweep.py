"""A generator entry's ``sweep: {PARAM: [values...]}``: one entry per value, validated like
params before any work, cells keyed exactly as the same entries written out by hand."""

from __future__ import annotations

import pytest

from dgpbench.benchmarks.runner import plan
from dgpbench.benchmarks.suite import parse
from dgpbench.cli.main import main
from dgpbench.errors import BadInput

SWEPT = """
name: t
seeds: [0, 1]
generators:
  - {name: heteroscedastic, label: het, params: {n_test: 100}, sweep: {n: [200, 800]}}
  - {name: did_panel, params: {n_units: 8, n_periods: 6}, sweep: {noise_sd: [0.5, 2]}}
models:
  - {name: ols}
  - {name: linear_gaussian, generators: [het]}
"""

BY_HAND = """
name: t
seeds: [0, 1]
generators:
  - {name: heteroscedastic, label: a, params: {n_test: 100, n: 200}}
  - {name: heteroscedastic, label: b, params: {n: 800, n_test: 100}}
  - {name: did_panel, label: c, params: {n_units: 8, n_periods: 6, noise_sd: 0.5}}
  - {name: did_panel, label: d, params: {n_units: 8, n_periods: 6, noise_sd: 2.0}}
models:
  - {name: ols}
  - {name: linear_gaussian, generators: [a, b]}
"""


def test_a_sweep_expands_into_one_labelled_entry_per_value():
    suite = parse(SWEPT)
    assert [g.label for g in suite.generators] == [
        "het@n=200",
        "het@n=800",
        "did_panel@noise_sd=0.5",
        "did_panel@noise_sd=2",
    ]
    assert suite.generators[1].params == {"n_test": 100, "n": 800}
    assert suite.generators[2].params == {"n_units": 8, "n_periods": 6, "noise_sd": 0.5}
    # the family label of a sweep names all its entries in a model's `generators`
    assert suite.models[1].on == ("het@n=200", "het@n=800")


def test_expanded_cells_keep_the_keys_of_the_entries_written_by_hand():
    rename = {"a": "het@n=200", "b": "het@n=800", "c": "did_panel@noise_sd=0.5", "d": "did_panel@noise_sd=2"}
    swept = {(c.generator_label, c.model_label, c.spec.seed): c.key() for c in plan(parse(SWEPT)).cells}
    by_hand = {(rename[c.generator_label], c.model_label, c.spec.seed): c.key() for c in plan(parse(BY_HAND)).cells}
    assert len(swept) == 12  # 4 entries x 2 seeds x ols, + 2 het entries x 2 seeds x linear_gaussian
    assert swept == by_hand


def test_the_stored_suite_says_which_sweep_an_entry_belongs_to():
    """The sweep info travels with the run (runs.suite_json), which is where reports read it;
    ``size`` is true only for the generator's declared sample-size parameter."""
    from dgpbench.generators.heteroscedastic import Heteroscedastic

    entries = parse(SWEPT).to_dict()["generators"]
    het = entries[0]["sweep"]
    assert het == {"family": "het", "param": "n", "value": 200, "size": Heteroscedastic.size_param == "n"}
    assert entries[2]["sweep"] == {"family": "did_panel", "param": "noise_sd", "value": 0.5, "size": False}
    assert "sweep" not in parse(BY_HAND).to_dict()["generators"][0]


def test_the_cell_cap_counts_expanded_cells():
    many = SWEPT.replace("[200, 800]", "[" + ", ".join(str(200 + i) for i in range(30)) + "]")
    # 30 sizes x 2 seeds x 2 models, + 2 did_panel entries x 2 seeds x ols = 124
    parse(many.replace("name: t\n", "name: t\nmax_cells: 200\n"))
    with pytest.raises(BadInput, match="asks for 124 cells"):
        parse(many.replace("name: t\n", "name: t\nmax_cells: 123\n"))


@pytest.mark.parametrize(
    ("entry", "key", "says"),
    [
        ("sweep: {nn: [1, 2]}", r"generators\[0\]\.sweep\.nn:", "unknown parameter.*closest valid: n"),
        ("sweep: {n: [200, -5]}", r"generators\[0\]\.sweep\.n\[1\]:", "n"),
        ("sweep: {n: [200, abc]}", r"generators\[0\]\.sweep\.n\[1\]:", "n"),
        ("sweep: {n: []}", r"generators\[0\]\.sweep\.n:", "non-empty list"),
        ("sweep: {n: 200}", r"generators\[0\]\.sweep\.n:", "non-empty list"),
        ("sweep: [n, 200]", r"generators\[0\]\.sweep:", "mapping of one parameter"),
        ("sweep: {n: [200, 200]}", r"generators\[0\]\.sweep\.n\[1\]:", "listed twice"),
        ("sweep: {n: [200], n_test: [5]}", r"generators\[0\]\.sweep:", "2 parameters.*one entry per parameter"),
        ("params: {n: 100}, sweep: {n: [200]}", r"generators\[0\]\.sweep\.n:", "also set in params"),
        ("sweep: {n: [200, 2e80]}", r"generators\[0\]\.sweep\.n\[1\]:", ""),
    ],
)
def test_a_bad_sweep_names_its_key(entry, key, says):
    text = f"name: t\nseeds: [0]\ngenerators:\n  - {{name: heteroscedastic, {entry}}}\nmodels: [ols]\n"
    with pytest.raises(BadInput, match=f"{key}.*{says}"):
        parse(text)


def test_only_generators_are_swept_and_labels_stay_unique():
    with pytest.raises(BadInput, match=r"models\[0\]\.sweep: only generators"):
        parse("name: t\nseeds: [0]\ngenerators: [heteroscedastic]\nmodels:\n  - {name: ols, sweep: {x: [1]}}\n")
    clash = "name: t\nseeds: [0]\ngenerators:\n  - {name: heteroscedastic, sweep: {n: [50]}}\n"
    with pytest.raises(BadInput, match=r"generators\[1\]\.label: label 'heteroscedastic@n=50' is used twice"):
        parse(clash + "  - {name: heteroscedastic, label: heteroscedastic@n=50}\nmodels: [ols]\n")
    with pytest.raises(BadInput, match=r"generators\[1\]\.label: label 'heteroscedastic' is used twice"):
        parse(clash + "  - {name: heteroscedastic}\nmodels: [ols]\n")


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ("{name: heteroscedastic, sweep: {nn: [1]}}", "generators[0].sweep.nn"),
        ("{name: heteroscedastic, sweep: {n: [10, -1]}}", "generators[0].sweep.n[1]"),
        ("{name: heteroscedastic, sweep: {n: []}}", "generators[0].sweep.n"),
        ("{name: heteroscedastic, sweep: {n: 10}}", "generators[0].sweep.n"),
    ],
)
def test_the_command_line_exits_2_with_one_line(tmp_path, capsys, entry, key):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nseeds: [0]\ngenerators:\n  - {entry}\nmodels: [ols]\n")
    assert main(["run", str(path), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: {key}: " in err
    assert not (tmp_path / "s.sqlite").exists()


def test_only_by_a_sweeps_label_plans_every_entry_of_the_sweep():
    suite = parse(SWEPT)
    planned = plan(suite, only={"generator": "het"}).cells
    assert sorted({c.generator_label for c in planned}) == ["het@n=200", "het@n=800"]
    assert {c.generator_label for c in plan(suite, only={"generator": "het@n=800"}).cells} == {"het@n=800"}
