"""The terminal leaderboard as a user reads it (issue 14): missing scores last and never a
number, one number format, a reason in place of every "-", labels in natural order, failures
that do not read as "not applicable", pending cells of a running run, and a value that was
the same on every seed said in words rather than "± 0.00"."""

from __future__ import annotations

import json
import re

import numpy as np
from test_verdict import cells_of, face, info, rows

from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.cell import CellResult
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, PlannedCell
from dgpbench.benchmarks.store import Store
from dgpbench.cli.main import main
from dgpbench.reports import compare, compare_text, html
from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.verdict import face_verdicts
from dgpbench.reports.views import Failures, Summary

ORACLE, NAIVE = [0.0] * 5, [1.0, 1.1, 0.9, 1.05, 0.95]
BARE_DASH = re.compile(r"(?<!\S)-(?!\S)")  # a "-" standing alone as a cell


def timed_out(generator: str, model: str, seconds: float = 300.0, seeds=range(5)) -> list[dict]:
    return [{"generator": generator, "model": model, "seed": s, "status": "timeout", "total_s": seconds} for s in seeds]


def test_missing_scores_sort_last_and_an_exact_zero_above_a_negative_one():
    noise = np.array([0.3, -0.3, 0.2, -0.2, 0.0])
    stored = (
        rows("negative", "crps", np.array(NAIVE) + 0.3 + noise, ORACLE, NAIVE)
        + rows("zero", "crps", NAIVE, ORACLE, NAIVE)  # the naive itself: exactly 0
        + rows("good", "crps", np.array(NAIVE) * 0.2, ORACLE, NAIVE)
    )
    cells = cells_of(stored) + timed_out("g", "a_stalled")  # no score at all; first by name
    faces = face_verdicts(stored, info())
    assert face(faces, "zero", "distribution")["score"] == 0.0
    summary = sorted(lb.face_summary(faces, cells), key=lb.order_key)
    assert [s["model"] for s in summary] == ["good", "zero", "negative", "a_stalled"]
    table = lb.format_table(summary, [])
    order = [table.index(f"\n{m} ") for m in ("good", "zero", "negative", "a_stalled")]
    assert order == sorted(order)


def test_a_pair_whose_cells_all_timed_out_reads_as_timed_out_not_as_not_offered():
    stored = rows("fine", "crps", np.array(NAIVE) * 0.5, ORACLE, NAIVE)
    summary = lb.face_summary(face_verdicts(stored, info()), cells_of(stored) + timed_out("g", "slow"))
    (slow,) = [s for s in summary if s["model"] == "slow"]
    assert slow["status"] == "5 timed out (300 s)" and slow["absent"] == "timed out"
    line = next(ln for ln in lb.format_table(summary, []).splitlines() if ln.startswith("slow "))
    assert "not offered" not in line and line.count("timed out") == 4  # three faces and the note
    assert re.search(r"\b0/5\s+5 timed out \(300 s\)$", line), line
    # a model with no metric of a face still reads "not offered" there
    fine = next(ln for ln in lb.format_table(summary, []).splitlines() if ln.startswith("fine "))
    assert "not offered" in fine and "timed out" not in fine


def test_a_value_the_same_on_every_seed_says_so_and_is_still_ranked():
    """radon_mn's case: fixed data and a deterministic fit give one value on every seed."""
    same = [0.19] * 5  # a sum of identical values: the se is floating-point residue or 0
    stored = rows("ols", "crps", same, [0.1] * 5, [1.0] * 5) + rows("other", "crps", [0.5] * 5, [0.1] * 5, [1.0] * 5)
    faces = face_verdicts(stored, info())
    ols = face(faces, "ols", "distribution")
    assert ols["score"] is not None and ols["se"] is not None and ols["rank"] == 1
    summary = lb.face_summary(faces, cells_of(stored))
    assert summary[0]["verdict"]["distribution"]["same_every_seed"] is True
    text = lb.face_text(ols)
    assert text == f"{lb.numbers.number(ols['score'])} (=) #1", text
    table = lb.format_table(summary, lb.aggregate(stored, cells_of(stored), info()), detail=True)
    body = [ln for ln in table.splitlines() if ln.startswith(("ols ", "other ", "  crps "))]
    assert len(body) == 4 and not any("±" in ln for ln in body), body  # no "± 0" in any row
    assert all("(=)" in ln for ln in body)
    assert "(=) same value on every seed (a deterministic fit on fixed data" in table
    # the HTML face macro says it in words, with the same number
    cell = html._env().from_string('{% import "_macros.html.j2" as ui %}{{ ui.face(v) }}').render(v=ols)
    assert "same on every seed" in cell and "±" not in cell and lb.numbers.number(ols["score"]) in cell
    assert "#1" in cell


