"""The verdict as a sceptical reviewer reads it: scores that do not explode where naive and
oracle cannot be told apart, standard errors that hold across disjoint seed sets, shared
ranks, the leak alarm, an exact 0 above a negative score, and the machine-readable rows.

Stores are written through the Store API with metric rows chosen here, so every number a
test checks is one it set."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from dgpbench.benchmarks.cell import CellResult
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell
from dgpbench.benchmarks.metrics import selected_metrics
from dgpbench.benchmarks.store import Store
from dgpbench.benchmarks.suite import load
from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.verdict import FACE_COLUMNS, face_verdicts, metric_verdicts

SEEDS = range(5)


def info() -> dict:
    """The metric attributes a run stores, as the registry declares them today."""
    from dgpbench.benchmarks.store_schema import METRIC_INFO, metric_row

    out = {}
    for m in selected_metrics(None):
        d = dict(zip(METRIC_INFO, metric_row(m)))
        out[m.name] = {**d, "normalise": bool(d["normalise"]), "proper": bool(d["proper"])}
    return out


def rows(model: str, metric: str, values, oracle, naive, generator: str = "g", seeds=SEEDS) -> list[dict]:
    """Stored metric rows of one model and metric, one per seed."""
    face = info()[metric.split("[")[0]]["face"]
    return [
        {
            "generator": generator,
            "model": model,
            "seed": s,
            "face": face,
            "metric": metric,
            "value": float(v),
            "oracle": float(o),
            "naive": float(n),
            "note": "",
        }
        for s, v, o, n in zip(seeds, values, oracle, naive)
    ]


def cells_of(metric_rows: list[dict]) -> list[dict]:
    return [
        {"generator": g, "model": m, "status": "ok"}
        for g, m, _ in sorted({(r["generator"], r["model"], r["seed"]) for r in metric_rows})
    ]


def face(face_rows: list[dict], model: str, name: str) -> dict:
    return next(r for r in face_rows if r["model"] == model and r["face"] == name)


# -- normalisation only where it can be normalised ----------------------------------------


def test_a_metric_whose_naive_equals_the_oracle_within_noise_shows_raw_values_not_an_exploding_score():
    """The audit's case: naive and oracle ~0.004 apart on a coverage-like proper score. The old
    ratio of means scored the model in the tens; the verdict shows the raw value instead."""
    oracle = [0.500, 0.510, 0.495, 0.505, 0.490]
    naive = [0.503, 0.508, 0.499, 0.502, 0.494]  # within noise of the oracle
    model = [0.560, 0.570, 0.555, 0.565, 0.550]
    stored = rows("m", "crps", model, oracle, naive)
    old_ratio = (np.mean(naive) - np.mean(model)) / (np.mean(naive) - np.mean(oracle))
    assert abs(old_ratio) > 10, "the construction must be one where the plain ratio explodes"

    (metric,) = metric_verdicts(stored, info())
    assert metric["score"] is None and metric["separable"] is False
    assert "not separable" in metric["note"]
    assert metric["mean"] == pytest.approx(np.mean(model)) and metric["se"] > 0

    f = face(face_verdicts(stored, info()), "m", "distribution")
    assert f["primary_metric"] == "crps" and f["score"] is None and f["separable"] is False
    assert f["value"] == pytest.approx(np.mean(model)) and f["value_se"] > 0
    summary = lb.face_summary(face_verdicts(stored, info()), cells_of(stored))
    table = lb.format_table(summary, lb.aggregate(stored, cells_of(stored), info()))
    assert f"raw {lb.fmt(np.mean(model))}" in table


def test_a_separable_metric_scores_with_the_se_of_its_per_seed_scores():
    oracle = [0.50, 0.51, 0.49, 0.50, 0.52]
    naive = [1.00, 1.02, 0.98, 1.01, 0.99]
    model = [0.75, 0.77, 0.74, 0.76, 0.73]
    (metric,) = metric_verdicts(rows("m", "crps", model, oracle, naive), info())
    gap = np.mean(naive) - np.mean(oracle)
    per_seed = (np.array(naive) - np.array(model)) / gap
    assert metric["separable"] is True
    assert metric["score"] == pytest.approx(per_seed.mean())
    assert metric["score_se"] == pytest.approx(per_seed.std(ddof=1) / np.sqrt(5))


@pytest.mark.parametrize(
    "metric,values,target,distance",
    [
        ("coverage_error_90", [0.02, 0.04, 0.03, 0.01, 0.05], 0.0, 0.03),
        ("coef_covers[tau]", [1, 1, 0, 1, 1], 0.95, 0.15),
        ("coef_error[tau]", [0.2, -0.1, 0.1, 0.0, 0.3], 0.0, 0.1),
    ],
)
def test_nominal_metrics_are_never_normalised_but_read_as_distance_from_target(metric, values, target, distance):
    (r,) = metric_verdicts(rows("m", metric, values, [0.0] * 5, [0.5] * 5), info())
    assert r["score"] is None and r["separable"] is None
    assert r["target"] == pytest.approx(target) and r["distance"] == pytest.approx(distance)
    assert lb.metric_score_text(r).startswith("|d|")


# -- the face is its primary metric -------------------------------------------------------


def test_a_constant_effect_model_cannot_win_the_counterfactual_face_on_average_effect_metrics():
    """The audit's broken model: perfect average effects, poor individual ones. Its average-effect
    metrics are perfect, yet the face follows sqrt(PEHE) out of sample, where it loses."""
    oracle, naive = [0.0] * 5, [1.0, 1.1, 0.9, 1.0, 1.05]
    stored = (
        rows("constant", "sqrt_pehe_out", [0.93, 0.95, 0.90, 0.92, 0.94], oracle, naive)
        + rows("constant", "ate_abs_error_out", [0.0] * 5, oracle, [0.05, 0.02, 0.08, 0.03, 0.06])
        + rows("tarnet", "sqrt_pehe_out", [0.46, 0.45, 0.48, 0.44, 0.47], oracle, naive)
        + rows("tarnet", "ate_abs_error_out", [0.17, 0.15, 0.2, 0.16, 0.18], oracle, [0.05, 0.02, 0.08, 0.03, 0.06])
    )
    faces = face_verdicts(stored, info())
    constant, tarnet = face(faces, "constant", "counterfactuals"), face(faces, "tarnet", "counterfactuals")
    assert constant["primary_metric"] == tarnet["primary_metric"] == "sqrt_pehe_out"
    assert tarnet["score"] > constant["score"] + 2 * np.hypot(tarnet["se"], constant["se"])
    assert (tarnet["rank"], constant["rank"]) == (1, 2)


def test_per_coefficient_primary_is_averaged_over_coefficients_per_seed_then_over_seeds():
    stored = rows("m", "coef_efficiency[a]", [1, 2, 3, 4, 5], [0] * 5, [6] * 5) + rows(
        "m", "coef_efficiency[b]", [3, 4, 5, 6, 7], [0] * 5, [8] * 5
    )
    f = face(face_verdicts(stored, info()), "m", "coefficients")
    assert f["primary_metric"] == "coef_efficiency"
    assert f["by_seed"] == {0: 2.0, 1: 3.0, 2: 4.0, 3: 5.0, 4: 6.0}
    assert f["value"] == pytest.approx(4.0) and f["naive"] == pytest.approx(7.0)


def test_a_joint_only_sampler_is_judged_on_energy_distance():
    stored = rows("joint", "energy_distance", [0.1, 0.12, 0.11, 0.1, 0.13], [0.0] * 5, [0.5, 0.52, 0.49, 0.5, 0.51])
    assert face(face_verdicts(stored, info()), "joint", "distribution")["primary_metric"] == "energy_distance"


# -- uncertainty: se that holds, shared ranks, order --------------------------------------


def test_disjoint_seed_sets_of_one_correct_model_give_face_scores_within_their_se():
    """200 simulated runs of one model on seeds 0-4 and 5-9 of a noisy generator: the two face
    scores differ by more than 2 combined se about as often as a 5 % test allows."""
    rng = np.random.default_rng(12)
    outside = 0
    for _ in range(200):
        scores = []
        for seeds in (range(5), range(5, 10)):
            oracle = 0.5 + 0.1 * rng.standard_normal(5)  # the data draw moves every value...
            naive = oracle + 0.3 + 0.05 * rng.standard_normal(5)
            model = oracle + 0.1 + 0.05 * rng.standard_normal(5)  # ...and the model sits between
            f = face(face_verdicts(rows("m", "crps", model, oracle, naive, seeds=seeds), info()), "m", "distribution")
            assert f["score"] is not None and f["se"] is not None
            scores.append(f)
        a, b = scores
        outside += abs(a["score"] - b["score"]) > 2 * np.hypot(a["se"], b["se"])
    assert outside <= 0.10 * 200, outside


def test_models_the_seeds_cannot_tell_apart_share_a_rank():
    oracle, naive = [0.0] * 5, [1.0] * 5
    stored = (
        rows("a", "crps", [0.30, 0.35, 0.28, 0.33, 0.31], oracle, naive)
        + rows("b", "crps", [0.31, 0.34, 0.29, 0.32, 0.32], oracle, naive)  # a's twin within noise
        + rows("c", "crps", [0.60, 0.62, 0.58, 0.61, 0.63], oracle, naive)  # worse than both
    )
    ranks = {r["model"]: r["rank"] for r in face_verdicts(stored, info())}
    assert ranks == {"a": 1, "b": 1, "c": 3}


def test_a_model_judged_alone_on_another_metric_is_not_ranked_first():
    """A joint-only sampler (energy distance) is not ranked against CRPS models, nor made #1."""
    oracle, naive = [0.0] * 5, [1.0] * 5
    stored = (
        rows("a", "crps", [0.30, 0.35, 0.28, 0.33, 0.31], oracle, naive)
        + rows("c", "crps", [0.60, 0.62, 0.58, 0.61, 0.63], oracle, naive)
        + rows("joint", "energy_distance", [0.9, 0.8, 0.95, 0.85, 0.9], oracle, naive)
    )
    faces = face_verdicts(stored, info())
    assert face(faces, "a", "distribution")["rank"] == 1 and face(faces, "c", "distribution")["rank"] == 2
    alone = face(faces, "joint", "distribution")
    assert alone["primary_metric"] == "energy_distance" and alone["rank"] is None
    assert "unranked" in alone["note"]


