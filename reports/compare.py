"""Two runs side by side: deltas of every aggregated metric and of every face score. Pure.

A delta "exceeds its standard error" when |B - A| > sqrt(se_A^2 + se_B^2), the standard
error of a difference of two independent means; where either run has no standard error
(a single seed) the question has no answer and ``exceeds`` is None. Whether a change is
better or worse follows the metric's declared direction (lower / higher is better); a
nominal metric (a target value such as coverage) only "changed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.vocabulary import FACES, face_order

Key = tuple[str, str, str, str]
# Every verdict a metric delta can get, in the order the compare page counts them.
VERDICTS = ("better", "worse", "changed", "within se", "unknown", "same", "only in A", "only in B")


def difference(a: float | None, b: float | None, rel_tol: float = 1e-9) -> float | None:
    """b - a, with differences at floating-point noise level (relative to the values) as 0."""
    if a is None or b is None:
        return None
    d = b - a
    return 0.0 if abs(d) <= rel_tol * max(1.0, abs(a), abs(b)) else d


def combined_se(se_a: float | None, se_b: float | None) -> float | None:
    if se_a is None or se_b is None:
        return None
    return math.sqrt(se_a**2 + se_b**2)


def verdict(delta: float | None, exceeds: bool | None, direction: str | None) -> str:
    """better | worse | changed (beyond se, no direction) | within se | unknown | same."""
    if delta is None:
        return "unknown"
    if delta == 0:
        return "same"
    if exceeds is None:
        return "unknown"
    if not exceeds:
        return "within se"
    if direction == "lower":
        return "better" if delta < 0 else "worse"
    if direction == "higher":
        return "better" if delta > 0 else "worse"
    return "changed"


def _key(r: Mapping[str, Any]) -> Key:
    return (r["generator"], r["model"], r["face"], r["metric"])


def _sort_key(k: Key) -> tuple:
    g, m, face, metric = k
    return (g, face_order(face), metric, m)


def metric_deltas(
    rows_a: Sequence[Mapping], rows_b: Sequence[Mapping], directions: Mapping[str, str | None]
) -> list[dict[str, Any]]:
    """One row per (generator, model, face, metric) in either run (aggregated leaderboard rows).

    ``directions`` maps a metric name (without its ``[key]``) to lower / higher / nominal.
    """
    a = {_key(r): r for r in rows_a}
    b = {_key(r): r for r in rows_b}
    out = []
    for k in sorted(set(a) | set(b), key=_sort_key):
        ra, rb = a.get(k), b.get(k)
        am = ra["mean"] if ra else None
        bm = rb["mean"] if rb else None
        delta = difference(am, bm)
        se = combined_se(ra["se"] if ra else None, rb["se"] if rb else None)
        exceeds = None if delta is None or se is None else abs(delta) > se
        sa, sb = (ra["score"] if ra else None), (rb["score"] if rb else None)
        direction = directions.get(split_key(k[3])[0])
        out.append(
            {
                "generator": k[0],
                "model": k[1],
                "face": k[2],
                "metric": k[3],
                "direction": direction,
                "a_mean": am,
                "a_se": ra["se"] if ra else None,
                "b_mean": bm,
                "b_se": rb["se"] if rb else None,
                "delta": delta,
                "se": se,
                "exceeds": exceeds,
                "a_score": sa,
                "b_score": sb,
                "d_score": difference(sa, sb),
                "only": "A" if rb is None else "B" if ra is None else "",
                "verdict": (
                    "only in A" if rb is None else "only in B" if ra is None else verdict(delta, exceeds, direction)
                ),
            }
        )
    return out


def face_deltas(summary_a: Sequence[Mapping], summary_b: Sequence[Mapping]) -> list[dict[str, Any]]:
    """Per (generator, model): each face's mean normalised score in A and B, and B - A."""
    a = {(s["generator"], s["model"]): s for s in summary_a}
    b = {(s["generator"], s["model"]): s for s in summary_b}
    out = []
    for k in sorted(set(a) | set(b)):
        sa, sb = a.get(k, {}), b.get(k, {})
        row: dict[str, Any] = {
            "generator": k[0],
            "model": k[1],
            "a_cells": (sa.get("n_ok"), sa.get("n_total")) if sa else None,
            "b_cells": (sb.get("n_ok"), sb.get("n_total")) if sb else None,
        }
        for f in FACES:
            va, vb = sa.get(f), sb.get(f)
            row[f] = {"a": va, "b": vb, "delta": difference(va, vb)}
        out.append(row)
    return out


def tally(rows: Sequence[Mapping]) -> dict[str, int]:
    """How many metric deltas fall in each verdict (for the page's headline)."""
    out: dict[str, int] = {}
    for r in rows:
        out[r["verdict"]] = out.get(r["verdict"], 0) + 1
    return out
