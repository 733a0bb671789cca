"""The sensitivity table: did the verdict catch each deliberately broken model?

Read from the store only: the run's suite document (``runs.suite_json``) says which model
entry breaks which correct one and which face must catch it (the suite key ``breaks``),
and the metric rows give each seed's value and the oracle's. Each face is judged by its
primary proper metric -- counterfactuals sqrt(PEHE) out of sample (in sample where there
are no test rows), distribution CRPS (energy distance for joint samplers), coefficients
the error in canonical-se units averaged over the coefficients of a seed.

A breakage is caught when the broken model is worse than its correct version by more than
2 se of their difference paired by seed; the leaked-outcome model, which is better than
everything, is caught when it beats the oracle (the truth) by more than 2 se: "suspect".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.reports.stats import Difference, difference, mean_se, shared_ranks

# Each face's primary metric, in order of preference (the first the models have is used).
PRIMARY: dict[str, tuple[str, ...]] = {
    "counterfactuals": ("sqrt_pehe_out", "sqrt_pehe_in"),
    "distribution": ("crps", "energy_distance"),
    "coefficients": ("coef_efficiency",),
}

BySeed = dict[int, float]


@dataclass(frozen=True)
class Check:
    """One breakage on one generator: both models' primary metric and what the seeds say."""

    variant: str
    correct: str
    what: str
    face: str
    catch: str  # worse | suspect
    generator: str
    metric: str
    broken: BySeed
    reference: BySeed  # the correct model's values
    oracle: BySeed  # the oracle's values on the variant's cells
    lower_is_better: bool
    ranking: dict[str, BySeed]  # every model of the generator with this metric

    @property
    def versus_correct(self) -> Difference | None:
        """broken - correct, paired by seed."""
        return difference(self.broken, self.reference)

    @property
    def versus_oracle(self) -> Difference | None:
        return difference(self.broken, self.oracle)

    def _worse(self, d: Difference | None) -> bool:
        sign = 1.0 if self.lower_is_better else -1.0
        return d is not None and sign * d.mean > 0 and d.beyond_noise()

    def _better(self, d: Difference | None) -> bool:
        sign = 1.0 if self.lower_is_better else -1.0
        return d is not None and sign * d.mean < 0 and d.beyond_noise()

    @property
    def worse(self) -> bool:
        """Worse than its correct version by more than 2 se of the paired difference."""
        return self._worse(self.versus_correct)

    @property
    def suspect(self) -> bool:
        """Better than the truth by more than 2 se: it must have seen what it is scored on."""
        return self._better(self.versus_oracle)

    @property
    def caught(self) -> bool:
        return self.suspect if self.catch == "suspect" else self.worse

    @property
    def se_units(self) -> float | None:
        """The difference from the correct model in standard errors (signed: > 0 is worse)."""
        d = self.versus_correct
        if d is None or not d.se:
            return None
        return (1.0 if self.lower_is_better else -1.0) * d.mean / d.se

    @property
    def beaten_by(self) -> list[str]:
        """Models of the generator better than the variant beyond noise (it ranks below them)."""
        ranks = shared_ranks(self.ranking, self.lower_is_better)
        mine = ranks.get(self.variant)
        return [
            m
            for m in self.ranking
            if m != self.variant and mine is not None and ranks[m] < mine and self._worse(self._vs(m))
        ]

    def _vs(self, model: str) -> Difference | None:
        return difference(self.broken, self.ranking[model])

    def summary(self) -> dict:
        """Plain values for a template or a test."""
        (bm, bs), (cm, cs) = mean_se(list(self.broken.values())), mean_se(list(self.reference.values()))
        d = self.versus_correct
        return {
            "variant": self.variant,
            "correct": self.correct,
            "what": self.what,
            "face": self.face,
            "catch": self.catch,
            "generator": self.generator,
            "metric": self.metric,
            "n_seeds": len(set(self.broken) & set(self.reference)),
            "broken_mean": bm,
            "broken_se": bs,
            "correct_mean": cm,
            "correct_se": cs,
            "difference": d.mean if d else None,
            "difference_se": d.se if d else None,
            "se_units": self.se_units,
            "worse": self.worse,
            "suspect": self.suspect,
            "caught": self.caught,
            "beaten_by": self.beaten_by,
            "n_models": len(self.ranking),
        }


def primary_values(rows: Iterable[dict], face: str) -> dict[str, tuple[BySeed, BySeed]]:
    """metric -> ({seed: model value}, {seed: oracle value}) of one model's rows on one
    generator, for the face's primary metrics; per-coefficient metrics are averaged over
    the coefficients of each seed."""
    wanted = PRIMARY.get(face, ())
    sums: dict[str, dict[int, list[tuple[float, float | None]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        name = split_key(r["metric"])[0]
        if name in wanted and r["face"] == face and r["status"] == "ok" and r["value"] is not None:
            sums[name][r["seed"]].append((r["value"], r["oracle"]))
    out = {}
    for name, by_seed in sums.items():
        values = {s: sum(v for v, _ in vs) / len(vs) for s, vs in by_seed.items()}
        oracle = {}
        for s, vs in by_seed.items():
            known = [o for _, o in vs if o is not None]
            if len(known) == len(vs):
                oracle[s] = sum(known) / len(known)
        out[name] = (values, oracle)
    return out


def checks(suite: dict, metric_rows: list[dict], direction: Callable[[str], str | None]) -> list[Check]:
    """Every breakage the suite declares, on every generator where both models have the
    face's primary metric, in the suite's order."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in metric_rows:
        grouped[(r["generator"], r["model"])].append(r)
    generators = [g.get("label") or g.get("name") for g in suite.get("generators", [])]
    generators += sorted({g for g, _ in grouped} - set(generators))
    out = []
    for entry in suite.get("models", []):
        breaks = entry.get("breaks")
        if not breaks:
            continue
        variant, correct, face = entry.get("label") or entry["name"], breaks["model"], breaks["face"]
        for g in generators:
            mine, theirs = primary_values(grouped[(g, variant)], face), primary_values(grouped[(g, correct)], face)
            metric = next((m for m in PRIMARY.get(face, ()) if m in mine and m in theirs), None)
            if metric is None:
                continue
            ranking = {
                model: vals[metric][0]
                for (gen, model), rows in grouped.items()
                if gen == g and metric in (vals := primary_values(rows, face))
            }
            out.append(
                Check(
                    variant=variant,
                    correct=correct,
                    what=breaks.get("what", ""),
                    face=face,
                    catch=breaks.get("catch", "worse"),
                    generator=g,
                    metric=metric,
                    broken=mine[metric][0],
                    reference=theirs[metric][0],
                    oracle=mine[metric][1],
                    lower_is_better=direction(metric) != "higher",
                    ranking=dict(sorted(ranking.items())),
                )
            )
    return out