def test_a_model_scoring_exactly_zero_sorts_above_a_negative_one():
    oracle, naive = [0.0] * 5, [1.0, 1.1, 0.9, 1.05, 0.95]
    noise = np.array([0.3, -0.3, 0.2, -0.2, 0.0])
    stored = rows("zero", "crps", naive, oracle, naive) + rows(  # the naive itself: score exactly 0
        "negative", "crps", np.array(naive) + 0.05 + noise, oracle, naive
    )
    faces = face_verdicts(stored, info())
    assert face(faces, "zero", "distribution")["score"] == 0.0
    assert face(faces, "negative", "distribution")["score"] < 0
    assert face(faces, "zero", "distribution")["rank"] == face(faces, "negative", "distribution")["rank"]
    summary = sorted(lb.face_summary(faces, cells_of(stored)), key=lb.order_key)
    assert [s["model"] for s in summary] == ["zero", "negative"]
    table = lb.format_table(summary, [])
    assert table.index("\nzero ") < table.index("\nnegative ")


# -- the leak alarm -----------------------------------------------------------------------


def test_a_model_better_than_the_truth_is_flagged_suspect_and_a_correct_one_is_not():
    oracle = [0.50, 0.52, 0.49, 0.51, 0.50]
    naive = [0.9] * 5
    stored = rows("leaky", "crps", [0.40, 0.41, 0.39, 0.42, 0.40], oracle, naive) + rows(
        "honest", "crps", [0.505, 0.515, 0.492, 0.512, 0.503], oracle, naive
    )
    faces = face_verdicts(stored, info())
    leaky, honest = face(faces, "leaky", "distribution"), face(faces, "honest", "distribution")
    assert leaky["suspect"] and "suspect: better than the truth" in leaky["note"]
    assert not honest["suspect"]
    flagged = {r["model"]: r["suspect"] for r in metric_verdicts(stored, info())}
    assert flagged == {"leaky": True, "honest": False}
    summary = lb.face_summary(faces, cells_of(stored))
    assert "suspect: better than the truth" in lb.format_table(summary, [])


