"""Does a model recover the process as data grows? Recovery curves and their verdicts.

A suite that sweeps a generator's sample size (``sweep: {n: [...]}`` where ``n`` is the
generator's ``size_param``; the sweep is stored with the run, :class:`~dgpbench.benchmarks.
suite.Sweep`) scores every model at several sizes on the same seeds. Per (sweep family,
model, face) this module reads the face's primary error at each size, fits its rate and
judges it. A sweep over any other parameter (``noise_sd``, ``trend_gap``) gives the same
per-value error as a **difficulty curve**, shown without a verdict. Pure functions of the
stored suite, metric rows, cells and metric attributes, like :mod:`.verdict`.

**The error of a cell**, in the raw units of the face's primary metric (the first of
:func:`~dgpbench.reports.verdict.primary_candidates` the model has values of in the family):

- coefficients: |estimate - truth| (``coef_abs_error``) averaged over the coefficients. Not
  the primary ``coef_efficiency``: its unit, the canonical analysis's se, shrinks like the
  error of any sqrt(n)-consistent estimator, so its curve would be flat whether or not the
  model learns;
- a proper score (CRPS, energy distance): value - oracle, the excess over the truth's own
  score on the same data, 0 for a model that has learnt the distribution;
- otherwise (sqrt(PEHE)): the value.

**The floor** is the best error attainable on the same data: for coefficients the expected
|error| of the canonical (correctly specified) analysis, sqrt(2/pi) x its standard error,
which the stored rows give per coefficient as se = ``coef_abs_error / coef_efficiency``
(the oracle's own coefficient error is 0, the truth); otherwise the oracle's error (0 for
an excess, the oracle's value else).

**The slope** is the least-squares line of log(mean error) on log(size) over the sizes,
each size one point. Its interval comes from the uncertainty over seeds, analytically: by
the delta method var log(mean_k) = se_k^2 / mean_k^2 (the per-seed errors divided by their
mean, var/seeds), the slope sum_k c_k log(mean_k) has variance sum_k c_k^2 var_k, and its t
interval takes Satterthwaite's degrees of freedom from the seeds per size. Analytic rather
than a bootstrap: deterministic, and with 4-6 seeds per size a resampled mean takes too few
distinct values to be a better picture of the noise. It treats sizes as independent draws
(a seed's data at two sizes share a prefix of x, which if anything narrows the true
interval of a slope, so the interval is conservative), and it is the slope of the sizes
chosen: a curve that flattens is caught by the floor test below, not by the slope.

**The canonical slope**: for coefficients the floor curve (the canonical analysis's expected
|error|) fitted the same way, and slope - canonical tested with the errors paired by cell
(linearised per seed as error/mean - floor/floor mean); elsewhere the regular-parameter rate
-1/2, a fixed reference.

**Verdicts**, every test two-sided at ``ALPHA`` (intervals at 95 %):

- *not judged*: fewer than ``MIN_SIZES`` sizes with values, or a size with fewer than
  ``MIN_SEEDS`` seeds;
- *fails*: cells failed or timed out at some sizes (named), or the error rises (slope
  significantly > 0);
- *recovers*: the slope is not significantly slower than the canonical one (the interval of
  slope - canonical is not wholly above 0), and either the slope is significantly < 0 (a
  fall between the smallest and largest size alone does not say at what rate) or the error
  at the largest sizes is within noise of the floor (the t test of error - floor,
  paired by cell and pooled over the upper half of the sizes, finds it no higher: a model at
  the floor from the smallest size on, whose curve need not fall). Within noise of the floor
  is no evidence against a significantly slower rate, so it never overrides one;
- *not judged* also where the curve is too noisy to tell: the slope neither significantly
  below 0 nor significantly slower than the canonical one, and the error not within noise of
  the floor (more seeds decide);
- *plateaus*: otherwise -- the error falls significantly slower than the canonical rate, or
  not at all over the sizes run, and stays above the floor (the reason says whether the
  largest sizes are significantly above it): the **bias floor** is the mean error at the
  largest size +- se (also given where the verdict is *fails*). A curve cannot tell a model
  that learns to a biased limit quickly from one that ignores the data: both are flat above
  the floor, and the floor's level is what tells them apart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.reports.stats import ALPHA, Difference, difference, mean_se
from dgpbench.reports.verdict import MetricInfo, primary_candidates
from dgpbench.vocabulary import FAILED_STATUSES, face_order

MIN_SIZES = 3
MIN_SEEDS = 2
CANONICAL_RATE = -0.5  # a regular parameter's error falls like n^(-1/2)
# A primary metric in units of the canonical analysis's se, and the raw |error| it divides.
RAW_ERROR = {"coef_efficiency": "coef_abs_error"}
HALF_NORMAL_MEAN = math.sqrt(2 / math.pi)  # E|Z| of a standard normal: expected |error| per se
FLAT = 1e-12  # log-means closer than this are equal: the rounding of a mean of equal values

RECOVERS, PLATEAUS, FAILS, NOT_JUDGED = "recovers", "plateaus", "fails", "not judged"
VERDICTS = (RECOVERS, PLATEAUS, FAILS, NOT_JUDGED)
# The columns of a recovery row (``results --table recovery``), one per family x model x face.
RECOVERY_COLUMNS = (
    "generator",
    "model",
    "face",
    "metric",
    "size_param",
    "slope",
    "slope_lower",
    "slope_upper",
    "canonical_slope",
    "canonical_lower",
    "canonical_upper",
    "verdict",
    "reason",
    "bias_floor",
    "bias_floor_se",
    "n_sizes",
    "sizes",
)


@dataclass(frozen=True)
class Point:
    """One value of the swept parameter: per seed the error and the floor (where known), and
    how many of its cells failed or timed out."""

    x: Any  # the swept value: a size, or a difficulty knob's value (a number, or a name)
    errors: dict[int, float]
    floors: dict[int, float] = field(default_factory=dict)
    failed: int = 0

    @property
    def mean_se(self) -> tuple[float | None, float | None]:
        return mean_se(list(self.errors.values()))

    @property
    def floor_mean_se(self) -> tuple[float | None, float | None]:
        return mean_se(list(self.floors.values()))


@dataclass(frozen=True)
class Curve:
    """The error of one model on one face along one sweep family, sizes (or knob values) ascending."""

    family: str
    param: str
    size: bool  # a sweep over the generator's sample size (else a difficulty knob)
    model: str
    face: str
    metric: str  # the metric read: the primary, or its raw |error| (RAW_ERROR)
    floor: str  # what the floor is: "canonical analysis" or "oracle"
    points: tuple[Point, ...]
    excess: bool = False  # the error is a proper score's excess over the oracle's


@dataclass(frozen=True)
class Fit:
    """A slope of log(error) on log(size) with its interval (None where no se is known)."""

    slope: float
    lower: float | None
    upper: float | None

    def below(self, value: float) -> bool:
        return self.upper is not None and self.upper < value

    def above(self, value: float) -> bool:
        return self.lower is not None and self.lower > value


# -- reading the curves ------------------------------------------------------------------------


def sweep_members(suite: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Generator label -> its stored sweep (family, param, value, size), swept entries only."""
    return {e["label"]: e["sweep"] for e in suite.get("generators", []) if isinstance(e.get("sweep"), dict)}


