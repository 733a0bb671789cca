"""One small store for every report test, built once per session through the Python API.

A tiny suite (small data, reference models, two seeds; two IHDP replications with one seed
each; a sample-size sweep of ``linear`` for the recovery section) runs through the real
runner. Labels are hostile on purpose: a model labelled
``<script>alert(1)</script>`` and a generator label with an ``<img onerror>`` and ``$`` (which
matplotlib would otherwise parse as mathtext). Failed and timed-out cells and a second run
(for the compare view) are then written through the Store API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgpbench.benchmarks.cell import CellResult
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell
from dgpbench.benchmarks.metrics import selected_metrics
from dgpbench.benchmarks.store import Store

XSS_MODEL = "<script>alert(1)</script>"
XSS_GENERATOR = "<img src=x onerror=alert(2)> $x$"

SUITE = f"""
name: report-test
description: tiny suite for the report tests <b>not bold</b>
seeds: [0, 1]
time_limit: 120
generators:
  - {{name: heteroscedastic, label: {json.dumps(XSS_GENERATOR)}, params: {{n: 300, n_test: 200}}}}
  - {{name: did_panel, params: {{n_units: 12, n_periods: 8, adoption_period: 4}}}}
  - {{name: radon_like}}
  - {{name: ihdp, label: ihdp_1, params: {{replication: 1}}, seeds: [0]}}
  - {{name: ihdp, label: ihdp_2, params: {{replication: 2}}, seeds: [0]}}
  - {{name: linear, label: line, params: {{n_test: 50}}, sweep: {{n: [50, 200, 800]}}}}
models:
  - {{name: ols, label: {json.dumps(XSS_MODEL)}}}
  - {{name: linear_gaussian}}
  - {{name: mixedlm}}
  - {{name: s_learner}}
metrics: all
"""


def _inject_failures(store: Store, run_id: str) -> None:
    """An error and a timeout cell, as the runner records them."""
    generator, model = ComponentSpec("did_panel", "1", {"n_units": 12}), ComponentSpec("linear_gaussian", "1")
    for seed, status, msg in (
        (0, "error", "Traceback (most recent call last):\n  ...\nValueError: boom <b>"),
        (1, "timeout", "cell exceeded its time limit of 120 s"),
    ):
        cell = PlannedCell(CellSpec(generator, model, seed), "did_panel", "broken <model>")
        store.write_cell(run_id, cell, CellResult(cell.key(), status, msg, timings={"total_s": 1.5}))


def _second_run(store: Store, suite, run_a: str) -> str:
    """Run B = run A's cells with every metric value shifted, written through the Store API
    (with the suite's metrics stored beside it, as the runner stores them)."""
    run_b, _ = store.start_run(suite, len(store.cells(run_a)), rerun=True, metrics=selected_metrics(suite.metrics))
    metrics = store.metric_rows(run_a)
    estimates = store.estimate_rows(run_a)
    for c in store.cells(run_a):
        cell = PlannedCell(CellSpec.from_dict(json.loads(c["spec"])), c["generator"], c["model"])
        mine = [
            m for m in metrics if (m["generator"], m["model"], m["seed"]) == (c["generator"], c["model"], c["seed"])
        ]
        res = CellResult(
            cell.key(),
            c["status"],
            c["error"] or "",
            timings=json.loads(c["timings"] or "{}"),
            metrics=[
                {
                    "face": m["face"],
                    "metric": m["metric"],
                    "value": None if m["value"] is None else m["value"] * 1.5 + 0.1,
                    "oracle": m["oracle"],
                    "naive": m["naive"],
                    "score": None,
                    "note": m["note"],
                }
                for m in mine
            ],
            estimates=[
                {k: e[k] for k in ("name", "truth", "truth_kind", "estimate", "lower", "upper")}
                for e in estimates
                if (e["generator"], e["model"], e["seed"]) == (c["generator"], c["model"], c["seed"])
            ],
        )
        store.write_cell(run_b, cell, res)
    store.finish_run(run_b)
    return run_b


@pytest.fixture(scope="session")
def labels() -> dict[str, str]:
    """The hostile labels the test store uses."""
    return {"model": XSS_MODEL, "generator": XSS_GENERATOR}


@pytest.fixture(scope="session")
def report_store(tmp_path_factory) -> dict:
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.suite import load

    root = tmp_path_factory.mktemp("report-store")
    suite_path = root / "report-test.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    path = root / "results" / "store.sqlite"
    summary = runner.run(str(suite_path), str(path), workers=1, progress=False, echo=lambda s: None)
    store = Store(path)
    _inject_failures(store, summary.run_id)
    run_b = _second_run(store, load(str(suite_path)), summary.run_id)
    return {"store": store, "path": path, "run_a": summary.run_id, "run_b": run_b}


@pytest.fixture(scope="session")
def pages(report_store, tmp_path_factory) -> dict[str, Path]:
    """The three pages, written once."""
    from dgpbench.reports.html import write_compare, write_leaderboard, write_report

    out = tmp_path_factory.mktemp("pages")
    s = report_store["store"]
    return {
        "report": Path(write_report(s, report_store["run_a"], out / "report.html")),
        "leaderboard": Path(write_leaderboard(s, out / "leaderboard.html")),
        "compare": Path(write_compare(s, report_store["run_a"], report_store["run_b"], out / "compare.html")),
    }
