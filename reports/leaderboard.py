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
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from dgpbench.reports import numbers
from dgpbench.reports.natural import natural_key
from dgpbench.reports.stats import mean_se
from dgpbench.reports.verdict import FACE_COLUMNS, MetricInfo, metric_verdicts
from dgpbench.vocabulary import FACES, FAILED_STATUSES, face_order

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


def stopped_seconds(cells: Sequence[Mapping]) -> dict[tuple[str, str], dict[str, float]]:
    """(generator, model) -> failed status -> the longest a cell of that status ran before it
    stopped (``total_s``; a timeout's is its time limit reached)."""
    out: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for c in cells:
        seconds = c.get("total_s")
        if c["status"] in FAILED_STATUSES and seconds is not None:
            mine = out[(c["generator"], c["model"])]
            mine[c["status"]] = max(mine.get(c["status"], 0.0), float(seconds))
    return out


# How a failed status reads in a sentence ("5 timed out"), so a failure never looks like a
# pair the model cannot serve.
STATUS_WORDS = {
    "error": "failed with an error",
    "diverged": "diverged",
    "timeout": "timed out",
    "crashed": "crashed",
    "skipped": "skipped (not applicable)",
}


def seconds_text(seconds: float) -> str:
    """A duration as a reader says it: ``300 s``, ``1.5 s``, ``0.02 s``."""
    return f"{numbers.number(seconds, 2) if seconds < 10 else f'{seconds:.0f}'} s"


def status_text(counts: Mapping[str, int], seconds: Mapping[str, float]) -> str:
    """The cells of a pair that did not end ok, in words with the time at the stop:
    ``5 timed out (300 s), 1 crashed (12 s)``; "" where every cell is ok."""
    parts = []
    for status in (*FAILED_STATUSES, "skipped"):
        if counts.get(status):
            when = f" ({seconds_text(seconds[status])})" if status in seconds else ""
            parts.append(f"{counts[status]} {STATUS_WORDS[status]}{when}")
    parts += [f"{n} {s}" for s, n in sorted(counts.items()) if n and s not in STATUS_WORDS and s != "ok"]
    return ", ".join(parts)


def absent_text(counts: Mapping[str, int]) -> str | None:
    """Why a pair has no face verdict at all, where the reason is that no cell ended ok: the
    cells timed out, failed, or have not run yet -- never "not offered", which means the model
    has no metric of that face."""
    if counts.get("ok"):
        return None
    failed = {s for s in FAILED_STATUSES if counts.get(s)}
    if failed == {"timeout"}:
        return "timed out"
    return "failed" if failed else None


def aggregate(metric_rows: Sequence[Mapping], cells: Sequence[Mapping], info: MetricInfo) -> list[dict[str, Any]]:
    """One metric row per (generator, model, face, metric), sorted for reading."""
    counts = cell_counts(cells)
    out = []
    for r in metric_verdicts(metric_rows, info):
        c = counts.get((r["generator"], r["model"]), {})
        out.append({**r, "n_ok": c.get("ok", 0), "n_total": sum(c.values())})
    out.sort(key=lambda r: (natural_key(r["generator"]), face_order(r["face"]), r["metric"], natural_key(r["model"])))
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
    seconds = stopped_seconds(cells)
    pairs = {k for k, c in counts.items() if set(c) != {"skipped"}} | set(by)
    keys = sorted(pairs, key=lambda gm: (natural_key(gm[0]), natural_key(gm[1])))
    out = []
    for g, m in keys:
        c = counts.get((g, m), {})
        mine = by.get((g, m), {})
        row = {
            "generator": g,
            "model": m,
            **{f: (mine[f]["score"] if f in mine else None) for f in FACES},
            "verdict": {f: _with_same(mine[f]) for f in FACES if f in mine},
            "n_ok": c.get("ok", 0),
            "n_total": sum(c.values()),
            "status": status_text(c, seconds.get((g, m), {})),
            "absent": absent_text(c),
            "suspect": any(r["suspect"] for r in mine.values()),
        }
        ranks = [r["rank"] for r in mine.values() if r["rank"] is not None]
        row["mean_rank"] = sum(ranks) / len(ranks) if ranks else None
        row["overall"] = overall(row)
        out.append(row)
    return out


