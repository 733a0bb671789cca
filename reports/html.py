"""Self-contained HTML pages: the run report, the leaderboard across runs, the compare view.

Each page is one file with its CSS, JavaScript and figures inline (PNG data URIs); its
Content-Security-Policy allows no network request at all and runs only the page's own
script (by hash), so a label that slipped through escaping still could not run. Jinja2
renders with autoescaping on for every template. Pages only read the store and are
deterministic for a given store: no build time or host is written into them.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from dgpbench.reports import compare as cmp
from dgpbench.reports import numbers
from dgpbench.reports.best_runs import latest_runs
from dgpbench.reports.data import RunData, duration, when
from dgpbench.reports.figures.palette import score_colour  # the one score scale, shared with the figures
from dgpbench.reports.natural import natural_key
from dgpbench.reports.output import check_output, write_output
from dgpbench.reports.published import PUBLISHED
from dgpbench.reports.stats import ALPHA
from dgpbench.reports.view import View, build
from dgpbench.reports.views import REPORT_VIEWS
from dgpbench.vocabulary import FACES

if TYPE_CHECKING:
    from dgpbench.benchmarks.store import Store

TEMPLATES = Path(__file__).with_name("templates")


# -- formatting ----------------------------------------------------------------------------


def num(v: float | None, digits: int = 3, se: float | None = None, of: float | None = None) -> str:
    """The terminal's number format (:mod:`dgpbench.reports.numbers`), "–" if missing:
    ``digits`` significant digits; ``mean|num(se=se)`` the mean to its se's decimal place;
    ``se|num(of=mean)`` the se of that mean (``0`` where it is no spread at all)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if of is not None:
        return numbers.mean_se(float(of), float(v))[1] or "–"
    if se is not None:
        return numbers.mean_se(float(v), se)[0]
    return numbers.number(v, digits)


def sort_value(v: Any) -> str:
    """``data-v`` for sortable cells: numbers sort numerically, missing values last."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return repr(float(v)) if isinstance(v, (int, float)) else str(v)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        same_every_seed=numbers.same_every_seed,
        signed=numbers.signed,
        num=num,
        score_colour=score_colour,
        sv=sort_value,
        dur=duration,
        when=when,
    )
    env.globals.update(FACES=FACES)
    return env


def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def render(page: str, title: str, views: list[tuple[View, dict]], **extra: Any) -> str:
    script = _asset("page.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        _env()
        .get_template(page)
        .render(title=title, views=views, css=Markup(_asset("page.css")), script=Markup(script), csp=csp, **extra)
    )


def _write(render: Callable[[], str], output: str | Path | None, default: Path, store: Store) -> str:
    """Write a page where ``-o`` says (or ``default``), never over the store: the path is
    checked before the page is rendered, so a refused path costs no rendering."""
    path = Path(output) if output else default
    check_output(path, store.path, html=True)
    return str(write_output(render(), path, store.path, html=True))


# -- the run report ------------------------------------------------------------------------


def render_report(store: Store, run_id: str | None = None) -> str:
    data = RunData.load(store, run_id)
    meta = data.meta()
    return render(
        "report.html.j2",
        f"dgpbench report · {meta['suite']} · {data.run_id}",
        build(list(REPORT_VIEWS), data),
        nav_generators=data.generators,
    )


def write_report(store: Store, run_id: str | None = None, output: str | Path | None = None) -> str:
    """Write one run's self-contained report (default ``report-<run_id>.html`` beside the store)."""
    rid = store.run(run_id)["run_id"]
    return _write(lambda: render_report(store, rid), output, store.path.parent / f"report-{rid}.html", store)


# -- the leaderboard across runs -----------------------------------------------------------


def best_runs(store: Store) -> tuple[list[dict], list[dict]]:
    """(one row per generator spec x model spec: the latest run holding it, never the best;
    one row per run). See :mod:`dgpbench.reports.best_runs`."""
    return latest_runs(store)


class HeatMap(View):
    """Generator x model: each face's score +- se and shared rank (or the raw value where not
    separable), one tab per face, and the mean of the face scores as a sort key. Generators run
    down the page and models across it: a suite has many more generator specs than models, so
    this way round the map fits the page's width."""

    name, title, order = "heatmap", "Latest face scores per model and generator", 20

    def context(self, rows: list[dict]) -> dict[str, Any]:
        rows = [r for r in rows if not r["replicated"]]  # a replication group is its pooled column
        generators = sorted({_label(r, "generator") for r in rows}, key=natural_key)
        by_model: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by_model[_label(r, "model")] += [r["overall"]] if r["overall"] is not None else []
        mean = {m: sum(v) / len(v) for m, v in by_model.items() if v}
        models = sorted(by_model, key=lambda m: (m not in mean, -mean.get(m, 0.0), m))
        cell = {(_label(r, "model"), _label(r, "generator")): r for r in rows}
        return {"generators": generators, "models": models, "cell": cell, "measures": ["overall", *FACES]}


