"""A comparison as text: the terminal diff (asv compare's shape) and every delta as CSV or JSON.

The terminal diff lists the flagged deltas first, one line each, marked as asv marks them
(``+`` worse, ``-`` better, ``!`` changed where a nominal metric stores no target), with an
arrow for the way the value moved; then one line counting what was not flagged. ``every``
lists the unflagged rows too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from dgpbench.reports import leaderboard as lb
from dgpbench.reports import numbers
from dgpbench.reports.compare import CORRECTION_NAMES, ROW_COLUMNS, Comparison, Delta

MARKS = {"worse": "+", "better": "-", "changed": "!", "unchanged": " ", "untested": " "}
COLUMNS = ("", "verdict", "generator", "model", "face", "metric", "A mean ± se", "B mean ± se", "Δ ± se", "p", "n")
_VERDICT_ORDER = {"worse": 0, "better": 1, "changed": 2, "unchanged": 3, "untested": 4}


def _mean_se(mean: float | None, se: float | None, *, signed: bool = False) -> str:
    """``mean ± se`` in the one number format (:func:`numbers.mean_se`: the se to two
    significant digits, the mean to its decimal place); ``(1 seed)`` without an se, ``n/a``
    without a mean. ``signed``: a difference, ``+`` on a positive one."""
    if mean is None:
        return "n/a"
    m, s = lb.mean_se_parts(mean, se, same=False)
    m = numbers.signed(m, mean) if signed else m
    return f"{m} {s}" if s == lb.ONE_SEED else f"{m} ± {s}"


def _arrow(d: Delta) -> str:
    return "↑" if d.delta > 0 else "↓" if d.delta < 0 else "="


def _cells(d: Delta, mixed: bool) -> tuple[str, ...]:
    """One delta's columns; ``mixed``: the table holds paired and Welch deltas, so each says which."""
    return (
        f"{MARKS[d.verdict]} {_arrow(d)}",
        d.verdict,
        lb.printable(d.generator),
        lb.printable(d.model),
        d.face,
        d.metric,
        _mean_se(d.a_mean, d.a_se),
        _mean_se(d.b_mean, d.b_se),
        _mean_se(d.delta, d.se, signed=True),
        f"{d.p_value:.2g}" if d.p_value is not None else "untested",
        f"{d.n}{(' paired' if d.paired else ' Welch') if mixed else ''}",
    )


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    right = {6, 7, 8, 9}
    return [
        "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    ]


def _how(c: Comparison) -> str:
    pairing = {True: "paired by seed", False: "Welch (the runs share no seed)", None: "paired where seeds are shared"}
    return (
        f"Δ = B − A, {pairing[c.paired]}; flagged at {c.alpha:g} under {CORRECTION_NAMES[c.correction]} "
        f"over {sum(1 for d in c.deltas if d.p_value is not None)} tests"
    )


def _count_line(c: Comparison) -> str:
    t = c.tally()
    parts = [f"{t['unchanged']} unchanged (not flagged)"]
    if t["untested"]:
        parts.append(f"{t['untested']} untested (fewer than two seeds)")
    if c.only_a or c.only_b:
        parts.append(f"{len(c.only_a)} only in A, {len(c.only_b)} only in B")
    return "; ".join(parts)


def format_diff(c: Comparison, run_a: Mapping[str, Any], run_b: Mapping[str, Any], every: bool = False) -> str:
    """The terminal diff of runs A and B (their store rows name them)."""
    lines = [
        f"A {run_a['run_id']} (suite {run_a['suite_name']})  →  B {run_b['run_id']} (suite {run_b['suite_name']})",
        _how(c),
    ]
    for level, title in (("face", "faces (each decided by its primary metric)"), ("metric", "every metric")):
        mine = [d for d in c.deltas if d.level == level and (every or d.flagged)]
        mine.sort(key=lambda d: (_VERDICT_ORDER[d.verdict], d.p_value if d.p_value is not None else 2.0))
        flagged = sum(1 for d in c.deltas if d.level == level and d.flagged)
        lines.append(f"\n{title}: {flagged} of {sum(1 for d in c.deltas if d.level == level)} flagged")
        if mine:
            lines.extend(_table([COLUMNS, *(_cells(d, c.paired is None) for d in mine)]))
    lines.append("\n" + _count_line(c))
    return "\n".join(lines)


def rows(c: Comparison) -> list[dict[str, Any]]:
    """Every delta as a plain row, faces first (``compare --format json|csv``)."""
    return [d.row() for d in c.deltas]


def to_csv(c: Comparison) -> str:
    """Every delta as CSV; the header is written even when the runs share nothing."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows(c))
    return buf.getvalue()


def to_json(c: Comparison) -> str:
    return lb.to_json(rows(c))
