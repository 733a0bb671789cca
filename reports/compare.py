"""Two runs compared delta by delta: each delta paired by seed, tested, and flagged only with
the false-flag rate of the whole table under control. Pure: it reads stored rows, never a model.

Why paired: a cell's seed fixes its data draw, so the same cells rerun after a change meet the
same data, and B - A taken seed by seed removes the data's share of the noise. Runs on
disjoint seeds share no draw; their delta falls back to Welch's unpaired t test
(:func:`dgpbench.reports.stats.difference` decides which).

Why a correction: a compare table holds a hundred or more deltas; testing each at 5 % flags
about five of them when nothing changed at all (and one combined standard error as the
threshold flagged 49 of 114). Benjamini-Hochberg (the default) keeps the expected share of
false flags among the flagged at ``alpha``, and, when nothing changed, the chance of any flag
at all at ``alpha``; Holm keeps the chance of any false flag at ``alpha`` whatever changed,
at the cost of missing more real changes.

Both the face level (each face decided by its primary metric) and every stored metric are
compared, and all their tests form one table for the correction. A metric's direction and
target are the ones stored with the run (``Store.metric_info``), never the live registry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.reports.stats import ALPHA, Difference, benjamini_hochberg, difference, holm, mean_se
from dgpbench.reports.verdict import Series, averaged_over_keys, primary_candidates
from dgpbench.vocabulary import FACES, face_order

if TYPE_CHECKING:
    from dgpbench.reports.data import RunData


def _uncorrected(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Each delta tested alone at ``alpha`` (expect ``alpha`` of unchanged deltas flagged)."""
    return [p is not None and p <= alpha for p in p_values]


CORRECTIONS: dict[str, Callable[[Sequence[float | None], float], list[bool]]] = {
    "bh": benjamini_hochberg,
    "holm": holm,
    "none": _uncorrected,
}
CORRECTION_NAMES = {
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error rate)",
    "none": "no correction (each delta alone)",
}
# What a delta can be found to be, in the order a summary counts them.
VERDICTS = ("worse", "better", "changed", "unchanged", "untested")
# The columns of a delta's machine-readable row, in order (``Delta.row``).
ROW_COLUMNS = (
    "generator",
    "model",
    "face",
    "metric",
    "a_mean",
    "a_se",
    "b_mean",
    "b_se",
    "delta",
    "se",
    "p_value",
    "paired",
    "n",
    "flagged",
    "direction_better",
    "verdict",
    "level",
)
# A delta smaller than this, relative to the values, is floating-point noise: no change.
REL_TOL = 1e-9

SeedValues = dict[int, float | None]
Key = tuple[str, str, str]  # generator, model, stored metric key


@dataclass(frozen=True)
class Delta:
    """B - A of one metric (``level="metric"``) or of one face's primary metric
    (``level="face"``) for one (generator, model), with its test and, once the table is
    corrected, whether it is flagged."""

    level: str
    generator: str
    model: str
    face: str
    metric: str
    direction: str | None  # lower | higher | nominal, as stored with the run
    target: float | None  # a nominal metric's target, where stored
    a_mean: float | None
    a_se: float | None
    b_mean: float | None
    b_se: float | None
    delta: float
    se: float | None
    p_value: float | None
    paired: bool
    n: int
    flagged: bool = False

    @property
    def verdict(self) -> str:
        """worse | better | changed (a nominal metric with no stored target) | unchanged | untested."""
        if self.p_value is None:
            return "untested"
        if not self.flagged:
            return "unchanged"
        if self.direction == "lower":
            return "better" if self.delta < 0 else "worse"
        if self.direction == "higher":
            return "better" if self.delta > 0 else "worse"
        if self.target is not None and self.a_mean is not None and self.b_mean is not None:
            closer = abs(self.b_mean - self.target) - abs(self.a_mean - self.target)
            if closer:
                return "better" if closer < 0 else "worse"
        return "changed"

    def row(self) -> dict[str, Any]:
        """The machine-readable row (``compare --format json|csv``), columns as :data:`ROW_COLUMNS`."""
        return {
            "generator": self.generator,
            "model": self.model,
            "face": self.face,
            "metric": self.metric,
            "a_mean": self.a_mean,
            "a_se": self.a_se,
            "b_mean": self.b_mean,
            "b_se": self.b_se,
            "delta": self.delta,
            "se": self.se,
            "p_value": self.p_value,
            "paired": self.paired,
            "n": self.n,
            "flagged": self.flagged,
            "direction_better": _better_way(self.direction, self.target),
            "verdict": self.verdict,
            "level": self.level,
        }


def _better_way(direction: str | None, target: float | None) -> str | None:
    if direction == "nominal":
        return f"closer to {target:g}" if target is not None else "nominal"
    return direction


@dataclass(frozen=True)
class Comparison:
    """Every delta of two runs (faces first, then metrics), flagged under ``correction``."""

    deltas: list[Delta]
    correction: str
    alpha: float
    only_a: list[Key] = field(default_factory=list)  # metric keys only run A has
    only_b: list[Key] = field(default_factory=list)

    @property
    def flagged(self) -> list[Delta]:
        return [d for d in self.deltas if d.flagged]

    @property
    def paired(self) -> bool | None:
        """True if every tested delta is paired, False if none is, None if mixed or empty."""
        kinds = {d.paired for d in self.deltas if d.p_value is not None}
        return kinds.pop() if len(kinds) == 1 else None

    def tally(self) -> dict[str, int]:
        out = dict.fromkeys(VERDICTS, 0)
        for d in self.deltas:
            out[d.verdict] += 1
        return out


