"""The quick suite through the real command line into a temporary store, then the readers."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def dgpbench(*args, cwd, timeout=300):
    return subprocess.run(
        [str(BIN / "dgpbench"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": ""},
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quick")
    out = dgpbench("run", "quick", "--store", "s.sqlite", "--no-progress", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp, out


def test_quick_suite_runs_every_cell(quick_run):
    tmp, out = quick_run
    skipped = [line for line in out.stderr.splitlines() if line.startswith("skip")]
    assert len(skipped) == 1, skipped  # one line, however many pairs, after the run's header
    assert "x needs a group role; this data has none (e.g. mixedlm on " in skipped[0] and "--table cells" in skipped[0]
    cells = dgpbench("results", "--store", "s.sqlite", "--table", "cells", "--format", "json", cwd=tmp)
    reasons = {(c["generator"], c["model"]): c["error"] for c in json.loads(cells.stdout) if c["status"] == "skipped"}
    assert reasons[("heteroscedastic", "mixedlm")] == "needs a group role; this data has none"
    res = dgpbench("results", "--store", "s.sqlite", "--format", "json", cwd=tmp)
    rows = json.loads(res.stdout)
    assert {r["generator"] for r in rows} == {
        "did_panel",
        "heteroscedastic",
        "two_mode_mixture",
        "radon_like",
        "radon_mn",
        "ihdp",
    }
    assert all(r["status"] == "ok" for r in rows)
    assert set(rows[0]) == {
        "run_id",
        "generator",
        "model",
        "seed",
        "face",
        "metric",
        "value",
        "oracle",
        "naive",
        "score",
        "status",
    }


def test_results_csv_and_estimates(quick_run):
    tmp, _ = quick_run
    res = dgpbench("results", "--store", "s.sqlite", "--table", "estimates", "--format", "csv", cwd=tmp)
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == ["run_id", "generator", "model", "seed", "name", "truth", "estimate", "lower", "upper"]
    radon = [r for r in rows if r["generator"] == "radon_mn" and r["model"] == "mixedlm"]
    floor = [r for r in radon if r["name"] == "floor"][0]
    assert float(floor["truth"]) == pytest.approx(-0.693) and float(floor["estimate"]) == pytest.approx(
        -0.693, abs=1e-3
    )


def test_rerunning_the_same_suite_resumes_with_nothing_to_do(quick_run):
    tmp, _ = quick_run
    again = dgpbench("run", "quick", "--store", "s.sqlite", "--no-progress", cwd=tmp)
    assert again.returncode == 0
    assert "0 cells to run" in again.stderr


def test_leaderboard_brackets_the_truth(quick_run):
    """Correctly specified references score between the naive baseline (0) and the oracle (1)."""
    tmp, _ = quick_run
    res = dgpbench("leaderboard", "--store", "s.sqlite", "--format", "json", "--detail", cwd=tmp)
    rows = json.loads(res.stdout)

    def score(g, m, metric):
        (r,) = [r for r in rows if r["generator"] == g and r["model"] == m and r["metric"] == metric]
        return r["score"]

    assert 0.5 < score("did_panel", "twfe", "y0_rmse_treated") <= 1.0
    assert 0.5 < score("radon_like", "mixedlm", "nll_excess") <= 1.05
    assert score("radon_mn", "mixedlm", "coef_abs_error[floor]") > 0.95
    assert score("heteroscedastic", "linear_gaussian", "crps") == 0
    faces = json.loads(dgpbench("leaderboard", "--store", "s.sqlite", "--format", "json", cwd=tmp).stdout)
    (twfe,) = [r for r in faces if (r["generator"], r["model"], r["face"]) == ("did_panel", "twfe", "distribution")]
    assert twfe["primary_metric"] == "crps" and twfe["rank"] == 1 and not twfe["suspect"]
    assert 0.5 < twfe["score"] <= 1.0 and 0 < twfe["se"] < 0.25
    table = dgpbench("leaderboard", "--store", "s.sqlite", cwd=tmp)
    assert table.returncode == 0 and "twfe" in table.stdout


def test_bad_suite_exits_2_naming_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nseeds: [0]\ngenerators: [{name: heteroskedastic}]\nmodels: [{name: ols}]\n")
    out = dgpbench("run", str(bad), "--store", "s.sqlite", cwd=tmp_path)
    assert out.returncode == 2
    assert "generators[0].name" in out.stderr and "heteroscedastic" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "s.sqlite").exists()  # validation happens before anything is written


def test_quick_results_are_those_of_the_reference_file(quick_run):
    """Refactoring changes no number: the quick suite's tidy results equal the reference file.

    The file was written before the harness was restructured and matched it to 1e-9 after;
    it was regenerated once since, for the verdict change that moved numbers on purpose
    (model seeds derived from the cell seed; nominal metrics no longer normalised).

    A change that is meant to move a number regenerates the file in the same commit
    (``dgpbench results --format csv`` of a quick run, without its run_id column) and says why.
    A metric added since adds rows of its own name only; every row of the file must be there.
    Float32 network models (``tarnet_small``) are held to 1e-5 relative, not 1e-9: their
    summed float32 kernels differ in the last digits between CPU instruction sets (the file
    was written on another CPU; the rest is float64 and identical to 1e-9 anywhere).
    """
    import numpy as np
    import pandas as pd

    tmp, _ = quick_run
    res = dgpbench("results", "--store", "s.sqlite", "--format", "csv", cwd=tmp)
    keys = ["generator", "model", "seed", "metric"]
    got = pd.read_csv(io.StringIO(res.stdout)).drop(columns="run_id")
    want = pd.read_csv(Path(__file__).parent / "data" / "quick_results.csv").sort_values(keys).reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    added = sorted(set(got["metric"]) - set(want["metric"]))
    got = got[got["metric"].isin(want["metric"])].sort_values(keys).reset_index(drop=True)
    assert got[keys + ["face", "status"]].equals(want[keys + ["face", "status"]]), f"new metrics: {added}"
    rtol = np.where(want["model"].eq("tarnet_small"), 1e-5, 1e-9)
    for col in ["value", "oracle", "naive", "score"]:
        a, b = got[col].to_numpy(float), want[col].to_numpy(float)
        same = np.isclose(a, b, rtol=rtol, atol=1e-12) | (np.isnan(a) & np.isnan(b))
        assert same.all(), got.loc[~same, keys + [col]].assign(reference=b[~same]).head(10).to_string()
