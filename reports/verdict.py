"""The verdict a user reads: per metric and per face, a score with its standard error over
seeds, whether it can be normalised at all, a rank that models the seeds cannot tell apart
share, and the leak alarm. Pure functions of a run's stored metric rows and the metric
attributes stored with the run (``Store.metric_info``); the uncertainty primitives are
:mod:`dgpbench.reports.stats`.

Why it reads this way (the audit of issue 12):

- **A face is decided by one primary proper metric** (declared on the metric: its
  ``primary_rank``, 1 first, higher ranks the fallbacks where a model has no row of a better
  one). Averaging it with diagnostics let a model with a constant effect win the
  counterfactual face on average-effect metrics that noise dominates.
- **A normalised score (naive - model) / (naive - oracle) is shown only where naive and
  oracle are separable**: their paired difference over seeds exceeds ``NOISE_SE`` standard
  errors. Otherwise the ratio divides by noise (a coverage error scored 31.25), and the raw
  value is shown with "not separable". Nominal metrics (a coverage rate, a signed error) are
  never normalised: they read as the distance of their mean from the target.
- **Every score carries its se**: the per-seed scores (naive_s - model_s) / (mean naive -
  mean oracle) have the score as their mean, and their standard error is the score's.
- **A model better than the truth is suspect**: on a proper score the oracle is the best
  any model can do in expectation, so beating it beyond noise means the model saw what it
  should not have (test outcomes, the truth).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.reports.stats import ALPHA, Difference, difference, finite, mean_se, shared_ranks

MetricInfo = Mapping[str, Mapping[str, Any]]
BySeed = dict[int, float]

NOT_SEPARABLE = "not separable"
SUSPECT = "suspect: better than the truth"
# The columns of a face row, as ``leaderboard --format json|csv`` writes them.
FACE_COLUMNS = (
    "generator",
    "model",
    "face",
    "primary_metric",
    "score",
    "se",
    "n_seeds",
    "rank",
    "value",
    "value_se",
    "oracle",
    "naive",
    "separable",
    "suspect",
    "note",
)


@dataclass
class Series:
    """One metric of one (generator, model) over seeds: the model's, the oracle's and the
    naive baseline's values, each ``{seed: value}`` (finite values only)."""

    value: BySeed = field(default_factory=dict)
    oracle: BySeed = field(default_factory=dict)
    naive: BySeed = field(default_factory=dict)

    def add(self, seed: int, value: float | None, oracle: float | None, naive: float | None) -> None:
        for target, v in ((self.value, value), (self.oracle, oracle), (self.naive, naive)):
            if v is not None and finite([v]):
                target[seed] = float(v)


def averaged_over_keys(parts: Sequence[Series]) -> Series:
    """A per-coefficient metric (``name[key]``) as one series: per seed, the mean over the
    keys the model has a value for (the oracle's and naive's over the same keys, or none)."""
    out = Series()
    seeds = sorted({s for p in parts for s in p.value})
    for s in seeds:
        have = [p for p in parts if s in p.value]
        out.value[s] = sum(p.value[s] for p in have) / len(have)
        for mine, name in ((out.oracle, "oracle"), (out.naive, "naive")):
            got = [getattr(p, name).get(s) for p in have]
            if all(v is not None for v in got):
                mine[s] = sum(got) / len(got)
    return out


@dataclass(frozen=True)
class Judged:
    """What one series reads as: the raw mean +- se, the oracle's and naive's means, and the
    normalised score +- se where it is meaningful (else ``score`` None and ``note`` says why)."""

    value: float | None
    value_se: float | None
    n_seeds: int
    oracle: float | None
    naive: float | None
    separable: bool | None  # None: not a normalised metric
    score: float | None
    se: float | None
    distance: float | None  # a nominal metric's |mean - target|
    note: str


def judge(s: Series, info: Mapping[str, Any] | None) -> Judged:
    """The score of one series, normalised only where naive and oracle are separable."""
    value, value_se = mean_se(list(s.value.values()))
    oracle, _ = mean_se(list(s.oracle.values()))
    naive, _ = mean_se(list(s.naive.values()))
    raw = Judged(value, value_se, len(s.value), oracle, naive, None, None, None, None, "not normalised")
    if value is None:
        return replace(raw, note="no finite value")
    direction = (info or {}).get("direction")
    if info is None or direction == "nominal" or not info.get("normalise", True):
        target = (info or {}).get("target")
        if target is None:
            return raw
        return replace(
            raw, distance=abs(value - float(target)), note=f"nominal: distance from its target {float(target):g}"
        )
    why = separation(s)
    if why:
        return replace(raw, separable=False, note=why)
    assert oracle is not None and naive is not None
    gap = naive - oracle
    score, se = mean_se([(s.naive[k] - v) / gap for k, v in s.value.items() if k in s.naive])
    return replace(raw, separable=True, score=score, se=se, note="")