def test_a_negative_nll_excess_beyond_noise_is_suspect():
    stored = rows("leaky", "nll_excess", [-0.5, -0.45, -0.55, -0.5, -0.48], [0.0] * 5, [0.3] * 5)
    assert face(face_verdicts(stored, info()), "leaky", "distribution")["suspect"]


# -- stores, the command line and the best-run page ---------------------------------------

SUITE = """
name: {name}
seeds: [0, 1, 2, 3, 4]
generators:
  - {{name: heteroscedastic, label: hetero}}
models:
  - {{name: linear_gaussian}}
metrics: all
"""


def write_run(store: Store, tmp_path, name: str, pairs: dict[tuple[str, str], tuple[dict, list[float]]]) -> str:
    """A run whose cells hold one crps row each: ``pairs`` maps (generator label, model label)
    to (generator params, the model's crps by seed); oracle 0.5 and naive 1.0 at every seed."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(SUITE.format(name=name), encoding="utf-8")
    suite = load(str(path))
    run_id, _ = store.start_run(suite, 5 * len(pairs), rerun=True, metrics=selected_metrics(None))
    for (g, m), (params, crps) in pairs.items():
        for seed, v in enumerate(crps):
            spec = CellSpec(ComponentSpec("heteroscedastic", "1", params), ComponentSpec(m, "1"), seed)
            cell = PlannedCell(spec, g, m)
            row = {"face": "distribution", "metric": "crps", "value": v, "oracle": 0.5 + 0.01 * seed, "naive": 1.0}
            store.write_cell(run_id, cell, CellResult(cell.key(), "ok", metrics=[row | {"score": None, "note": ""}]))
    store.finish_run(run_id)
    return run_id


GOOD = [0.60, 0.62, 0.61, 0.63, 0.60]
WORSE = [0.80, 0.83, 0.79, 0.81, 0.82]


def test_best_run_page_takes_the_latest_run_never_the_maximum_and_keeps_params_apart(tmp_path):
    from dgpbench.reports.html import best_runs, render_leaderboard

    store = Store(tmp_path / "s.sqlite")
    write_run(store, tmp_path, "first", {("hetero", "lg"): ({}, GOOD)})
    latest = write_run(
        store,
        tmp_path,
        "second",
        {("hetero", "lg"): ({}, WORSE), ("hetero_noisy", "lg"): ({"noise_scale": 2.0}, GOOD)},
    )
    # the label "hetero" reused for other parameters: the spec hetero_noisy ran under
    write_run(store, tmp_path, "third", {("hetero", "lg"): ({"noise_scale": 2.0}, GOOD)})
    rows, runs = best_runs(store)
    assert len(runs) == 3
    by_params = {(r["generator"], r["generator_params"]): r for r in rows}
    assert set(by_params) == {("hetero", ""), ("hetero", "noise_scale=2.0")}  # keyed by spec, never by label
    assert by_params[("hetero", "noise_scale=2.0")]["runs"] == 2
    default = by_params[("hetero", "")]
    assert default["run_id"] == latest and default["runs"] == 2  # the worse, later run: not the max
    assert default["verdict"]["distribution"]["value"] == pytest.approx(np.mean(WORSE))
    page = render_leaderboard(store)
    assert "noise_scale=2.0" in page and "latest" in page


def test_best_run_ranks_pair_by_seed_across_runs_of_one_generator_spec(tmp_path):
    from dgpbench.reports.html import best_runs

    store = Store(tmp_path / "s.sqlite")
    write_run(store, tmp_path, "first", {("hetero", "a"): ({}, GOOD)})
    write_run(store, tmp_path, "second", {("hetero", "b"): ({}, WORSE)})
    (a, b) = sorted(best_runs(store)[0], key=lambda r: r["model"])
    assert (a["verdict"]["distribution"]["rank"], b["verdict"]["distribution"]["rank"]) == (1, 2)


def cli(argv: list[str], capsys) -> str:
    from dgpbench.cli import main

    assert main.main(argv) == 0
    return capsys.readouterr().out


def test_leaderboard_csv_and_json_give_one_row_per_generator_model_face(tmp_path, capsys):
    store = Store(tmp_path / "s.sqlite")
    write_run(store, tmp_path, "one", {("hetero", "a"): ({}, GOOD), ("hetero", "b"): ({}, WORSE)})
    path = str(store.path)
    table = list(csv.DictReader(io.StringIO(cli(["leaderboard", "--format", "csv", "--store", path], capsys))))
    assert table and list(table[0]) == list(FACE_COLUMNS)
    assert {(r["model"], r["face"]) for r in table} == {("a", "distribution"), ("b", "distribution")}
    a = next(r for r in table if r["model"] == "a")
    assert a["primary_metric"] == "crps" and a["n_seeds"] == "5" and a["rank"] == "1" and a["separable"] == "True"
    assert float(a["score"]) == pytest.approx(
        (1.0 - np.mean(GOOD)) / (1.0 - np.mean([0.5 + 0.01 * s for s in range(5)]))
    )
    doc = json.loads(cli(["leaderboard", "--format", "json", "--store", path], capsys))
    assert [list(r) for r in doc] == [list(FACE_COLUMNS)] * 2 and doc[1]["rank"] == 2
    detail = list(
        csv.DictReader(io.StringIO(cli(["leaderboard", "--format", "csv", "--detail", "--store", path], capsys)))
    )
    assert list(detail[0]) == list(lb.METRIC_COLUMNS) and {r["metric"] for r in detail} == {"crps"}


def test_pooled_replications_are_one_row_per_model_and_face(report_store, capsys):
    """The report store's two IHDP replications pool into one row per model and face."""
    path = str(report_store["path"])
    run = report_store["run_a"]
    doc = json.loads(
        cli(["leaderboard", "--run", run, "--format", "json", "--pool-replications", "--store", path], capsys)
    )
    generators = {r["generator"] for r in doc}
    assert "ihdp · 2 replications" in generators and not {"ihdp_1", "ihdp_2"} & generators
    pooled = [r for r in doc if r["generator"] == "ihdp · 2 replications"]
    keys = [(r["model"], r["face"]) for r in pooled]
    assert len(keys) == len(set(keys)) and all("pooled over" in r["note"] for r in pooled)
    data = RunData.load(report_store["store"], run, figures=False)
    per_rep = [r for r in data.faces if r["generator"] in ("ihdp_1", "ihdp_2")]
    s_learner = [r for r in per_rep if r["model"] == "s_learner" and r["face"] == "counterfactuals"]
    row = next(r for r in pooled if r["model"] == "s_learner" and r["face"] == "counterfactuals")
    assert row["value"] == pytest.approx(np.mean([r["value"] for r in s_learner]))


def test_results_export_the_face_verdicts_with_the_leak_alarm(report_store, capsys):
    """``dgpbench results --table faces``: the verdict rows, ``suspect`` among them, for scripts."""
    import csv
    import io

    from dgpbench.cli.main import main
    from dgpbench.reports.verdict import FACE_COLUMNS

    run_id = report_store["run_a"]
    assert main(["results", run_id, "--table", "faces", "--store", str(report_store["path"])]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and list(rows[0]) == ["run_id", *FACE_COLUMNS]
    assert {r["run_id"] for r in rows} == {run_id}
    assert {r["suspect"] for r in rows} <= {"True", "False"}
    assert all(r["score"] == "" or r["se"] != "" for r in rows if r["n_seeds"] not in ("", "1"))
