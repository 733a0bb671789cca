"""Recovery curves judged as a sceptical reviewer would: on metric rows whose errors are drawn
from known laws (a consistent estimator, a constant bias, one that stops learning, one that
ignores the data), the verdicts must be the right ones, the slope's interval must cover the
true rate, and two disjoint seed sets must agree. One small real run checks the same through
the runner, the store and ``dgpbench results --table recovery``."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from dgpbench.reports import recovery as rc

SIZES = (25, 50, 100, 200, 400, 800, 1600, 3200, 6400)  # the capped model learns up to 300
TRUTH = {"intercept": 0.1, "x": 1.5}
SIGMA = {"intercept": 1.0, "x": 1.7}  # sd of each OLS coefficient times sqrt(n)
INFO = {
    "coef_abs_error": {"face": "coefficients", "direction": "lower", "primary_rank": 0, "proper": False},
    "coef_efficiency": {"face": "coefficients", "direction": "lower", "primary_rank": 1, "proper": False},
    "crps": {"face": "distribution", "direction": "lower", "primary_rank": 1, "proper": True},
    "sqrt_pehe_out": {"face": "counterfactuals", "direction": "lower", "primary_rank": 1, "proper": False},
}


def _estimate(kind: str, name: str, n: int, rng: np.random.Generator) -> float:
    """One coefficient estimate of a model of ``kind`` fitted to n rows."""
    se = SIGMA[name] / math.sqrt(n)
    if kind == "consistent":
        return TRUTH[name] + se * rng.standard_normal()
    if kind == "biased":  # OLS + 0.3 on every coefficient
        return TRUTH[name] + 0.3 + se * rng.standard_normal()
    if kind == "capped":  # OLS on at most the first 300 rows
        return TRUTH[name] + SIGMA[name] / math.sqrt(min(n, 300)) * rng.standard_normal()
    if kind == "blind":  # ignores the data
        return 0.0
    raise ValueError(kind)


def suite(family: str = "line", sizes=SIZES, param: str = "n", size: bool = True) -> dict:
    return {
        "generators": [
            {"label": f"{family}@{param}={n}", "sweep": {"family": family, "param": param, "value": n, "size": size}}
            for n in sizes
        ]
    }


def coefficient_rows(kinds, seeds, sizes=SIZES, family: str = "line") -> list[dict]:
    """Metric rows as the store holds them: per cell |error| and |error| / canonical se per
    coefficient (the canonical se itself noisy, as an HC1 se is)."""
    rows = []
    for n in sizes:
        for seed in seeds:
            rng = np.random.default_rng([n, seed])
            se = {k: SIGMA[k] / math.sqrt(n) * (1 + 0.05 * rng.standard_normal()) for k in TRUTH}
            for kind in kinds:
                model_rng = np.random.default_rng([n, seed, len(kind)])
                for name in TRUTH:
                    err = abs(_estimate(kind, name, n, model_rng) - TRUTH[name])
                    for metric, value in (("coef_abs_error", err), ("coef_efficiency", err / se[name])):
                        rows.append(
                            {
                                "generator": f"{family}@n={n}",
                                "model": kind,
                                "seed": seed,
                                "face": "coefficients",
                                "metric": f"{metric}[{name}]",
                                "value": value,
                                "oracle": 0.0,
                            }
                        )
    return rows


def judged(rows, cells=(), family: str = "line", sizes=SIZES) -> dict[str, dict]:
    return {r["model"]: r for r in rc.recovery_rows(suite(family, sizes), rows, cells, INFO)}


KINDS = ("consistent", "biased", "capped", "blind")


@pytest.fixture(scope="module")
def verdicts():
    return judged(coefficient_rows(KINDS, range(6)))


def test_a_consistent_estimator_recovers_at_the_canonical_rate(verdicts):
    r = verdicts["consistent"]
    assert r["verdict"] == "recovers", r
    assert r["slope_lower"] < -0.5 < r["slope_upper"]
    assert r["slope_upper"] - r["slope_lower"] < 0.8  # an interval that says something
    assert r["canonical_lower"] < -0.5 < r["canonical_upper"]  # the canonical curve is fitted, not assumed
    assert r["metric"] == "coef_abs_error" and r["sizes"] == list(SIZES) and r["n_sizes"] == len(SIZES)
    assert r["bias_floor"] is None


def test_a_constant_bias_plateaus_at_the_bias(verdicts):
    """Its error stays flat at the bias, above the canonical analysis's."""
    r = verdicts["biased"]
    assert r["verdict"] == "plateaus", r
    assert abs(r["bias_floor"] - 0.3) < 3 * r["bias_floor_se"] + 0.01  # |0.3 + e| is 0.3 + O(e^2)
    assert r["slope_upper"] > -0.5


