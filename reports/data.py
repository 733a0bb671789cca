"""Everything a page shows, read once from the store (reports never write, fit or sample).

:class:`RunData` holds one run's rows plus what is derived from them without any model:
the leaderboard aggregates, the suite's order of generators and models, and which model
labels are naive baselines (a model whose registered name some metric declares as its
``naive`` baseline: declared metadata, never a hard-coded model name).
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dgpbench.benchmarks.metrics.base import split_key
from dgpbench.reports import leaderboard as lb
from dgpbench.reports import recovery
from dgpbench.reports.verdict import face_verdicts
from dgpbench.vocabulary import FACES

if TYPE_CHECKING:
    from dgpbench.benchmarks.store import Store

# What a report needs of a metric, as the store keeps it with each run (``Store.metric_info``):
# face, direction, naive baseline, description. Never the live registry, so a report reads a
# run as it was scored, whatever is registered today.
MetricInfo = dict[str, dict[str, Any]]


def naive_names_by_face(info: MetricInfo) -> dict[str, set[str]]:
    """Face -> the registered model names some metric of that face declares as its naive baseline."""
    out: dict[str, set[str]] = defaultdict(set)
    for m in info.values():
        out[m["face"]].add(m["naive"])
    return out


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "-"


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {}


@dataclass
class RunData:
    run: dict[str, Any]
    cells: list[dict]
    metrics: list[dict]
    estimates: list[dict]
    curves: list[dict]
    rows: list[dict] = field(default_factory=list)  # leaderboard.aggregate: one per metric
    summary: list[dict] = field(default_factory=list)  # leaderboard.face_summary: one per pair
    faces: list[dict] = field(default_factory=list)  # verdict.face_verdicts: one per pair and face
    info: MetricInfo = field(default_factory=dict)  # metric name -> its stored attributes

    @classmethod
    def load(cls, store: Store, run_id: str | None, *, figures: bool = True) -> RunData:
        run = store.run(run_id)
        rid = run["run_id"]
        cells = store.cells(rid)
        metrics = store.metric_rows(rid)
        data = cls(
            run,
            cells,
            metrics,
            store.estimate_rows(rid) if figures else [],
            store.curve_rows(rid) if figures else [],
            info=store.metric_info(rid),
        )
        data.rows = lb.aggregate(metrics, cells, data.info)
        data.faces = face_verdicts(metrics, data.info)
        data.summary = lb.face_summary(data.faces, cells)
        return data

    # -- identity ---------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self.run["run_id"]

    @property
    def suite(self) -> dict[str, Any]:
        return _json(self.run.get("suite_json"))

    @cached_property
    def sweeps(self) -> list[recovery.Curve]:
        """Every sweep family's curves (:mod:`.recovery`): size sweeps and difficulty knobs."""
        return recovery.curves(self.suite, self.metrics, self.cells, self.info)

    @cached_property
    def recovery(self) -> list[dict[str, Any]]:
        """The recovery verdict per (size-sweep family, model, face): ``RECOVERY_COLUMNS``."""
        return [recovery.judge(c) for c in self.sweeps if c.size]

    def _ordered(self, key: str, suite_key: str) -> list[str]:
        seen = {c[key] for c in self.cells}
        order = [e.get("label") or e.get("name") for e in self.suite.get(suite_key, [])]
        return [x for x in order if x in seen] + sorted(seen - set(order))

    @property
    def generators(self) -> list[str]:
        """Generator labels in the suite's order (labels not in the suite last, sorted)."""
        return self._ordered("generator", "generators")

    @property
    def models(self) -> list[str]:
        return self._ordered("model", "models")

    def registered(self, column: str) -> dict[str, str]:
        """label -> registered name, for ``generator`` or ``model``."""
        return {c[column]: c[f"{column}_name"] for c in self.cells}

    def params(self, generator: str) -> dict[str, Any]:
        for c in self.cells:
            if c["generator"] == generator:
                return _json(c["spec"]).get("generator", {}).get("params", {})
        return {}

    def planned_seeds(self, generator: str) -> int:
        """How many seeds the suite plans for a generator label (its own ``seeds``, else the
        suite's): what a pair of a running run still owes beside the cells it has stored."""
        for entry in self.suite.get("generators", []):
            if entry.get("label") == generator:
                return len(entry.get("seeds") or self.suite.get("seeds", []))
        return 0

    def naive_models(self, face: str) -> set[str]:
        """Model labels that are the declared naive baseline of some metric of ``face``."""
        names = naive_names_by_face(self.info).get(face, set())
        return {label for label, name in self.registered("model").items() if name in names}

    def naive_faces(self) -> dict[str, list[str]]:
        """Model label -> the faces for which it is the declared naive baseline."""
        by_face = naive_names_by_face(self.info)
        out = {}
        for label, name in sorted(self.registered("model").items()):
            faces = [f for f in FACES if name in by_face.get(f, set())]
            if faces:
                out[label] = faces
        return out

    def direction(self, metric: str) -> str | None:
        """lower | higher | nominal for a stored metric key (``name`` or ``name[key]``)."""
        m = self.info.get(split_key(metric)[0])
        return m["direction"] if m else None

    def normalised(self, metric: str) -> bool:
        """Whether a stored metric key is normalised (a nominal metric never is)."""
        m = self.info.get(split_key(metric)[0])
        return bool(m and m["normalise"] and m["direction"] != "nominal")

    def description(self, metric: str) -> str:
        m = self.info.get(split_key(metric)[0])
        return (m["description"] or "") if m else ""

    # -- counts -----------------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for c in self.cells:
            out[c["status"]] += 1
        return dict(sorted(out.items(), key=lambda kv: (kv[0] != "ok", kv[0])))

    @property
    def elapsed(self) -> float | None:
        a, b = self.run.get("started_at"), self.run.get("finished_at")
        return b - a if a and b else None

    def meta(self) -> dict[str, Any]:
        """Run metadata for a header: suite, date, commit, duration, versions, machine, counts."""
        counts = self.status_counts()
        ran = sum(n for s, n in counts.items() if s != "skipped")
        return {
            "run_id": self.run_id,
            "suite": self.run["suite_name"],
            "description": self.suite.get("description", ""),
            "status": self.run["status"],
            "started": when(self.run.get("started_at")),
            "duration": duration(self.elapsed),
            "seconds": self.elapsed,
            "commit": self.run.get("git_commit") or "-",
            "versions": _json(self.run.get("versions")),
            "machine": _json(self.run.get("machine")),
            "counts": counts,
            "n_ok": counts.get("ok", 0),
            "n_ran": ran,
            "n_cells": len(self.cells),
            "n_planned": self.run.get("n_cells"),
            "seeds": self.suite.get("seeds", []),
            "time_limit": self.suite.get("time_limit"),
            "n_generators": len(self.generators),
            "n_models": len(self.models),
        }

    # -- per generator ----------------------------------------------------------------------
    def curves_of(self, generator: str, name: str) -> tuple[dict[str, dict], int | None]:
        """{model: data} of one curve kind at one seed (the lowest seed that has it), and that seed."""
        rows = [r for r in self.curves if r["generator"] == generator and r["name"] == name]
        if not rows:
            return {}, None
        seed = min(r["seed"] for r in rows)
        out: dict[str, dict] = {}
        for r in sorted(rows, key=lambda r: (r["model"], r["seed"] != seed, r["seed"])):
            out.setdefault(r["model"], r["data"])
        return out, seed