def _with_same(face_row: Mapping) -> dict[str, Any]:
    """A face row with ``same_every_seed``: its primary metric's value was identical on every
    seed (:func:`numbers.same_every_seed`). Judged on the value, not the score: a naive
    baseline scores exactly 0 on every seed by definition while its value varies."""
    return {**face_row, "same_every_seed": numbers.same_every_seed(face_row["value"], face_row["value_se"])}


def order_key(s: Mapping) -> tuple:
    """Best first: by mean shared rank over the faces, then mean face score (an exact 0 above
    a negative score), then name in natural order. A missing rank or score is never a
    number: the flag before each puts a row without one after every row with one."""
    rank, overall = s["mean_rank"], s["overall"]
    return (
        rank is None,
        0.0 if rank is None else rank,
        overall is None,
        0.0 if overall is None else -overall,
        natural_key(s["model"]),
    )


def fmt(v: float | None, digits: int = numbers.SIGNIFICANT, missing: str = "n/a") -> str:
    """A lone value in the one number format (:func:`numbers.number`); ``missing`` (a short
    reason) where there is none."""
    return missing if v is None or not math.isfinite(v) else numbers.number(v, digits)


SAME = "(=)"  # the value was the same on every seed (LEGEND)
ONE_SEED = "(1 seed)"  # one seed: no se (LEGEND)


def mean_se_parts(mean: float, se: float | None, same: bool | None = None) -> tuple[str, str]:
    """(mean, se) as text: the mean to its se's decimal place (:func:`numbers.mean_se`); the se
    replaced by ``(=)`` where every seed gave the same value (``same``; judged from ``se`` where
    not given) and by ``(1 seed)`` where there is none."""
    if numbers.same_every_seed(mean, se) if same is None else same:
        return numbers.number(mean), SAME
    m, s = numbers.mean_se(mean, se)
    return m, ONE_SEED if s is None else s


def mean_se_text(mean: float, se: float | None, sep: str = "±", same: bool | None = None) -> str:
    """``0.812±0.053``, ``0.810 (=)`` or ``0.810 (1 seed)`` (:func:`mean_se_parts`)."""
    m, s = mean_se_parts(mean, se, same)
    return f"{m} {s}" if s in (SAME, ONE_SEED) else f"{m}{sep}{s}"


def face_text(r: Mapping | None, absent: str | None = None) -> str:
    """A face's verdict in a few characters: ``0.81±0.05 #1``, the raw primary value marked
    ``raw`` where it is not separable, or the short reason there is none. ``!`` = suspect.
    ``absent``: why the pair has no verdict at all (its cells timed out or failed), shown
    instead of "not offered" (the model has no metric of this face)."""
    if r is None:
        return absent or "not offered"
    flag = " !" if r["suspect"] else ""
    rank = f" #{r['rank']}" if r["rank"] is not None else ""
    same = numbers.same_every_seed(r["value"], r["value_se"])
    if r["score"] is not None:
        return f"{mean_se_text(r['score'], r['se'], same=same)}{rank}{flag}"
    if r["value"] is not None:
        return f"raw {mean_se_text(r['value'], r['value_se'])}{rank}{flag}"
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
    for g in sorted({s["generator"] for s in summary}, key=natural_key):
        mine = sorted((s for s in summary if s["generator"] == g), key=order_key)
        primaries = sorted(
            {(f, v["primary_metric"]) for s in mine for f, v in s["verdict"].items() if v["primary_metric"]},
            key=lambda fp: (face_order(fp[0]), fp[1]),
        )
        lines.append(f"\n== {printable(g)} ==  primary: " + ", ".join(f"{f} {p}" for f, p in primaries))
        lines.append(header)
        for s in mine:
            cells = " ".join(f"{face_text(s['verdict'].get(f), s.get('absent')):>{WIDTH}}" for f in FACES)
            notes = "; ".join(filter(None, [s["status"], *(v["note"] for v in s["verdict"].values() if v["suspect"])]))
            lines.append(f"{printable(s['model']):<22} {cells} {s['n_ok']:>4}/{s['n_total']:<4}  {notes}")
        if detail:
            lines.append(
                f"  {'metric':<34} {'model':<20} {'mean':>10} {'± se':>9} {'oracle':>9} {'naive':>9} {'score':>14}"
            )
            for r in rows:
                if r["generator"] == g:
                    mean, se = _mean_se_cells(r["mean"], r["se"])
                    lines.append(
                        f"  {r['metric']:<34} {printable(r['model']):<20} {mean:>10} {se:>9} "
                        f"{fmt(r['oracle'], missing='no oracle'):>9} {fmt(r['naive'], missing='no naive'):>9} "
                        f"{metric_score_text(r):>14}"
                    )
    lines.append(LEGEND)
    return "\n".join(lines).lstrip("\n")