def separation(s: Series) -> str:
    """Why naive and oracle cannot normalise this series ("" where they can): they must differ
    by more than ``NOISE_SE`` standard errors of their paired difference over seeds."""
    if not s.oracle or not s.naive:
        return "no " + ("oracle" if not s.oracle else "naive") + " value"
    d = difference(s.naive, s.oracle)
    if d is None or d.se is None:
        return f"{NOT_SEPARABLE}: one seed cannot tell naive from oracle"
    if not d.beyond_noise():
        return f"{NOT_SEPARABLE}: naive and oracle within noise"
    return ""


def beats_truth(s: Series, direction: str | None) -> Difference | None:
    """The paired difference model - oracle where the model is better than the oracle beyond
    noise: more than ``NOISE_SE`` se and significant by the paired t test at ``ALPHA`` (with
    few seeds the t test asks for more than 2 se). None where it is not."""
    if direction not in ("lower", "higher"):
        return None
    d = difference(s.value, s.oracle)
    if d is None or not d.beyond_noise():
        return None
    better = d.mean < 0 if direction == "lower" else d.mean > 0
    p = d.p_value()
    return d if better and p is not None and p < ALPHA else None


# -- from stored rows ---------------------------------------------------------------------


def series_of(metric_rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str, str], Series]:
    """(generator, model, face, metric key) -> its series over seeds."""
    out: dict[tuple[str, str, str, str], Series] = defaultdict(Series)
    for r in metric_rows:
        out[(r["generator"], r["model"], r["face"], r["metric"])].add(r["seed"], r["value"], r["oracle"], r["naive"])
    return out


def metric_verdicts(metric_rows: Iterable[Mapping[str, Any]], info: MetricInfo) -> list[dict[str, Any]]:
    """One row per (generator, model, face, metric key): the judged series, whether the metric
    is its face's primary one, and the leak alarm on proper scores."""
    out = []
    for (g, m, face, key), s in series_of(metric_rows).items():
        mine = info.get(split_key(key)[0])
        j = judge(s, mine)
        leak = beats_truth(s, mine["direction"]) if mine and mine.get("proper") else None
        out.append(
            {
                "generator": g,
                "model": m,
                "face": face,
                "metric": key,
                "mean": j.value,
                "se": j.value_se,
                "n": j.n_seeds,
                "oracle": j.oracle,
                "naive": j.naive,
                "score": j.score,
                "score_se": j.se,
                "separable": j.separable,
                "target": mine.get("target") if mine else None,
                "distance": j.distance,
                "primary": int(mine.get("primary_rank") or 0) if mine else 0,
                "suspect": leak is not None,
                "note": _join(j.note, f"{SUSPECT} by {abs(leak.mean):.3g} ± {leak.se:.2g}" if leak else ""),
            }
        )
    return out


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def primary_candidates(info: MetricInfo, face: str) -> list[str]:
    """The face's primary metrics, first choice first."""
    ranked = [(int(i.get("primary_rank") or 0), name) for name, i in info.items() if i.get("face") == face]
    return [name for rank, name in sorted(ranked) if rank > 0]


