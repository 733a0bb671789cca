"""The report builders without a browser: escaping, self-containment, determinism, size,
content and where files go."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from pathlib import Path

import pytest

from dgpbench.reports import html
from dgpbench.reports.views import REPORT_VIEWS

PAGES = ("report", "leaderboard", "compare")


def text(pages, name: str) -> str:
    return pages[name].read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PAGES)
def test_labels_are_escaped_never_markup(pages, name):
    page = text(pages, name)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    if name != "compare":  # the compare view names runs, models and generators alike
        assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1  # only the page's own script


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_self_contained(pages, name):
    page = text(pages, name)
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    assert refs, "expected links or images"
    outside = [r for r in refs if not r.startswith(("data:", "#"))]
    assert not outside, outside
    assert not re.search(r"""url\(\s*["']?(?!data:)""", page), "CSS must not load anything"
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert "default-src 'none'" in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp, "the CSP must allow exactly the page's own script"


def test_report_is_deterministic(report_store):
    s, run = report_store["store"], report_store["run_a"]
    assert html.render_report(s, run) == html.render_report(s, run)
    assert html.render_leaderboard(s) == html.render_leaderboard(s)
    assert html.render_compare(s, run, report_store["run_b"]) == html.render_compare(s, run, report_store["run_b"])


def test_report_size_is_bounded(pages):
    page = text(pages, "report")
    assert len(page.encode()) < 2_000_000
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 6
    for b64 in images:
        raw = base64.b64decode(b64)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(raw) < 400_000


def test_report_shows_header_failures_and_figures(pages, report_store):
    page = text(pages, "report")
    run = report_store["store"].run(report_store["run_a"])
    assert run["run_id"] in page and "report-test" in page
    assert run["git_commit"] is None or run["git_commit"][:10] in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page  # the suite's description is text too
    # failures with their reasons, skipped pairs with the model's reason
    assert "ValueError: boom &lt;b&gt;" in page and "cell exceeded its time limit" in page
    assert "broken &lt;model&gt;" in page
    assert "needs a group role" in page
    # every figure kind the tiny suite feeds
    for alt in (
        "normalised score of each metric",
        "estimated coefficients",
        "conditional mean and standard",
        "samples of y given x",
        "observed, true counterfactual and predicted",
        "group effects",
        "individual treatment effects",
    ):
        assert alt in page, alt
    # the views come in their order (the sensitivity view only where a suite declares breakages)
    views = [v for v in sorted(REPORT_VIEWS, key=lambda v: v.order) if v.name != "sensitivity"]
    positions = [page.index(f'id="{v.name}"') for v in views]
    assert positions == sorted(positions)
    assert 'id="sensitivity"' not in page


def test_published_rows_are_labelled_and_never_mixed_with_measured_rows(pages):
    page = text(pages, "report")
    lb_body = re.search(r'<table class="sortable" id="lb-table">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert "TARNet" not in lb_body and "published" not in lb_body
    for block in re.findall(r'<tbody class="published">(.*?)</tbody>', page, re.S):
        assert "published" in block
    assert "CFR-Wass" in page and "0.76" in page and '0.95 <span class="se">± 0.02</span>' in page
    board = text(pages, "leaderboard")
    assert "CFR-Wass" in board and 'class="badge pub">published' in board


def test_replications_are_summarised(pages):
    page = text(pages, "report")
    assert 'id="replications"' in page and "ihdp: 2 replications (1, 2)" in page


def test_ihdp_is_one_table_as_papers_report_it(report_store):
    """Models x the four published metrics, each measured cell the mean +- se over the
    replications (checked against the stored rows), the published methods below with their se."""
    import statistics

    from dgpbench.reports.data import RunData
    from dgpbench.reports.published import IHDP_COLUMNS
    from dgpbench.reports.views import Replications

    data = RunData.load(report_store["store"], report_store["run_a"], figures=False)
    (group,) = Replications().context(data)["groups"]
    paper = group["paper"]
    assert paper["columns"] == list(IHDP_COLUMNS)
    by_model = {r["model"]: r["cells"] for r in paper["rows"]}
    assert by_model, "no model row in the IHDP table"
    for model, cells in by_model.items():
        for metric, cell in zip(IHDP_COLUMNS, cells):
            mine = [r for r in data.rows if r["model"] == model and r["metric"] == metric]
            values = [r["mean"] for r in mine if r["generator"] in group["generators"]]
            if len(values) < 2:
                continue
            assert cell["mean"] == pytest.approx(statistics.fmean(values))
            assert cell["se"] == pytest.approx(statistics.stdev(values) / len(values) ** 0.5)
            assert cell["n"] == len(values) == 2
    firsts = [r["cells"][0]["mean"] for r in paper["rows"]]
    assert firsts == sorted(firsts), "best (lowest sqrt(PEHE) in sample) first"
    methods = {p["method"]: p["cells"] for p in paper["published"]}
    assert {"TARNet", "CFR-Wass"} <= set(methods)
    tarnet = {c.quantity: (c.value, c.se) for c in methods["TARNet"]}
    assert tarnet["sqrt_pehe_out"] == (0.95, 0.02) and tarnet["ate_abs_error_in"] == (0.26, 0.01)


def test_compare_flags_deltas_that_survive_the_correction(pages, report_store):
    page = text(pages, "compare")
    assert report_store["run_a"] in page and report_store["run_b"] in page
    assert 'data-flagged="1"' in page  # run B's values were shifted by far more than their se
    assert ">worse<" in page


def test_leaderboard_shows_the_latest_run_of_each_spec_pair(report_store, labels):
    """Run B (later, every value worse) holds every pair of run A: the page shows run B's rows,
    never run A's better ones."""
    from dgpbench.reports.html import best_runs

    s = report_store["store"]
    rows, runs = best_runs(s)
    assert len(runs) == 2
    assert rows and {r["run_id"] for r in rows} == {report_store["run_b"]}
    assert all(r["runs"] == 2 for r in rows if r["model"] != "broken <model>")
    assert any(r["model"] == labels["model"] for r in rows) and any(r["generator"] == labels["generator"] for r in rows)


def test_writers_default_to_results_beside_the_store(report_store):
    s, a, b = report_store["store"], report_store["run_a"], report_store["run_b"]
    folder = Path(s.path).parent
    assert html.write_report(s, a) == str(folder / f"report-{a}.html")
    assert html.write_leaderboard(s) == str(folder / "leaderboard.html")
    assert html.write_compare(s, a, b) == str(folder / f"compare-{a}-{b}.html")
    for p in (f"report-{a}.html", "leaderboard.html", f"compare-{a}-{b}.html"):
        assert (folder / p).stat().st_size > 0


def test_cli_writes_each_page_and_prints_its_path(report_store, tmp_path, capsys):
    from dgpbench.cli import main as cli

    store = str(report_store["path"])
    for argv, name in (
        (["report", "-o", str(tmp_path / "r.html")], "r.html"),
        (["leaderboard", "--format", "html", "-o", str(tmp_path / "l.html")], "l.html"),
        (["compare", report_store["run_a"], report_store["run_b"], "-o", str(tmp_path / "c.html")], "c.html"),
    ):
        assert cli.main([*argv, "--store", store]) == 0
        out = capsys.readouterr().out.strip()
        assert out == str(tmp_path / name) and Path(out).exists()


def test_views_have_names_titles_orders_and_templates():
    names = [v.name for v in REPORT_VIEWS]
    assert len(set(names)) == len(names)
    assert len({v.order for v in REPORT_VIEWS}) == len(REPORT_VIEWS)
    for v in REPORT_VIEWS:
        assert v.title and (html.TEMPLATES / v.template).exists()


@pytest.mark.parametrize(
    "score,expected",
    [(1.0, "#5e9ed6"), (3.0, "#5e9ed6"), (0.0, "#f7f7f7"), (-1.0, "#e08214"), (-7.0, "#e08214"), (None, "")],
)
def test_score_colour_scale(score, expected):
    assert html.score_colour(score) == expected


def test_number_format():
    assert html.num(None) == "–" and html.num(float("nan")) == "–"
    assert html.num(-0.0, 2) == html.num(-1e-17, 2) == "0"  # no "-0.00"; residue is 0
    assert html.num(-0.001, 2) == "-0.0010"  # significant digits: a real value keeps its digits
    assert html.num(0.1234) == "0.123"  # the rest: tests/reports/test_numbers.py


def test_leaderboard_of_an_empty_store(tmp_path):
    from dgpbench.benchmarks.store import Store

    path = html.write_leaderboard(Store(tmp_path / "empty.sqlite"))
    assert Path(path) == tmp_path / "leaderboard.html" and "0</b> runs" in Path(path).read_text()


def test_pages_read_metric_attributes_from_the_store_not_the_registry(report_store, tmp_path):
    """A metric described and directed differently in the store than in the registry (a plugin
    redefined since the run) reads as stored: in the report's leaderboard and in compare."""
    import shutil
    import sqlite3

    from dgpbench.benchmarks.store import Store

    path = tmp_path / "store.sqlite"
    src = Store(report_store["path"], create=False)
    src.db.execute("PRAGMA wal_checkpoint(FULL)")
    shutil.copy(report_store["path"], path)
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE run_metrics SET description = ?, direction = 'higher' WHERE metric = 'crps'",
            ("as stored <with the run>",),
        )
    s = Store(path, create=False)
    a, b = report_store["run_a"], report_store["run_b"]
    assert "as stored &lt;with the run&gt; (higher is better)" in html.render_report(s, a)
    page = html.render_compare(s, a, b)
    crps = re.findall(r'<td title="distribution: (\w+) is better">crps</td>.*?<td class="delta (\w+)">', page)
    assert crps and {direction for direction, _ in crps} == {"higher"}
    verdicts = {verdict for _, verdict in crps}  # every crps rose: better when higher is (unknown on one seed)
    assert "better" in verdicts and "worse" not in verdicts


def test_report_opens_with_the_recovery_question(pages, tmp_path):
    """The verdict comes first, the recovery curves next; a run without a size sweep says so in
    one line there, with how to get one."""
    from dgpbench.benchmarks import runner
    from dgpbench.benchmarks.store import Store

    page = text(pages, "report")
    assert page.index('id="header"') < page.index('id="summary"') < page.index('id="recovery"')
    assert 'id="no-size-sweep"' not in page  # the test store sweeps `linear`
    suite = tmp_path / "plain.yaml"
    suite.write_text(
        "name: plain\nseeds: [0]\ngenerators: [{name: linear, params: {n: 50, n_test: 10}}]\nmodels: [ols]\n"
    )
    runner.run(str(suite), str(tmp_path / "s.sqlite"), workers=1, progress=False, echo=lambda s: None)
    plain = html.render_report(Store(tmp_path / "s.sqlite", create=False))
    assert plain.index('id="header"') < plain.index('id="summary"') < plain.index('id="recovery"')
    line = re.search(r'<p class="note" id="no-size-sweep">(.*?)</p>', plain, re.S).group(1)
    assert "no size sweep" in line and "sweep: {n: [" in line


def test_the_heat_map_pools_replications_into_one_row(pages):
    """IHDP's replications are one row (mean +- se over replications), not one per replication."""
    board = text(pages, "leaderboard")
    body = re.search(r'<div class="wide" id="heat-overall".*?<tbody>(.*?)</tbody>', board, re.S).group(1)
    generators = [unescape(g) for g in re.findall(r'<th scope="row">(.*?)</th>', body)]
    assert any(g.startswith("ihdp · 2 replications") for g in generators), generators
    assert not any(g.startswith("ihdp_") for g in generators), generators
    assert "ihdp_1" in board  # the per-spec table still lists each replication