def test_a_model_that_stops_learning_plateaus_above_the_canonical_error(verdicts):
    r = verdicts["capped"]
    assert r["verdict"] == "plateaus", r
    canonical_error = rc.HALF_NORMAL_MEAN * (SIGMA["intercept"] + SIGMA["x"]) / 2 / math.sqrt(SIZES[-1])
    expected = rc.HALF_NORMAL_MEAN * (SIGMA["intercept"] + SIGMA["x"]) / 2 / math.sqrt(300)
    assert r["bias_floor"] - 2 * r["bias_floor_se"] > 2 * canonical_error
    assert abs(r["bias_floor"] - expected) < 3 * r["bias_floor_se"]


def test_a_model_that_ignores_the_data_plateaus_at_its_error(verdicts):
    """Flat far above the floor: never "recovers", and its floor says how far."""
    r = verdicts["blind"]
    assert r["verdict"] == "plateaus" and "does not fall" in r["reason"], r
    assert r["bias_floor"] == pytest.approx((0.1 + 1.5) / 2)


@pytest.mark.parametrize("seeds", [range(10, 16), range(20, 25), range(30, 36)])
def test_disjoint_seed_sets_give_the_same_verdicts(verdicts, seeds):
    """The verdicts are properties of the models, not of the seeds: each seed set gives each
    model the same verdict, and the constant bias the same floor."""
    again = judged(coefficient_rows(KINDS, seeds))
    for model in KINDS:
        assert again[model]["verdict"] == verdicts[model]["verdict"], (model, again[model])
    a, b = again["biased"], verdicts["biased"]
    assert abs(a["bias_floor"] - b["bias_floor"]) < 3 * math.hypot(a["bias_floor_se"], b["bias_floor_se"])


def test_the_slope_interval_covers_the_rate_about_95_percent_of_the_time():
    """Over 40 independent seed sets of the consistent estimator, the 95 % interval misses
    -1/2 rarely (the analytic interval is neither far too narrow nor uselessly wide)."""
    misses, widths = 0, []
    for rep in range(40):
        r = judged(coefficient_rows(["consistent"], range(100 + 5 * rep, 105 + 5 * rep)))["consistent"]
        misses += not r["slope_lower"] < -0.5 < r["slope_upper"]
        widths.append(r["slope_upper"] - r["slope_lower"])
    assert misses <= 6, misses  # expected 2 of 40; 6 or more has probability < 1 %
    assert np.median(widths) < 0.8


def _scalar_rows(face: str, metric: str, value_of, seeds, sizes=SIZES, oracle_of=lambda n, s: 0.0):
    return [
        {
            "generator": f"line@n={n}",
            "model": "m",
            "seed": s,
            "face": face,
            "metric": metric,
            "value": value_of(n, s),
            "oracle": oracle_of(n, s),
        }
        for n in sizes
        for s in seeds
    ]


def test_a_proper_score_is_read_as_its_excess_over_the_oracle():
    """CRPS of a model whose excess over the truth's score falls like 1/n (a well-specified
    parametric fit): the oracle's CRPS (about 0.3, constant) must not flatten the curve."""
    rng = np.random.default_rng(0)
    noise = {(n, s): rng.standard_normal() for n in SIZES for s in range(5)}
    rows = _scalar_rows(
        "distribution",
        "crps",
        lambda n, s: 0.3 + 0.01 * noise[(n, s)] + 40 / n * (1 + 0.2 * rng.standard_normal()),
        range(5),
        oracle_of=lambda n, s: 0.3 + 0.01 * noise[(n, s)],
    )
    r = judged(rows)["m"]
    assert r["metric"] == "crps" and r["verdict"] == "recovers"
    assert r["slope_lower"] < -1 < r["slope_upper"]  # the excess's own rate, faster than -1/2
    assert r["canonical_slope"] == -0.5 and r["canonical_lower"] is None


def test_a_flat_proper_score_excess_plateaus_with_its_floor():
    rng = np.random.default_rng(1)
    rows = _scalar_rows(
        "distribution", "crps", lambda n, s: 0.05 + 2 / math.sqrt(n) + 0.003 * rng.standard_normal(), range(5)
    )
    r = judged(rows)["m"]
    assert r["verdict"] == "plateaus", r
    assert r["bias_floor"] == pytest.approx(0.05 + 2 / math.sqrt(6400), abs=3 * r["bias_floor_se"])


