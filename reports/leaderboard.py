"""Leaderboard: aggregate a run's stored metric rows over seeds. Reads the store only.

Per (generator, model, metric): mean and standard error over seeds, the oracle's and the
naive baseline's means, and the normalised score of the means, with ``n_ok / n_total``
cells beside it so a mean over fewer seeds is never mistaken for a full one.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from typing import Any

from dgpbench.benchmarks.metrics.base import normalised_score
from dgpbench.vocabulary import FACES, face_order


def mean_se(values: list[float]) -> tuple[float | None, float | None]:
    v = [x for x in values if x is not None and math.isfinite(x)]
    if not v:
        return None, None
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, None
    var = sum((x - m) ** 2 for x in v) / (len(v) - 1)
    return m, math.sqrt(var / len(v))


def cell_counts(cells: list[dict]) -> dict[tuple[str, str], dict[str, int]]:
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cells:
        out[(c["generator"], c["model"])][c["status"]] += 1
    return out


def aggregate(metric_rows: list[dict], cells: list[dict]) -> list[dict[str, Any]]:
    """One row per (generator, model, face, metric), sorted for reading."""
    counts = cell_counts(cells)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in metric_rows:
        groups[(r["generator"], r["model"], r["face"], r["metric"])].append(r)
    out = []
    for (g, m, face, metric), rows in groups.items():
        mean, se = mean_se([r["value"] for r in rows])
        oracle, _ = mean_se([r["oracle"] for r in rows])
        naive, _ = mean_se([r["naive"] for r in rows])
        normalised = any(r["note"] != "not normalised" for r in rows)
        score, note = normalised_score(mean, oracle, naive) if normalised else (None, "not normalised")
        c = counts.get((g, m), {})
        out.append(
            {
                "generator": g,
                "model": m,
                "face": face,
                "metric": metric,
                "mean": mean,
                "se": se,
                "n": sum(1 for r in rows if r["value"] is not None),
                "oracle": oracle,
                "naive": naive,
                "score": score,
                "note": note,
                "n_ok": c.get("ok", 0),
                "n_total": sum(c.values()),
            }
        )
    out.sort(
        key=lambda r: (
            r["generator"],
            face_order(r["face"]),
            r["metric"],
            r["model"],
        )
    )
    return out


def overall(summary_row: dict) -> float | None:
    """The mean of a face-summary row's face scores (over the faces it has): one number per pair."""
    vals = [summary_row[f] for f in FACES if summary_row.get(f) is not None]
    return sum(vals) / len(vals) if vals else None


def face_summary(rows: list[dict], cells: list[dict]) -> list[dict[str, Any]]:
    """Per (generator, model): mean normalised score of each face, and cell counts."""
    by: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["score"] is not None:
            by[(r["generator"], r["model"])][r["face"]].append(r["score"])
    out = []
    for (g, m), c in sorted(cell_counts(cells).items()):
        if set(c) == {"skipped"}:
            continue  # pairs the model cannot serve are listed by the run, not ranked
        faces = by.get((g, m), {})
        out.append(
            {
                "generator": g,
                "model": m,
                **{f: (sum(faces[f]) / len(faces[f]) if faces.get(f) else None) for f in FACES},
                "n_ok": c.get("ok", 0),
                "n_total": sum(c.values()),
                "status": ", ".join(f"{n} {s}" for s, n in sorted(c.items()) if s != "ok"),
            }
        )
    return out


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3) else f"{v:.{digits}f}"


def _column(face: str) -> str:
    """A face's name as a table column of 13 characters ("counterfactuals" -> "counterfact.")."""
    return face if len(face) <= 13 else face[:11] + "."


def format_table(summary: list[dict], rows: list[dict], detail: bool = False) -> str:
    """A terminal table: per generator, models by mean normalised score per face."""
    lines = []
    header = f"{'model':<22} {' '.join(f'{_column(f):>13}' for f in FACES)} {'cells ok':>9}  notes"
    for g in sorted({s["generator"] for s in summary}):
        lines.append(f"\n== {g} ==  (normalised score: 1 = oracle, 0 = naive baseline)")
        lines.append(header)
        for s in sorted(
            (s for s in summary if s["generator"] == g),
            key=lambda s: -(sum(v for v in (s[f] for f in FACES) if v is not None) or -1e9),
        ):
            scores = " ".join(f"{fmt(s[f]):>13}" for f in FACES)
            lines.append(f"{s['model']:<22} {scores} {s['n_ok']:>4}/{s['n_total']:<4}  {s['status']}")
        if detail:
            lines.append(
                f"  {'metric':<34} {'model':<20} {'mean':>10} {'± se':>9} {'oracle':>9} {'naive':>9} {'score':>7}"
            )
            for r in rows:
                if r["generator"] == g:
                    lines.append(
                        f"  {r['metric']:<34} {r['model']:<20} {fmt(r['mean']):>10} {fmt(r['se']):>9} "
                        f"{fmt(r['oracle']):>9} {fmt(r['naive']):>9} {fmt(r['score']):>7}"
                    )
    return "\n".join(lines).lstrip("\n")


def to_csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=1, default=str)