def _mean_se_cells(mean: float | None, se: float | None) -> tuple[str, str]:
    """A detail row's mean and se columns, each with a short reason where it has no number."""
    if mean is None or not math.isfinite(mean):
        return "no value", "n/a"
    return mean_se_parts(mean, se)


LEGEND = (
    "\nface score ± se over seeds: (naive − model) / (naive − oracle) of the face's primary metric, 1 = oracle,"
    "\n0 = naive; #k = shared rank (models the seeds cannot tell apart share it); raw = naive and oracle not"
    "\nseparable beyond noise, so the primary metric's raw value ± se is shown; ! = suspect: better than the truth."
    f"\n{SAME} same value on every seed (a deterministic fit on fixed data; an indicator that held on every seed);"
    f"\n{ONE_SEED} one seed, so no se;"
    "\ntimed out / failed: no cell of the pair ended ok (notes: how many, and the time at the stop);"
    "\nnot offered: the model has no metric of this face."
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
        slope = f"{fmt(r['slope'], 2, missing='no fit')}{interval}"  # 2 digits, as the report shows slopes
        lines.append(
            f"  {printable(r['generator']):<20} {printable(r['model']):<22} {r['face']:<16} {r['verdict']:<11} "
            f"{slope:>24} {fmt(r['canonical_slope'], 2, missing='none'):>10} {_floor_text(r):>18}"
        )
    return "\n".join(lines)


def _floor_text(r: Mapping) -> str:
    """The bias floor ± se, or why there is none: only a curve that plateaus or fails has one."""
    if r["bias_floor"] is None:
        return f"n/a: {r['verdict']}"
    return mean_se_text(r["bias_floor"], r["bias_floor_se"])


def metric_score_text(r: Mapping) -> str:
    """A metric row's score cell: score ± se, ``|d| 0.012`` for a nominal metric's distance
    from its target, or the short reason there is no score."""
    if r["score"] is not None:  # "(=)" where the metric's value is; a naive baseline's score is 0 on every seed anyway
        return mean_se_text(r["score"], r["score_se"], same=numbers.same_every_seed(r["mean"], r["se"]))
    if r["distance"] is not None:
        return f"|d| {fmt(r['distance'])}"
    return "not separable" if r["separable"] is False else "raw"


def pending_line(run: Mapping[str, Any], n_stored: int) -> str:
    """What a run still owes: ``12 of 40 cells pending: the run is still going`` while it
    runs, the count with no result and the run's status after; "" when every planned cell is in.
    The store keeps the planned count (``runs.n_cells``) and a row per finished cell."""
    left = pending_count(run, n_stored)
    if not left:
        return ""
    if run.get("status") == "running":
        return f"{left} of {run['n_cells']} cells pending: the run is still going"
    return (
        f"{left} of {run['n_cells']} planned cells have no result: the run is {run.get('status')}; "
        "running its suite again runs only them"
    )


def pending_count(run: Mapping[str, Any], n_stored: int) -> int:
    """Planned cells of a run with no row yet (0 for a run that planned none)."""
    return max(int(run.get("n_cells") or 0) - n_stored, 0)


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