def test_generators_and_models_are_listed_in_natural_order():
    stored = []
    for g in ("ihdp_10", "ihdp_2", "ihdp_1"):
        for m in ("m10", "m2"):
            stored += rows(m, "crps", [0.5] * 5, ORACLE, NAIVE, generator=g)
    summary = lb.face_summary(face_verdicts(stored, info()), cells_of(stored))
    table = lb.format_table(summary, lb.aggregate(stored, cells_of(stored), info()), detail=True)
    heads = [ln.split()[1] for ln in table.splitlines() if ln.startswith("== ")]
    assert heads == ["ihdp_1", "ihdp_2", "ihdp_10"]
    assert table.index("\nm2 ") < table.index("\nm10 ")  # equal scores and ranks: by name, naturally


def test_no_table_cell_is_a_bare_dash(report_store):
    data = RunData.load(report_store["store"], report_store["run_a"], figures=False)
    b = RunData.load(report_store["store"], report_store["run_b"], figures=False)
    table = lb.format_table(data.summary, data.rows, detail=True) + lb.recovery_block(data.recovery)
    assert data.recovery and "oracle" in table
    diff = compare_text.format_diff(compare.compare_runs(data, b), data.run, b.run, every=True)
    # a diff row opens with asv's mark ("-" = better, "+" = worse: compare_text.MARKS), not a cell
    cells = table.splitlines() + [ln[3:] if ln[:1] in compare_text.MARKS.values() else ln for ln in diff.splitlines()]
    bare = [ln for ln in cells if BARE_DASH.search(ln)]
    assert not bare, bare[:5]
    assert any(ln.startswith("- ") for ln in diff.splitlines())  # the marks are there
    assert "no oracle" in table or "no naive" in table  # the test store has metrics without one
    assert "n/a: recovers" in table or "n/a: not judged" in table


def test_a_running_run_shows_its_pending_cells_and_its_timeouts_with_their_time(tmp_path, capsys):
    suite = suite_mod.parse(
        "name: pending\nseeds: [0, 1, 2, 3, 4]\ntime_limit: 300\n"
        "generators: [{name: linear}]\nmodels: [{name: ols}, {name: mixedlm}]\n"
    )
    store = Store(tmp_path / "s.sqlite")
    run_id, _ = store.start_run(suite, n_cells=10)
    for model, seeds in (("ols", range(5)), ("mixedlm", range(2))):  # mixedlm: 3 of its 5 cells still to come
        for seed in seeds:
            spec = CellSpec(ComponentSpec("linear", "1"), ComponentSpec(model, "1"), seed)
            cell = PlannedCell(spec, "linear", model)
            message = "cell exceeded the time limit of 300 s and its process was stopped"
            store.write_cell(run_id, cell, CellResult(cell.key(), "timeout", message, timings={"total_s": 300.2}))
    data = RunData.load(store, run_id, figures=False)
    assert data.run["status"] == "running"

    ctx = Failures().context(data)
    assert ctx["pending"] == "3 of 10 cells pending: the run is still going"
    assert ctx["failed"][0]["seconds"] == 300.2 and ctx["tally"] == "7 timed out"
    rows = {r["model"]: r for g in Summary().context(data)["groups"] for r in g["rows"]}
    assert (rows["mixedlm"]["n_total"], rows["mixedlm"]["pending"], rows["ols"]["pending"]) == (2, 3, 0)
    page = html.render_report(store, run_id)
    assert "3 of 10 cells pending: the run is still going" in page and "+3 pending" in page
    assert "5 min 00 s" in page and "not recorded" not in page  # the time at the stop, not 0
    assert "every model was skipped" not in page.split("Failed, timed-out")[1].split("</section>")[0]

    assert main(["leaderboard", "--store", str(tmp_path / "s.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "3 of 10 cells pending: the run is still going" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("ols "))
    assert re.search(r"\b0/5\s+5 timed out \(300 s\)$", line) and "not offered" not in line, line


def test_results_list_generators_in_natural_order(tmp_path, capsys):
    suite = suite_mod.parse("name: natural\nseeds: [0]\ngenerators: [{name: linear}]\nmodels: [{name: ols}]\n")
    store = Store(tmp_path / "s.sqlite")
    run_id, _ = store.start_run(suite, n_cells=3)
    for n, label in enumerate(("ihdp_10", "ihdp_2", "ihdp_1"), start=100):  # n: a cell key each
        generator = ComponentSpec("linear", "1", {"n": n})
        cell = PlannedCell(CellSpec(generator, ComponentSpec("ols", "1"), 0), label, "ols")
        store.write_cell(run_id, cell, CellResult(cell.key(), "error", "boom"))
    assert main(["results", run_id, "--store", str(tmp_path / "s.sqlite"), "--table", "cells", "--format", "json"]) == 0
    listed = [r["generator"] for r in json.loads(capsys.readouterr().out)]
    assert listed == ["ihdp_1", "ihdp_2", "ihdp_10"]  # the store's own order is ihdp_1, ihdp_10, ihdp_2
