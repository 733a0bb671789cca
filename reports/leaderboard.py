"""Leaderboard: a run's stored metric rows as the verdict a user reads. Reads the store only.

Two levels. **Face rows** (one per generator x model x face): the face score decided by the
face's primary metric, its se over seeds, the shared rank and the leak alarm
(:mod:`dgpbench.reports.verdict`). **Metric rows** (one per generator x model x metric,
``--detail``): mean +- se over seeds, the oracle's and naive's means, the normalised score
where naive and oracle are separable, a nominal metric's distance from its target. Both carry
``n_ok / n_total`` cells so a mean over fewer seeds is never mistaken for a full one.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from dgpbench.reports.stats import mean_se
from dgpbench.reports.verdict import FACE_COLUMNS, MetricInfo, metric_verdicts
from dgpbench.vocabulary import FACES, face_order

__all__ = ["FACE_COLUMNS", "METRIC_COLUMNS", "aggregate", "face_summary", "format_table", "mean_se"]

# The columns of a metric row (``leaderboard --detail --format json|csv``): today's first.
METRIC_COLUMNS = (
    "generator",
    "model",
    "face",
    "metric",
    "mean",
    "se",
    "n",
    "oracle",
    "naive",
    "score",
    "note",
    "n_ok",
    "n_total",
    "score_se",
    "separable",
    "target",
    "distance",
    "primary",
    "suspect",
)


def cell_counts(cells: Sequence[Mapping]) -> dict[tuple[str, str], dict[str, int]]:
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cells:
        out[(c["generator"], c["model"])][c["status"]] += 1
    return out


def aggregate(metric_rows: Sequence[Mapping], cells: Sequence[Mapping], info: MetricInfo) -> list[dict[str, Any]]:
    """One metric row per (generator, model, face, metric), sorted for reading."""
    counts = cell_counts(cells)
    out = []
    for r in metric_verdicts(metric_rows, info):
        c = counts.get((r["generator"], r["model"]), {})
        out.append({**r, "n_ok": c.get("ok", 0), "n_total": sum(c.values())})
    out.sort(key=lambda r: (r["generator"], face_order(r["face"]), r["metric"], r["model"]))
    return out


def overall(summary_row: Mapping) -> float | None:
    """The mean of a summary row's face scores over the faces it has (a sort key, not a verdict)."""
    vals = [summary_row[f] for f in FACES if summary_row.get(f) is not None]
    return sum(vals) / len(vals) if vals else None


def face_summary(face_rows: Sequence[Mapping], cells: Sequence[Mapping]) -> list[dict[str, Any]]:
    """Per (generator, model): each face's score (``row[face]``), its whole face row
    (``row["verdict"][face]``), the mean rank and cell counts. Pairs the model could not serve
    are listed by the run, not here."""
    by: dict[tuple[str, str], dict[str, Mapping]] = defaultdict(dict)
    for r in face_rows:
        by[(r["generator"], r["model"])][r["face"]] = r
    counts = cell_counts(cells)
    keys = sorted({k for k, c in counts.items() if set(c) != {"skipped"}} | set(by))
    out = []
    for g, m in keys:
        c = counts.get((g, m), {})
        mine = by.get((g, m), {})
        row = {
            "generator": g,
            "model": m,
            **{f: (mine[f]["score"] if f in mine else None) for f in FACES},
            "verdict": {f: dict(mine[f]) for f in FACES if f in mine},
            "n_ok": c.get("ok", 0),
            "n_total": sum(c.values()),
            "status": ", ".join(f"{n} {s}" for s, n in sorted(c.items()) if s != "ok"),
            "suspect": any(r["suspect"] for r in mine.values()),
        }
        ranks = [r["rank"] for r in mine.values() if r["rank"] is not None]
        row["mean_rank"] = sum(ranks) / len(ranks) if ranks else None
        row["overall"] = overall(row)
        out.append(row)
    return out


def order_key(s: Mapping) -> tuple:
    """Best first: by mean shared rank over the faces, then mean face score (an exact 0 above
    a negative score; missing last), then name."""
    return (
        s["mean_rank"] is None,
        s["mean_rank"] or 0.0,
        s["overall"] is None,
        -(s["overall"] or 0.0),
        s["model"],
    )


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3) else f"{v:.{digits}f}"


def face_text(r: Mapping | None) -> str:
    """A face's verdict in a few characters: ``0.81±0.05 #1``, the raw primary value marked
    ``raw`` where it is not separable, or the short reason there is none. ``!`` = suspect."""
    if r is None:
        return "not offered"
    flag = " !" if r["suspect"] else ""
    rank = f" #{r['rank']}" if r["rank"] is not None else ""
    se = lambda v: f"±{fmt(v, 2)}" if v is not None else "±?"  # noqa: E731
    if r["score"] is not None:
        return f"{fmt(r['score'], 2)}{se(r['se'])}{rank}{flag}"
    if r["value"] is not None:
        return f"raw {fmt(r['value'])}{se(r['value_se'])}{rank}{flag}"
    return f"no primary value{flag}"


