"""A cell's identity is one value: its key is what stores are resumed by, so the keys of the
built-in suites planned before cells were built from ``spec()`` are pinned here literally,
and only name, version, the parameters a suite sets and the seed may move a key."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, RunSettings
from dgpbench.benchmarks.runner import plan
from dgpbench.generators.registry import load_generator
from dgpbench.models.registry import load_model

# (suite|generator label|model label|seed, generator, its params in the suite, model, its params, seed, key)
PINNED = [
    (
        "quick|heteroscedastic|ols|0",
        "heteroscedastic",
        {"n": 2000, "n_test": 1000},
        "ols",
        {},
        0,
        "2202017ed83016a77df8",
    ),
    (
        "quick|did_panel|twfe|1",
        "did_panel",
        {"adoption_period": 15, "n_periods": 30, "n_units": 40},
        "twfe",
        {},
        1,
        "87a999af65d46037eeec",
    ),
    (
        "quick|heteroscedastic|tarnet_small|0",
        "heteroscedastic",
        {"n": 2000, "n_test": 1000},
        "tarnet",
        {"epochs": 30, "head_hidden": 25, "hidden": 50},
        0,
        "9f0a6335c1b42d5c4440",
    ),
    ("quick|radon_mn|mixedlm|0", "radon_mn", {}, "mixedlm", {}, 0, "ec387733d3eec5dc0caa"),
    ("default|ihdp_2|s_learner|0", "ihdp", {"replication": 2}, "s_learner", {}, 0, "79ba62dce85185ed7b7d"),
    ("default|heteroscedastic|mdn|3", "heteroscedastic", {}, "mdn", {}, 3, "2fbd847fe0f540a5a68a"),
    (
        "default|heteroscedastic|diffusion_joint|2",
        "heteroscedastic",
        {},
        "diffusion_joint",
        {"batch_size": 256, "lr": 0.001, "steps": 250},
        2,
        "92aedb12c400552f4a8d",
    ),
    (
        "full|ihdp_7|tarnet_ensemble5|4",
        "ihdp",
        {"replication": 7},
        "tarnet",
        {"ensemble": 5},
        4,
        "ba4578c92bcd89d59368",
    ),
]


def _spec(generator: str, gp: dict, model: str, mp: dict, seed: int) -> CellSpec:
    g, m = load_generator(generator, **gp), load_model(model, **mp)
    return CellSpec(ComponentSpec.of(g, gp), ComponentSpec.of(m, mp), seed)


@pytest.mark.parametrize("cell", PINNED, ids=[p[0] for p in PINNED])
def test_keys_of_stores_written_before_are_kept(cell):
    _, generator, gp, model, mp, seed, key = cell
    assert _spec(generator, gp, model, mp, seed).key() == key


KEYS_BEFORE = Path(__file__).parent / "data" / "keys_before_cell_spec.json"
SUITES_BEFORE = Path(__file__).parent / "data" / "suites_before_cell_spec"


def test_every_cell_of_the_built_in_suites_keeps_its_key():
    """The 2994 cells of quick, default and full as planned before cells were values, with
    their keys then (including suites that restate a default, e.g. ``replication: 1``). The
    suites are those of that time, kept beside the keys: the built-in ones have grown since."""
    before = json.loads(KEYS_BEFORE.read_text())
    now = {}
    for name in ("quick", "default", "full"):
        p = plan(suite_mod.load(str(SUITES_BEFORE / f"{name}.yaml")))
        for c in p.cells + [c for c, _ in p.skipped]:
            now[f"{name}|{c.generator_label}|{c.model_label}|{c.spec.seed}"] = c.key()
    assert set(now) == set(before)
    moved = [k for k in before if before[k] != now[k]]
    assert not moved, moved[:5]


def test_values_are_the_validated_ones_and_defaults_stay_out():
    """An int given for a float parameter is keyed as its float; an unset parameter is absent."""
    spec = _spec("did_panel", {"noise_sd": 2}, "ols", {}, 0)
    assert spec.generator.params == {"noise_sd": 2.0}
    assert _spec("did_panel", {"noise_sd": 2.0}, "ols", {}, 0).key() == spec.key()


def test_spec_round_trips_through_json_and_pickle():
    spec = _spec("did_panel", {"n_units": 40, "n_periods": 30}, "tarnet", {"hidden": 50}, 7)
    back = CellSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec and back.key() == spec.key()
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert hash(back) == hash(spec)


def test_stored_spec_document_keeps_its_shape():
    doc = _spec("heteroscedastic", {"n": 2000}, "ols", {}, 3).to_dict()
    assert doc == {
        "generator": {"name": "heteroscedastic", "version": doc["generator"]["version"], "params": {"n": 2000}},
        "model": {"name": "ols", "version": doc["model"]["version"], "params": {}},
        "seed": 3,
    }


@pytest.mark.parametrize("settings", [RunSettings(), RunSettings(12.5, ("crps", "coef_error"), ("/x/plugin.py",))])
def test_settings_round_trip_through_json(settings):
    assert RunSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


def _plan(labels: tuple[str, str], time_limit: float, metrics: str, plugins: tuple[str, ...]):
    text = f"""
name: keys
seeds: [0, 1]
time_limit: {time_limit}
metrics: {metrics}
generators: [{{name: heteroscedastic, label: {labels[0]}, params: {{n: 60, n_test: 20}}}}]
models: [{{name: ols, label: {labels[1]}}}]
"""
    return plan(suite_mod.parse(text), plugins)


def test_labels_and_settings_do_not_enter_the_key():
    a = _plan(("h", "o"), 30, "all", ())
    b = _plan(("another", "label"), 90, "[coef_error]", ("/x/plugin.py",))
    assert b.settings == RunSettings(90.0, ("coef_error",), ("/x/plugin.py",)) != a.settings
    assert [c.generator_label for c in b.cells] == ["another", "another"]
    assert [c.key() for c in a.cells] == [c.key() for c in b.cells]
    assert len({c.key() for c in a.cells}) == 2  # one per seed


def test_name_version_a_param_and_the_seed_each_move_the_key():
    spec = _spec("heteroscedastic", {"n": 60}, "ols", {}, 0)
    g, m = spec.generator, spec.model
    changed = [
        replace(spec, generator=replace(g, name="two_mode_mixture")),
        replace(spec, model=replace(m, name="linear_gaussian")),
        replace(spec, generator=replace(g, version=g.version + "1")),
        replace(spec, model=replace(m, version=m.version + "1")),
        replace(spec, generator=replace(g, params={"n": 61})),
        replace(spec, seed=1),
    ]
    keys = [spec.key()] + [c.key() for c in changed]
    assert len(set(keys)) == len(keys)
    assert _spec("heteroscedastic", {"n": 61}, "ols", {}, 0).key() == changed[4].key()


def test_component_spec_of_keeps_only_the_parameters_set():
    model = load_model("tarnet", hidden=50, epochs=30)
    spec = ComponentSpec.of(model, {"hidden": 50, "epochs": 30})
    assert spec.params == {"hidden": 50, "epochs": 30}
    assert set(model.spec()["params"]) > set(spec.params)
