"""Uncertainty over seeds, once for every view: means with standard errors, differences
paired by seed, tests of those differences with the false-flag rate controlled across a
table, and ranks that models the seeds cannot tell apart share.

A cell's seed fixes its data draw, so two models run on the same seeds meet the same data:
their difference is taken seed by seed (paired), which removes the data's share of the
noise. Where two sets of values share no seed (two runs on disjoint seeds) the difference
falls back to Welch's unpaired form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A difference counts as real when it exceeds this many standard errors (about a 5 % two-sided
# test for a normal difference), and a table of tests is controlled at this rate.
NOISE_SE = 2.0
ALPHA = 0.05


def finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def mean_se(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and standard error of the mean of the finite values (se None below two)."""
    v = finite(values)
    if not v:
        return None, None
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, None
    var = sum((x - m) ** 2 for x in v) / (len(v) - 1)
    return m, math.sqrt(var / len(v))


@dataclass(frozen=True)
class Difference:
    """``a - b`` with its standard error, the degrees of freedom of its t statistic, and
    how many seeds it rests on (``paired`` when taken seed by seed)."""

    mean: float
    se: float | None
    df: float
    n: int
    paired: bool

    def beyond_noise(self, k: float = NOISE_SE) -> bool:
        """Larger than ``k`` standard errors (an exact tie with no spread counts only if nonzero)."""
        if self.se is None:
            return False
        if self.se == 0:
            return self.mean != 0
        return abs(self.mean) > k * self.se

    def p_value(self) -> float | None:
        """Two-sided p-value of the t test of ``a - b = 0``; None without a standard error."""
        if self.se is None or self.df <= 0:
            return None
        if self.se == 0:
            return 0.0 if self.mean != 0 else 1.0
        from scipy.stats import t

        return float(2 * t.sf(abs(self.mean / self.se), self.df))


def difference(a: Mapping[int, float | None], b: Mapping[int, float | None]) -> Difference | None:
    """``a - b`` over seeds (``{seed: value}``): paired on the seeds both have, else Welch."""
    shared = [s for s in a if s in b and _ok(a[s]) and _ok(b[s])]
    if shared:
        d = [float(a[s]) - float(b[s]) for s in shared]  # type: ignore[arg-type]
        m, se = mean_se(d)
        assert m is not None
        return Difference(m, se, len(d) - 1, len(d), True)
    va, vb = finite(list(a.values())), finite(list(b.values()))
    (ma, sa), (mb, sb) = mean_se(va), mean_se(vb)
    if ma is None or mb is None:
        return None
    if sa is None or sb is None:
        return Difference(ma - mb, None, 0, min(len(va), len(vb)), False)
    se = math.sqrt(sa**2 + sb**2)
    df = se**4 / (sa**4 / (len(va) - 1) + sb**4 / (len(vb) - 1)) if se > 0 else len(va) + len(vb) - 2
    return Difference(ma - mb, se, df, min(len(va), len(vb)), False)


def _ok(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def holm(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down rejections: the chance of any false flag in the table stays <= alpha."""
    order = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    flags = [False] * len(p_values)
    m = len(order)
    for rank, (p, i) in enumerate(order):
        if p > alpha / (m - rank):
            break
        flags[i] = True
    return flags


def benjamini_hochberg(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Benjamini-Hochberg rejections: the expected share of false flags stays <= alpha."""
    order = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(order)
    cut = max((k for k, (p, _) in enumerate(order, 1) if p <= alpha * k / m), default=0)
    flags = [False] * len(p_values)
    for _, i in order[:cut]:
        flags[i] = True
    return flags


def shared_ranks(values: Mapping[str, Mapping[int, float | None]], lower_is_better: bool = True) -> dict[str, int]:
    """Rank = 1 + the number of models better beyond noise (paired by seed).

    Models the seeds cannot tell apart therefore share a rank, and a rank never rewards a
    lucky mean: a model is pushed down only by models that beat it by more than ``NOISE_SE``
    standard errors of the paired difference.
    """
    sign = 1.0 if lower_is_better else -1.0
    ranks = {}
    for m, mine in values.items():
        better = 0
        for other, theirs in values.items():
            if other == m:
                continue
            d = difference(theirs, mine)
            if d is not None and sign * d.mean < 0 and d.beyond_noise():
                better += 1
        ranks[m] = 1 + better
    return ranks