WIDTH = 24


def printable(text: Any) -> str:
    """``text`` with every control character escaped (``\\x1b``, ``\\r``): labels come from
    suites and plugins, and a terminal would obey their escape codes."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))


def format_table(summary: Sequence[Mapping], rows: Sequence[Mapping], detail: bool = False) -> str:
    """A terminal table: per generator, models best first with each face's verdict; labels
    are shown with control characters escaped (:func:`printable`)."""
    lines = []
    header = f"{'model':<22} {' '.join(f'{f:>{WIDTH}}' for f in FACES)} {'cells ok':>9}  notes"
    for g in sorted({s["generator"] for s in summary}, key=str):
        mine = sorted((s for s in summary if s["generator"] == g), key=order_key)
        primaries = sorted(
            {(f, v["primary_metric"]) for s in mine for f, v in s["verdict"].items() if v["primary_metric"]},
            key=lambda fp: (face_order(fp[0]), fp[1]),
        )
        lines.append(f"\n== {printable(g)} ==  primary: " + ", ".join(f"{f} {p}" for f, p in primaries))
        lines.append(header)
        for s in mine:
            cells = " ".join(f"{face_text(s['verdict'].get(f)):>{WIDTH}}" for f in FACES)
            notes = "; ".join(filter(None, [s["status"], *(v["note"] for v in s["verdict"].values() if v["suspect"])]))
            lines.append(f"{printable(s['model']):<22} {cells} {s['n_ok']:>4}/{s['n_total']:<4}  {notes}")
        if detail:
            lines.append(
                f"  {'metric':<34} {'model':<20} {'mean':>10} {'± se':>9} {'oracle':>9} {'naive':>9} {'score':>14}"
            )
            for r in rows:
                if r["generator"] == g:
                    lines.append(
                        f"  {r['metric']:<34} {printable(r['model']):<20} {fmt(r['mean']):>10} {fmt(r['se']):>9} "
                        f"{fmt(r['oracle']):>9} {fmt(r['naive']):>9} {metric_score_text(r):>14}"
                    )
    lines.append(LEGEND)
    return "\n".join(lines).lstrip("\n")


LEGEND = (
    "\nface score ± se over seeds: (naive − model) / (naive − oracle) of the face's primary metric, 1 = oracle,"
    "\n0 = naive; #k = shared rank (models the seeds cannot tell apart share it); raw = naive and oracle not"
    "\nseparable beyond noise, so the primary metric's raw value ± se is shown; ! = suspect: better than the truth."
)


def recovery_block(rows: Sequence[Mapping]) -> str:
    """The recovery verdicts (:mod:`.recovery`) after the table: one line per size-sweep
    family x model x face with the slope and its interval, the canonical slope and the bias
    floor; "" where the run has no size sweep."""
    if not rows:
        return ""
    lines = [
        "\nrecovery (error against the sample size; slope of log error on log size, 95 % interval):",
        f"  {'generator':<20} {'model':<22} {'face':<16} {'verdict':<11} {'slope [interval]':>24} "
        f"{'canonical':>10} {'bias floor':>18}",
    ]
    for r in rows:
        interval = f" [{fmt(r['slope_lower'], 2)}, {fmt(r['slope_upper'], 2)}]" if r["slope_lower"] is not None else ""
        slope = f"{fmt(r['slope'], 2)}{interval}"
        floor = f"{fmt(r['bias_floor'])}±{fmt(r['bias_floor_se'])}" if r["bias_floor"] is not None else "-"
        lines.append(
            f"  {printable(r['generator']):<20} {printable(r['model']):<22} {r['face']:<16} {r['verdict']:<11} "
            f"{slope:>24} {fmt(r['canonical_slope'], 2):>10} {floor:>18}"
        )
    return "\n".join(lines)


def metric_score_text(r: Mapping) -> str:
    """A metric row's score cell: score ± se, ``|d| 0.012`` for a nominal metric's distance
    from its target, or the short reason there is no score."""
    if r["score"] is not None:
        return f"{fmt(r['score'], 2)}±{fmt(r['score_se'], 2) if r['score_se'] is not None else '?'}"
    if r["distance"] is not None:
        return f"|d| {fmt(r['distance'])}"
    return "not separable" if r["separable"] is False else "raw"


def table_rows(rows: Sequence[Mapping], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows restricted to (and ordered by) the stable ``columns``."""
    return [{c: r.get(c) for c in columns} for r in rows]


def to_csv(rows: Sequence[Mapping], columns: Sequence[str] | None = None) -> str:
    if not rows and not columns:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns or rows[0]), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def to_json(rows: Sequence[Mapping]) -> str:
    return json.dumps(list(rows), indent=1, default=str)