def _label(r: dict, component: str) -> str:
    """A heat-map row (``model``) or column (``generator``): the label with its parameters, so
    different parameters under one label are two rows or columns."""
    params = r[f"{component}_params"]
    return r[component] + (f" ({params})" if params else "")


class BestRuns(View):
    name, title, order = "best", "Latest run per model × generator spec", 30

    def context(self, rows: list[dict]) -> dict[str, Any]:
        rows = [r for r in rows if not r["pooled"]]  # per spec: a replication group's members
        gens = sorted({r["generator"] for r in rows}, key=natural_key)
        pubs = [p for p in PUBLISHED if p.kind == "metric" and any(r["registered"] == p.generator for r in rows)]
        return {"rows": rows, "generators": gens, "published": pubs}


class RunList(View):
    name, title, order = "runs", "Runs in the store", 40

    def context(self, runs: list[dict]) -> dict[str, Any]:
        return {"runs": runs}


def render_leaderboard(store: Store) -> str:
    """Every run of the store: an empty store is a page that says so, without tables."""
    rows, runs = best_runs(store)
    views = (build([HeatMap(), BestRuns()], rows) if rows else []) + (build([RunList()], runs) if runs else [])
    return render("leaderboard.html.j2", "dgpbench leaderboard", views, n_runs=len(runs), store_name=store.path.name)


def write_leaderboard(store: Store, output: str | Path | None = None) -> str:
    """Write the leaderboard across every run of the store (default ``leaderboard.html``)."""
    return _write(lambda: render_leaderboard(store), output, store.path.parent / "leaderboard.html", store)


# -- compare ----------------------------------------------------------------------------------


# What the compare page's views read: run A, run B and their comparison.
ComparePage = tuple[RunData, RunData, cmp.Comparison]


class CompareHeader(View):
    name, title, order = "cmp_header", "Runs", 10

    def context(self, page: ComparePage) -> dict[str, Any]:
        c = page[2]
        return {
            "a": page[0].meta(),
            "b": page[1].meta(),
            "paired": c.paired,
            "correction": cmp.CORRECTION_NAMES[c.correction],
            "alpha": c.alpha,
            "n_tests": sum(1 for d in c.deltas if d.p_value is not None),
        }


class FaceDeltas(View):
    name, title, order = "cmp_faces", "Faces, A → B", 20

    def context(self, page: ComparePage) -> dict[str, Any] | None:
        rows = [d for d in page[2].deltas if d.level == "face"]
        return {"rows": rows, "flagged": sum(d.flagged for d in rows)} if rows else None


class MetricDeltas(View):
    """A metric's direction is the one run A stored with it (run B's for a metric only B has)."""

    name, title, order = "cmp_metrics", "Every metric, A → B", 30

    def context(self, page: ComparePage) -> dict[str, Any] | None:
        c = page[2]
        rows = [d for d in c.deltas if d.level == "metric"]
        if not rows:
            return None
        return {
            "rows": rows,
            "tally": cmp.Comparison(rows, c.correction, c.alpha).tally(),
            "only": (len(c.only_a), len(c.only_b)),
            "faces": [f for f in FACES if any(r.face == f for r in rows)],
            "generators": sorted({r.generator for r in rows}),
        }


def render_compare(store: Store, run_a: str, run_b: str, *, correction: str = "bh", alpha: float = ALPHA) -> str:
    a = RunData.load(store, run_a, figures=False)
    b = RunData.load(store, run_b, figures=False)
    views = build([CompareHeader(), FaceDeltas(), MetricDeltas()], (a, b, cmp.compare_runs(a, b, correction, alpha)))
    return render(
        "compare.html.j2", f"dgpbench compare · {a.run_id} → {b.run_id}", views, run_a=a.run_id, run_b=b.run_id
    )


def write_compare(
    store: Store,
    run_a: str,
    run_b: str,
    output: str | Path | None = None,
    *,
    correction: str = "bh",
    alpha: float = ALPHA,
) -> str:
    """Write runs A and B side by side (default ``compare-<a>-<b>.html`` beside the store)."""
    a, b = store.run(run_a)["run_id"], store.run(run_b)["run_id"]
    page = partial(render_compare, store, a, b, correction=correction, alpha=alpha)
    return _write(page, output, store.path.parent / f"compare-{a}-{b}.html", store)
