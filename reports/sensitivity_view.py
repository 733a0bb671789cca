"""The run report's section "Does the benchmark catch these?" (:mod:`.sensitivity`)."""

from __future__ import annotations

from typing import Any

from dgpbench.reports.data import RunData
from dgpbench.reports.sensitivity import checks
from dgpbench.reports.verdict import primary_candidates
from dgpbench.reports.view import View
from dgpbench.vocabulary import FACES


class Sensitivity(View):
    """One row per declared breakage: the face that must catch it, both models' primary
    metric (mean +- se over seeds), their paired difference in se, caught or not."""

    name, title, order = "sensitivity", "Does the benchmark catch these?", 25

    def context(self, data: RunData) -> dict[str, Any] | None:
        rows = [c.summary() for c in checks(data.suite, data.faces, data.info)]
        if not rows:
            return None
        return {
            "rows": rows,
            "primary": {face: primary_candidates(data.info, face) for face in FACES},
            "n_caught": sum(r["caught"] for r in rows),
        }