def size_members(suite: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`sweep_members` of the sweeps over a generator's sample size only."""
    return {g: sw for g, sw in sweep_members(suite).items() if sw["size"]}


def curves(
    suite: Mapping[str, Any],
    metric_rows: Iterable[Mapping[str, Any]],
    cells: Iterable[Mapping[str, Any]],
    info: MetricInfo,
) -> list[Curve]:
    """Every (sweep family, model, face) curve of a run, families in the suite's order. A
    model with failed cells in a family and no value there at all gets one (empty) curve."""
    members = sweep_members(suite)
    # (family, model, face) -> generator label -> seed -> metric key -> (value, oracle)
    by: dict[tuple[str, str, str], dict[str, dict[int, dict[str, tuple]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    for r in metric_rows:
        if r["generator"] in members and r["value"] is not None:
            key = (members[r["generator"]]["family"], r["model"], r["face"])
            by[key][r["generator"]][r["seed"]][r["metric"]] = (r["value"], r["oracle"])
    failed: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cells:
        if c["generator"] in members and c["status"] in FAILED_STATUSES:
            failed[(members[c["generator"]]["family"], c["model"])][c["generator"]] += 1
    families: dict[str, list[str]] = defaultdict(list)  # family -> its labels in the suite's order
    for label, sweep in members.items():
        families[sweep["family"]].append(label)
    keys = set(by) | {(f, m, "") for f, m in failed if not any(k[:2] == (f, m) for k in by)}  # no face read
    order = list(families)
    out = []
    for family, model, face in sorted(keys, key=lambda k: (order.index(k[0]), k[1], face_order(k[2]))):
        labels = _ordered(families[family], members)
        values, fails = by.get((family, model, face), {}), failed.get((family, model), {})
        metric, floor, cell_error = _reading(face, values, info) or ("", "oracle", None)
        excess = bool(metric and info.get(metric, {}).get("proper"))
        points = []
        for label in labels:
            errors, floors = {}, {}
            for seed, keyed in values.get(label, {}).items():
                got = cell_error(keyed) if cell_error else None
                if got is not None:
                    errors[seed] = got[0]
                    if got[1] is not None:
                        floors[seed] = got[1]
            if errors or fails.get(label):
                points.append(Point(members[label]["value"], errors, floors, fails.get(label, 0)))
        if not metric and not fails:
            continue
        sweep = members[labels[0]]
        out.append(
            Curve(family, sweep["param"], bool(sweep["size"]), model, face, metric, floor, tuple(points), excess)
        )
    return out


def _ordered(labels: list[str], members: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """A family's labels by their numeric value where every value is a number, else as written."""
    values = [members[x]["value"] for x in labels]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(labels, key=lambda x: members[x]["value"])
    return labels


CellError = Callable[[Mapping[str, tuple]], tuple[float, float | None] | None]


def _reading(
    face: str, values: Mapping[str, Mapping[int, Mapping[str, tuple]]], info: MetricInfo
) -> tuple[str, str, CellError] | None:
    """(metric read, what the floor is, cell error function) of a face, or None where the
    model has no value of any primary metric of it (or the primary is no error)."""
    names = {split_key(k)[0] for seeds in values.values() for keyed in seeds.values() for k in keyed}
    chosen = next((m for m in primary_candidates(info, face) if m in names), None)
    if chosen is None or info[chosen].get("direction") != "lower":
        return None
    raw = RAW_ERROR.get(chosen)
    if raw is not None and raw in names:
        return raw, "canonical analysis", lambda keyed: _coefficient_error(keyed, raw, chosen)
    proper = bool(info[chosen].get("proper"))
    return chosen, "oracle", lambda keyed: _metric_error(keyed, chosen, proper)


def _of(keyed: Mapping[str, tuple], name: str) -> dict[str | None, tuple]:
    return {split_key(k)[1]: v for k, v in keyed.items() if split_key(k)[0] == name}


def _coefficient_error(keyed: Mapping[str, tuple], raw: str, scaled: str) -> tuple[float, float | None] | None:
    """Mean |error| over the coefficients, and the canonical analysis's expected |error|,
    sqrt(2/pi) se with se = |error| / (|error| in se), over the coefficients that give it."""
    errors, ratios = _of(keyed, raw), _of(keyed, scaled)
    if not errors:
        return None
    error = sum(v for v, _ in errors.values()) / len(errors)
    se = [errors[k][0] / ratios[k][0] for k in errors if k in ratios and errors[k][0] > 0 and ratios[k][0] > 0]
    return error, (HALF_NORMAL_MEAN * sum(se) / len(se) if len(se) == len(errors) else None)


def _metric_error(keyed: Mapping[str, tuple], name: str, proper: bool) -> tuple[float, float | None] | None:
    """The value (a proper score: its excess over the oracle's) averaged over keys, and the floor."""
    parts = list(_of(keyed, name).values())
    if not parts:
        return None
    if proper:
        excess = [v - o for v, o in parts if o is not None]
        return (sum(excess) / len(excess), 0.0) if len(excess) == len(parts) else None
    oracle = [o for _, o in parts if o is not None]
    floor = sum(oracle) / len(oracle) if len(oracle) == len(parts) else None
    return sum(v for v, _ in parts) / len(parts), floor


# -- fitting ----------------------------------------------------------------------------------


def log_slope(points: Sequence[Point]) -> Fit | None:
    """Slope of log(mean error) on log(size) through the points with a positive mean, and its
    t interval from the seeds (module docstring); None below ``MIN_SIZES`` usable points."""
    usable = [p for p in points if (p.mean_se[0] or 0) > 0 and float(p.x) > 0]
    if len(usable) < MIN_SIZES:
        return None
    xs = [math.log(float(p.x)) for p in usable]
    ys = [math.log(p.mean_se[0]) for p in usable]  # type: ignore[arg-type]
    return _line(xs, ys, [_relative(p) for p in usable])


def _relative(p: Point) -> list[float]:
    """Per seed error / mean error: the linearised log(mean error), var/seeds = se^2/mean^2."""
    m = p.mean_se[0]
    assert m
    return [v / m for v in p.errors.values()]


def _line(xs: list[float], ys: list[float], terms: list[list[float]]) -> Fit:
    x_bar = sum(xs) / len(xs)
    sxx = sum((x - x_bar) ** 2 for x in xs)
    c = [(x - x_bar) / sxx for x in xs]
    y_bar = sum(ys) / len(ys)
    if max(ys) - min(ys) < FLAT:  # equal means up to rounding (an error that never moves): no slope
        return Fit(0.0, 0.0, 0.0)
    slope = sum(ck * (y - y_bar) for ck, y in zip(c, ys))
    parts, dfs = [], []
    for ck, t in zip(c, terms):
        _, se = mean_se(t)  # se of the mean of the linearised terms = sd(log mean)
        if se is None:
            return Fit(slope, None, None)
        parts.append(ck**2 * se**2)
        dfs.append(len(t) - 1)
    var = sum(parts)
    if var == 0:
        return Fit(slope, slope, slope)
    df = var**2 / sum(a**2 / d for a, d in zip(parts, dfs) if a > 0)  # Satterthwaite
    from scipy.stats import t as student

    half = float(student.ppf(1 - ALPHA / 2, df)) * math.sqrt(var)
    return Fit(slope, slope - half, slope + half)


def _paired_terms(p: Point) -> list[float]:
    """Per seed error/mean - floor/floor mean: the linearised log(error mean / floor mean)."""
    (m, _), (f, _) = p.mean_se, p.floor_mean_se
    assert m and f
    return [p.errors[s] / m - p.floors[s] / f for s in p.errors if s in p.floors]


def _floor_points(points: Sequence[Point]) -> list[Point]:
    """The floor as a curve of its own (where known at every seed of the point)."""
    return [Point(p.x, dict(p.floors)) for p in points if p.floors and set(p.floors) == set(p.errors)]


def _welch(a: Sequence[float], b: Sequence[float]) -> Difference | None:
    """``a - b`` unpaired: two sizes draw different data even on the same seed numbers."""
    return difference(dict(enumerate(a)), {len(a) + i: v for i, v in enumerate(b)})


def _significant(d: Difference | None, sign: int) -> bool:
    """``d`` has the given sign and its t test rejects 0 at ``ALPHA``."""
    if d is None:
        return False
    p = d.p_value()
    return p is not None and sign * d.mean > 0 and p < ALPHA


# -- the verdict ------------------------------------------------------------------------------


def judge(curve: Curve) -> dict[str, Any]:
    """One recovery row (RECOVERY_COLUMNS) of a size curve: the fit, the canonical slope and
    the verdict with its reason (module docstring)."""
    pts = [p for p in curve.points if p.errors]
    fit = log_slope(pts)
    canonical = log_slope(_floor_points(pts)) if curve.floor == "canonical analysis" else None
    row: dict[str, Any] = {
        "generator": curve.family,
        "model": curve.model,
        "face": curve.face,
        "metric": curve.metric,
        "size_param": curve.param,
        "slope": fit.slope if fit else None,
        "slope_lower": fit.lower if fit else None,
        "slope_upper": fit.upper if fit else None,
        "canonical_slope": canonical.slope if canonical else CANONICAL_RATE,
        "canonical_lower": canonical.lower if canonical else None,
        "canonical_upper": canonical.upper if canonical else None,
        "bias_floor": None,
        "bias_floor_se": None,
        "n_sizes": len(pts),
        "sizes": [p.x for p in pts],
    }
    verdict, reason = _verdict(curve, pts, fit, canonical)
    row.update(verdict=verdict, reason=reason)
    if verdict in (PLATEAUS, FAILS) and pts:
        row["bias_floor"], row["bias_floor_se"] = pts[-1].mean_se
    return row


def _verdict(curve: Curve, pts: list[Point], fit: Fit | None, canonical: Fit | None) -> tuple[str, str]:
    failed = [p for p in curve.points if p.failed]
    if failed:
        where = ", ".join(f"{curve.param}={p.x} ({p.failed})" for p in failed)
        return FAILS, f"cells failed or timed out at {where}"
    if len(pts) < MIN_SIZES:
        return NOT_JUDGED, f"{len(pts)} size(s) with values; at least {MIN_SIZES} are needed"
    few = [p for p in pts if len(p.errors) < MIN_SEEDS]
    if few:
        return NOT_JUDGED, f"fewer than {MIN_SEEDS} seeds at {curve.param}={', '.join(str(p.x) for p in few)}"
    last, first = pts[-1], pts[0]
    top = pts[len(pts) // 2 :]
    at_floor = _at_floor(top)
    reference = "the canonical analysis's" if canonical else f"{CANONICAL_RATE:g}"
    slower = _slower(pts, fit, canonical)
    fell = (fit is not None and fit.below(0)) or _significant(
        _welch(list(last.errors.values()), list(first.errors.values())), -1
    )
    if fit is not None and fit.below(0) and not slower:
        return RECOVERS, f"the error falls at a rate not significantly slower than {reference}"
    if at_floor and not slower:
        return RECOVERS, f"the error at {curve.param} >= {top[0].x} is within noise of the {curve.floor}'s"
    if fit is not None and fit.above(0):
        return FAILS, "the error rises with the size"
    if not slower:
        return NOT_JUDGED, (
            f"too noisy to tell: the slope {_interval(fit)} is neither significantly below 0 nor significantly "
            f"slower than {reference}, and the error at {curve.param} >= {top[0].x} is not within noise of the "
            f"{curve.floor}'s; more seeds would decide"
        )
    where = f"at {curve.param} >= {top[0].x}"
    level = (
        f"{where} it is not told apart from the {curve.floor}'s"
        if at_floor
        else f"{where} it stays significantly above the {curve.floor}'s"
        if top[-1].floors
        else "no floor is known"
    )
    how = "the error falls significantly slower than" if fell else "the error does not fall over these sizes, against"
    return PLATEAUS, f"{how} {reference}; {level}"


def _interval(fit: Fit | None) -> str:
    if fit is None or fit.lower is None or fit.upper is None:
        return "(no interval)"
    return f"{fit.slope:.2f} [{fit.lower:.2f}, {fit.upper:.2f}]"


def _at_floor(top: Sequence[Point]) -> bool:
    """Whether the error at the largest sizes is within noise of the floor: the paired
    differences error - floor of every cell of the upper half of the sizes, pooled (near a
    plateau they share one mean, and one size's 4-6 seeds of a |error| are too few to tell a
    floor 3x the canonical error from it), are not significantly > 0."""
    diffs = [p.errors[s] - p.floors[s] for p in top for s in p.errors if s in p.floors]
    mean, se = mean_se(diffs)
    if mean is None:
        return False
    return not _significant(Difference(mean, se, len(diffs) - 1, len(diffs), paired=True), +1)


def _slower(pts: list[Point], fit: Fit | None, canonical: Fit | None) -> bool:
    """Whether the slope is significantly above (slower than) the canonical one: paired by
    cell against a fitted canonical curve, else against the fixed rate."""
    if fit is None:
        return False
    if canonical is None:
        return fit.above(CANONICAL_RATE)
    both = [p for p in pts if p.floors and (p.mean_se[0] or 0) > 0 and (p.floor_mean_se[0] or 0) > 0]
    if len(both) < MIN_SIZES:
        return fit.above(canonical.slope)
    xs = [math.log(float(p.x)) for p in both]
    ys = [math.log(p.mean_se[0] / p.floor_mean_se[0]) for p in both]  # type: ignore[operator]
    return _line(xs, ys, [_paired_terms(p) for p in both]).above(0)


def recovery_rows(
    suite: Mapping[str, Any],
    metric_rows: Iterable[Mapping[str, Any]],
    cells: Iterable[Mapping[str, Any]],
    info: MetricInfo,
) -> list[dict[str, Any]]:
    """One judged row per (size-sweep family, model, face)."""
    return [judge(c) for c in curves(suite, metric_rows, cells, info) if c.size]


def difficulty_rows(curve: Curve) -> list[dict[str, Any]]:
    """A difficulty curve's points as rows: the knob's value, mean error +- se, floor, seeds."""
    out = []
    for p in curve.points:
        (m, se), (f, _) = p.mean_se, p.floor_mean_se
        out.append({"value": p.x, "mean": m, "se": se, "floor": f, "n": len(p.errors), "failed": p.failed})
    return out
