"""The run report's first section, "Does it recover the process?" (:mod:`.recovery`): per
size-sweep family the verdict of every model with its curve, then difficulty curves."""

from __future__ import annotations

from typing import Any

from dgpbench.reports import figures as fig
from dgpbench.reports import recovery as rc
from dgpbench.reports.data import RunData
from dgpbench.reports.stats import ALPHA
from dgpbench.reports.view import View
from dgpbench.vocabulary import face_order


def size_families(data: RunData) -> list[str]:
    """The size-sweep families with a curve, in the suite's order (their index is their anchor)."""
    return list(dict.fromkeys(c.family for c in data.sweeps if c.size))


def family_anchor(data: RunData, family: str) -> str:
    families = size_families(data)
    return f"recovery-{families.index(family)}" if family in families else "recovery"


class Recovery(View):
    """Per size-sweep family: one row per model and face (verdict, slope and interval, the
    canonical slope, bias floor, reason) and the log-log curves; per difficulty family the
    error against the knob. A run with no size sweep says so in one line."""

    name, title, order = "recovery", "As data grow", 15

    def context(self, data: RunData) -> dict[str, Any] | None:
        if not data.cells:
            return None
        palette = fig.Palette(data.models)
        families, difficulty = [], []
        for family in dict.fromkeys(c.family for c in data.sweeps):
            curves = [c for c in data.sweeps if c.family == family]
            if curves[0].size:
                rows = [r for r in data.recovery if r["generator"] == family]
                rows.sort(key=lambda r: (face_order(r["face"]), rc.VERDICTS.index(r["verdict"]), r["model"]))
                verdicts = {(r["model"], r["face"]): r["verdict"] for r in rows}
                families.append(
                    {
                        "family": family,
                        "anchor": family_anchor(data, family),
                        "param": curves[0].param,
                        "rows": rows,
                        "image": fig.recovery(curves, palette, verdicts),
                    }
                )
            else:
                values = list(dict.fromkeys(p.x for c in curves for p in c.points))
                tables = []
                for c in sorted(curves, key=lambda c: (face_order(c.face), c.model)):
                    if c.metric:
                        at = {r["value"]: r for r in rc.difficulty_rows(c)}
                        tables.append(
                            {
                                "model": c.model,
                                "face": c.face,
                                "metric": c.metric,
                                "points": [at.get(v) for v in values],
                            }
                        )
                image = fig.difficulty(curves, palette)
                difficulty.append(
                    {"family": family, "param": curves[0].param, "levels": values, "tables": tables, "image": image}
                )
        return {"families": families, "difficulty": difficulty, "alpha": ALPHA, "rate": rc.CANONICAL_RATE}