def by_seed(metric_rows: Iterable[Mapping[str, Any]]) -> dict[Key, SeedValues]:
    """Stored per-seed metric rows -> {(generator, model, metric): {seed: value}}."""
    out: dict[Key, SeedValues] = defaultdict(dict)
    for r in metric_rows:
        out[(r["generator"], r["model"], r["metric"])][int(r["seed"])] = r["value"]
    return dict(out)


def faces_of(metric_rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Stored metric key -> its face, as stored with each row."""
    return {r["metric"]: r["face"] for r in metric_rows}


def _test(a: Mapping[int, float | None], b: Mapping[int, float | None]) -> tuple[Difference | None, float | None]:
    """B - A and its p-value; a difference at floating-point noise level is no change (p = 1)."""
    d = difference(b, a)
    if d is None:
        return None, None
    scale = max([1.0] + [abs(v) for v in (*a.values(), *b.values()) if v is not None])
    if abs(d.mean) <= REL_TOL * scale and (d.se is None or d.se <= REL_TOL * scale):
        return d, (None if d.se is None else 1.0)
    return d, d.p_value()


def _delta(
    level: str,
    key: Key,
    face: str,
    info: Mapping[str, Any] | None,
    a: Mapping[int, float | None],
    b: Mapping[int, float | None],
) -> Delta | None:
    d, p = _test(a, b)
    if d is None:
        return None
    (am, ase), (bm, bse) = mean_se(list(a.values())), mean_se(list(b.values()))
    target = info.get("target") if info else None
    return Delta(
        level=level,
        generator=key[0],
        model=key[1],
        face=face,
        metric=key[2],
        direction=info["direction"] if info else None,
        target=float(target) if target is not None else None,
        a_mean=am,
        a_se=ase,
        b_mean=bm,
        b_se=bse,
        delta=d.mean,
        se=d.se,
        p_value=p,
        paired=d.paired,
        n=d.n,
    )


def _series(values: Mapping[int, float | None]) -> Series:
    out = Series()
    for seed, v in values.items():
        out.add(seed, v, None, None)
    return out


def face_deltas(
    a: Mapping[Key, SeedValues], b: Mapping[Key, SeedValues], info: Mapping[str, Mapping[str, Any]]
) -> list[Delta]:
    """Per (generator, model) in both runs and face: B - A of the face's primary metric, the
    first candidate both runs have (per-coefficient metrics averaged over the names both have)."""
    by_pair: dict[tuple[str, str], dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))
    for k in sorted(set(a) & set(b)):
        by_pair[k[:2]][split_key(k[2])[0]].append(k)
    out = []
    for pair, keys in sorted(by_pair.items()):
        for face in FACES:
            metric = next((m for m in primary_candidates(info, face) if m in keys), None)
            if metric is None:
                continue
            va, vb = (averaged_over_keys([_series(v[k]) for k in keys[metric]]).value for v in (a, b))
            d = _delta("face", (*pair, metric), face, info.get(metric), va, vb)
            if d is not None:
                out.append(d)
    return out


def metric_deltas(
    a: Mapping[Key, SeedValues],
    b: Mapping[Key, SeedValues],
    info: Mapping[str, Mapping[str, Any]],
    faces: Mapping[str, str],
) -> list[Delta]:
    """B - A of every stored metric key both runs have, sorted for reading."""
    keys = sorted(set(a) & set(b), key=lambda k: (k[0], face_order(faces.get(k[2], "")), k[2], k[1]))
    out = []
    for k in keys:
        d = _delta("metric", k, faces.get(k[2], ""), info.get(split_key(k[2])[0]), a[k], b[k])
        if d is not None:
            out.append(d)
    return out


def compare(
    rows_a: Sequence[Mapping[str, Any]],
    rows_b: Sequence[Mapping[str, Any]],
    info: Mapping[str, Mapping[str, Any]],
    correction: str = "bh",
    alpha: float = ALPHA,
) -> Comparison:
    """Compare two runs' stored per-seed metric rows (``Store.metric_rows``).

    ``info`` is the stored metric info (``Store.metric_info``; run A's wins where both runs
    store a metric). Every face and metric delta is tested and the whole table flagged at
    once under ``correction`` (``bh``, ``holm`` or ``none``) at level ``alpha``.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not {correction!r}")
    a, b = by_seed(rows_a), by_seed(rows_b)
    faces = faces_of(rows_b) | faces_of(rows_a)
    deltas = face_deltas(a, b, info) + metric_deltas(a, b, info, faces)
    flags = CORRECTIONS[correction]([d.p_value for d in deltas], alpha)
    flagged = [replace(d, flagged=f) for d, f in zip(deltas, flags)]
    return Comparison(flagged, correction, alpha, sorted(set(a) - set(b)), sorted(set(b) - set(a)))


def compare_runs(a: RunData, b: RunData, correction: str = "bh", alpha: float = ALPHA) -> Comparison:
    """:func:`compare` of two loaded runs, each metric read as run A stored it (B's where only B has it)."""
    return compare(a.metrics, b.metrics, b.info | a.info, correction, alpha)