def test_too_few_sizes_or_seeds_are_not_judged_and_failures_fail():
    rows = coefficient_rows(["consistent"], range(3), sizes=SIZES[:2])
    r = judged(rows, sizes=SIZES[:2])["consistent"]
    assert r["verdict"] == "not judged" and "at least 3" in r["reason"]
    one_seed = coefficient_rows(["consistent"], [0])
    r = judged(one_seed)["consistent"]
    assert r["verdict"] == "not judged" and "fewer than 2 seeds" in r["reason"]
    cells = [{"generator": "line@n=3200", "model": "consistent", "seed": 9, "status": "timeout"}]
    r = judged(coefficient_rows(["consistent"], range(4)), cells)["consistent"]
    assert r["verdict"] == "fails" and "n=3200 (1)" in r["reason"]


def test_a_rising_error_fails():
    rows = _scalar_rows("counterfactuals", "sqrt_pehe_out", lambda n, s: 0.01 * math.sqrt(n) * (1 + 0.01 * s), range(4))
    r = judged(rows)["m"]
    assert r["verdict"] == "fails" and "rises" in r["reason"]


def test_a_difficulty_sweep_is_a_curve_without_a_verdict():
    rows = [
        dict(r, generator=r["generator"].replace("line@n=", "noisy@noise_sd="))
        for r in _scalar_rows(
            "counterfactuals", "sqrt_pehe_out", lambda n, s: n / 100 + 0.01 * s, range(3), sizes=(0.5, 1, 2)
        )
    ]
    found = rc.curves(suite("noisy", (0.5, 1, 2), "noise_sd", size=False), rows, [], INFO)
    assert [c.size for c in found] == [False]
    assert rc.recovery_rows(suite("noisy", (0.5, 1, 2), "noise_sd", size=False), rows, [], INFO) == []
    table = rc.difficulty_rows(found[0])
    assert [t["value"] for t in table] == [0.5, 1, 2]
    assert table[2]["mean"] == pytest.approx(0.02 + 0.01) and table[2]["n"] == 3


# -- one real run: the runner, the store, the command line ---------------------------------------

PLUGIN = Path(__file__).with_name("recovery_plugin.py")
REAL_SUITE = """
name: recovery-test
seeds: [0, 1, 2, 3]
time_limit: 60
generators:
  - {name: linear, label: line, params: {n_test: 10}, sweep: {n: [25, 100, 400, 1600, 6400]}}
  - {name: linear, label: one, params: {n: 50, n_test: 10}}
models: [ols, recovery_biased, recovery_capped, recovery_blind]
metrics: [coef_abs_error, coef_efficiency]
"""


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    from dgpbench.benchmarks import runner

    root = tmp_path_factory.mktemp("recovery")
    (root / "suite.yaml").write_text(REAL_SUITE)
    path = root / "s.sqlite"
    runner.run(str(root / "suite.yaml"), str(path), workers=2, plugins=(str(PLUGIN),), progress=False, echo=print)
    return path


def results(capsys, *args: str) -> tuple[int, str, str]:
    from dgpbench.cli.main import main

    rc_ = main(["results", *args])
    out = capsys.readouterr()
    return rc_, out.out, out.err


def test_a_real_size_sweep_is_judged_from_the_store(real_store, capsys):
    code, out, _ = results(capsys, "--store", str(real_store), "--table", "recovery", "--format", "json")
    assert code == 0
    rows = {r["model"]: r for r in json.loads(out)}
    assert set(rows) == {"ols", "recovery_biased", "recovery_capped", "recovery_blind"}  # `one` is no sweep
    ols = rows["ols"]
    assert ols["verdict"] == "recovers" and ols["slope_lower"] < -0.5 < ols["slope_upper"]
    assert abs(ols["slope"] + 0.5) < 0.15
    assert ols["canonical_lower"] < -0.5 < ols["canonical_upper"]
    assert ols["generator"] == "line" and ols["sizes"] == [25, 100, 400, 1600, 6400] and ols["size_param"] == "n"
    biased = rows["recovery_biased"]
    assert biased["verdict"] == "plateaus" and abs(biased["bias_floor"] - 0.3) < 3 * biased["bias_floor_se"] + 0.01
    assert rows["recovery_capped"]["verdict"] == "plateaus"
    assert rows["recovery_blind"]["verdict"] == "plateaus"
    assert rows["recovery_blind"]["bias_floor"] == pytest.approx((0.4 + 1.0) / 2)  # 0.5 for 0.1 and 1.5