def face_verdicts(metric_rows: Sequence[Mapping[str, Any]], info: MetricInfo) -> list[dict[str, Any]]:
    """One row per (generator, model, face) with FACE_COLUMNS (plus ``by_seed``: the primary
    metric's per-seed values, which ranks and pooled views pair by seed)."""
    series = series_of(metric_rows)
    by_pair: dict[tuple[str, str, str], dict[str, list[Series]]] = defaultdict(lambda: defaultdict(list))
    for (g, m, face, key), s in series.items():
        by_pair[(g, m, face)][split_key(key)[0]].append(s)
    out = []
    for (g, m, face), metrics in sorted(by_pair.items()):
        candidates = primary_candidates(info, face)
        chosen = next((name for name in candidates if any(p.value for p in metrics.get(name, []))), None)
        suspects = [
            name
            for name, parts in sorted(metrics.items())
            if info.get(name, {}).get("proper") and any(beats_truth(p, info[name]["direction"]) for p in parts)
        ]
        row: dict[str, Any] = {"generator": g, "model": m, "face": face, "primary_metric": chosen}
        if chosen is None:
            why = f"no value of {' or '.join(candidates)}" if candidates else "no primary metric declared"
            row.update(dict.fromkeys(FACE_COLUMNS[4:13]), n_seeds=0, separable=None, by_seed={})
            row.update(suspect=bool(suspects), note=_join(why, _suspect_note(suspects)))
        else:
            s = averaged_over_keys(metrics[chosen])
            j = judge(s, info.get(chosen))
            row.update(
                score=j.score,
                se=j.se,
                n_seeds=j.n_seeds,
                rank=None,
                value=j.value,
                value_se=j.value_se,
                oracle=j.oracle,
                naive=j.naive,
                separable=j.separable,
                suspect=bool(suspects),
                note=_join(j.note, _suspect_note(suspects)),
                by_seed=dict(s.value),
            )
        out.append(row)
    rank_faces(out, info)
    return out


def _suspect_note(metrics: Sequence[str]) -> str:
    return f"{SUSPECT} on {', '.join(metrics)}" if metrics else ""


def rank_faces(rows: list[dict[str, Any]], info: MetricInfo, unit: str = "generator") -> None:
    """Set ``rank`` per (``unit``, face, primary metric): :func:`shared_ranks` on the primary
    metric's values paired by ``by_seed`` keys (seeds, or replications for pooled rows). Models
    judged on different metrics are never ranked together, and one alone stays unranked."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["primary_metric"] and r["by_seed"]:
            groups[(r[unit], r["face"], r["primary_metric"])].append(r)
    for (_, _, metric), members in groups.items():
        if len(members) < 2:  # a model alone on its primary metric (a joint-only sampler) is not "#1"
            for r in members:
                r["note"] = _join(r.get("note", ""), f"unranked: the only model judged on {metric}")
            continue
        lower = info.get(metric, {}).get("direction", "lower") != "higher"
        ranks = shared_ranks({r["model"]: r["by_seed"] for r in members}, lower_is_better=lower)
        for r in members:
            r["rank"] = ranks[r["model"]]


def pool_replications(
    rows: Sequence[Mapping[str, Any]], groups: Mapping[str, Sequence[tuple[str, int]]], info: MetricInfo
) -> list[dict[str, Any]]:
    """Face rows of replication groups pooled: one row per (group, model, face) with the mean
    +- se over replications (as the literature reports IHDP's), ranks paired by replication.

    ``groups`` maps a group's label to its members as (generator label, replication number).
    A replication where naive and oracle are not separable adds its raw value, not a score.
    """
    out = []
    for label, members in groups.items():
        replication = dict(members)
        by: dict[tuple[str, str, str | None], list[Mapping[str, Any]]] = defaultdict(list)
        for r in rows:
            if r["generator"] in replication:
                by[(r["model"], r["face"], r["primary_metric"])].append(r)
        for (m, face, metric), mine in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
            scored = [r["score"] for r in mine if r["score"] is not None]
            score, se = mean_se(scored)
            values = {replication[r["generator"]]: r["value"] for r in mine if r["value"] is not None}
            value, value_se = mean_se(list(values.values()))
            notes = [f"pooled over {len(mine)} of {len(members)} replications"]
            if len(scored) < len(mine):
                notes.append(f"{len(mine) - len(scored)} not separable or unscored: in the value only")
            suspect = [r["generator"] for r in mine if r["suspect"]]
            if suspect:
                notes.append(f"{SUSPECT} on {', '.join(suspect)}")
            out.append(
                {
                    "generator": label,
                    "model": m,
                    "face": face,
                    "primary_metric": metric,
                    "score": score,
                    "se": se,
                    "n_seeds": sum(r["n_seeds"] for r in mine),
                    "rank": None,
                    "value": value,
                    "value_se": value_se,
                    "oracle": mean_se([r["oracle"] for r in mine])[0],
                    "naive": mean_se([r["naive"] for r in mine])[0],
                    "separable": all(r["separable"] for r in mine) if metric else None,
                    "suspect": bool(suspect),
                    "note": "; ".join(notes),
                    "by_seed": values,
                }
            )
    rank_faces(out, info)
    return out
