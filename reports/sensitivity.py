"""The sensitivity table: did the verdict catch each deliberately broken model?

Read from the store only: the run's suite document (``runs.suite_json``) says which model
entry breaks which correct one and which face must catch it (the suite key ``breaks``),
and the metric rows give each seed's value. Each face is judged as the leaderboard judges
it (:func:`dgpbench.reports.verdict.face_verdicts`): by its primary proper metric, stored
with the run, averaged over the coefficients of a seed where it is per coefficient.

A breakage is caught when the broken model is worse than its correct version by more than
2 se of their difference paired by seed; the leaked-outcome model, which is better than
everything, is caught when the leak alarm calls it suspect (better than the truth).
"""

from __future__ import annotations

from dataclasses import dataclass

from dgpbench.reports.stats import Difference, difference, mean_se, shared_ranks
from dgpbench.reports.verdict import MetricInfo

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
    suspect: bool  # the leak alarm's verdict on the variant (better than the truth)
    lower_is_better: bool
    ranking: dict[str, BySeed]  # every model of the generator with this metric

    @property
    def versus_correct(self) -> Difference | None:
        """broken - correct, paired by seed."""
        return difference(self.broken, self.reference)

    def _worse(self, d: Difference | None) -> bool:
        sign = 1.0 if self.lower_is_better else -1.0
        return d is not None and sign * d.mean > 0 and d.beyond_noise()

    @property
    def worse(self) -> bool:
        """Worse than its correct version by more than 2 se of the paired difference."""
        return self._worse(self.versus_correct)

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


def checks(suite: dict, face_rows: list[dict], info: MetricInfo) -> list[Check]:
    """Every breakage the suite declares, on every generator where both models have the
    face judged by the same primary metric, in the suite's order. ``face_rows`` are the run's
    :func:`~dgpbench.reports.verdict.face_verdicts` (``RunData.faces``)."""
    faces = {(r["generator"], r["model"], r["face"]): r for r in face_rows}
    generators = [g.get("label") or g.get("name") for g in suite.get("generators", [])]
    generators += sorted({g for g, _, _ in faces} - set(generators))
    out = []
    for entry in suite.get("models", []):
        breaks = entry.get("breaks")
        if not breaks:
            continue
        variant, correct, face = entry.get("label") or entry["name"], breaks["model"], breaks["face"]
        for g in generators:
            mine, theirs = faces.get((g, variant, face)), faces.get((g, correct, face))
            if not mine or not theirs or not mine["by_seed"] or mine["primary_metric"] != theirs["primary_metric"]:
                continue
            metric = mine["primary_metric"]
            ranking = {
                r["model"]: r["by_seed"]
                for (gen, _, f), r in faces.items()
                if gen == g and f == face and r["primary_metric"] == metric and r["by_seed"]
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
                    broken=mine["by_seed"],
                    reference=theirs["by_seed"],
                    suspect=bool(mine["suspect"]),
                    lower_is_better=info.get(metric, {}).get("direction") != "higher",
                    ranking=dict(sorted(ranking.items())),
                )
            )
    return out