def test_the_recovery_table_round_trips_through_csv_and_json(real_store, capsys):
    from dgpbench.reports.recovery import RECOVERY_COLUMNS

    _, as_json, _ = results(capsys, "--store", str(real_store), "--table", "recovery", "--format", "json")
    _, as_csv, _ = results(capsys, "--store", str(real_store), "--table", "recovery", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(as_csv)))
    rows = json.loads(as_json)
    assert list(parsed[0]) == list(rows[0]) == ["run_id", *RECOVERY_COLUMNS]
    for c, j in zip(parsed, rows):
        assert c["verdict"] == j["verdict"] and c["model"] == j["model"]
        assert float(c["slope"]) == pytest.approx(j["slope"], rel=1e-12)
        assert c["sizes"] == ";".join(map(str, j["sizes"]))
        assert (c["bias_floor"] == "") == (j["bias_floor"] is None)


def test_the_report_opens_with_the_verdicts_and_their_curves(real_store, capsys):
    from dgpbench.benchmarks.store import Store
    from dgpbench.cli.main import main
    from dgpbench.reports.html import render_report

    store = Store(real_store, create=False)
    page = render_report(store)
    store.close()
    assert page.index('id="header"') < page.index('id="summary"') < page.index('id="recovery"')  # verdict first
    summary = page[page.index('id="summary"') : page.index('id="recovery"')]
    assert "Does it recover the process?" in summary
    assert re.search(r'<a class="chip verdict recovers" href="#recovery-0"[^>]*>recovers</a>', summary)
    section = re.search(r'<section id="recovery".*?</section>', page, re.S).group(0)
    assert "As data grow" in section and "no-size-sweep" not in section
    for model, verdict in (("ols", "recovers"), ("recovery_capped", "plateaus"), ("recovery_blind", "plateaus")):
        assert re.search(rf"<td>{model}</td>.*?chip verdict {verdict}\b", section, re.S), model
    assert section.count('src="data:image/png;base64,') == 1 and "canonical analysis" in section
    assert main(["leaderboard", "--store", str(real_store)]) == 0
    block = capsys.readouterr().out.split("recovery (error against the sample size")[1]
    assert re.search(r"line\s+recovery_capped\s+coefficients\s+plateaus", block)


def test_a_bad_table_is_one_line_and_a_run_without_a_size_sweep_has_a_header_only(real_store, capsys):
    from dgpbench.benchmarks import runner
    from dgpbench.reports.recovery import RECOVERY_COLUMNS

    code, _, err = results(capsys, "--store", str(real_store), "--table", "recover")
    assert code == 2 and err.count("\n") == 1 and "--table" in err and "recovery" in err
    suite = real_store.parent / "suite.yaml"
    only = {"generator": "one"}  # a new run holding no swept cell
    runner.run(str(suite), str(real_store), workers=1, plugins=(str(PLUGIN),), only=only, rerun=True, progress=False)
    code, out, _ = results(capsys, "--store", str(real_store), "--table", "recovery")
    assert code == 0 and out == ",".join(["run_id", *RECOVERY_COLUMNS]) + "\n"


def test_the_report_section_draws_size_and_difficulty_sweeps_from_stored_rows():
    """The view on a run of synthetic rows: a size family with its table and curve, a
    difficulty family whose table aligns a model missing one knob value."""
    from dgpbench.reports.data import RunData
    from dgpbench.reports.recovery_view import Recovery

    size = suite("line")["generators"]
    knob = suite("noisy", (0.5, 1, 2), "noise_sd", size=False)["generators"]
    knob_rows = [
        dict(r, generator=r["generator"].replace("line@n=", "noisy@noise_sd="))
        for r in _scalar_rows("counterfactuals", "sqrt_pehe_out", lambda n, s: n + 0.1 * s, range(3), sizes=(0.5, 1, 2))
    ]
    other = [dict(r, model="other") for r in knob_rows if r["generator"] != "noisy@noise_sd=2"]  # one value less
    metrics = coefficient_rows(["consistent", "capped"], range(4)) + knob_rows + other
    cells = [{"generator": r["generator"], "model": r["model"], "seed": r["seed"], "status": "ok"} for r in metrics]
    data = RunData(
        {"run_id": "r", "suite_json": json.dumps({"generators": size + knob})}, cells, metrics, [], [], info=INFO
    )
    ctx = Recovery().context(data)
    (family,) = ctx["families"]
    assert family["family"] == "line" and {r["model"]: r["verdict"] for r in family["rows"]} == {
        "consistent": "recovers",
        "capped": "plateaus",
    }
    assert family["image"].uri.startswith("data:image/png;base64,")
    (knobs,) = ctx["difficulty"]
    assert knobs["levels"] == [0.5, 1, 2] and knobs["image"] is not None
    m, other = knobs["tables"]
    assert (m["model"], other["model"]) == ("m", "other") and other["points"][2] is None
    assert m["points"][2]["mean"] == pytest.approx(2.1) and other["points"][1]["n"] == 3
