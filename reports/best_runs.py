"""The leaderboard across runs: per generator spec x model spec, the latest run that holds it.

A pair is keyed by what was run, not by what it was called: the generator's and the model's
registered names and parameters as the store's ``spec`` column holds them. Two runs of
``did_panel`` with different ``noise_sd`` are two rows, whatever their labels. Of the runs
that hold a pair, the **latest** is shown, never the best: keeping the maximum over runs
rewards luck (a lucky seed set wins). Ranks are recomputed across the page per generator spec
and face, on the primary metric's per-seed values, paired by seed where two runs share seeds
(the same generator spec and seed give the same data).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from dgpbench.reports import leaderboard as lb
from dgpbench.reports.data import RunData
from dgpbench.reports.natural import natural_key
from dgpbench.reports.units import group_label, pooled_summary, replication_groups
from dgpbench.reports.verdict import rank_faces

if TYPE_CHECKING:
    from dgpbench.benchmarks.store import Store


def spec_key(component: dict[str, Any]) -> str:
    """A component's identity across runs: registered name and parameters (not its version,
    not its label)."""
    return json.dumps({"name": component.get("name"), "params": component.get("params", {})}, sort_keys=True)


def pair_specs(cells: list[dict]) -> dict[tuple[str, str], tuple[str, str, dict, dict]]:
    """(generator label, model label) -> (generator key, model key, generator params, model params)."""
    out = {}
    for c in cells:
        spec = json.loads(c["spec"] or "{}")
        g, m = spec.get("generator", {}), spec.get("model", {})
        out[(c["generator"], c["model"])] = (spec_key(g), spec_key(m), g.get("params", {}), m.get("params", {}))
    return out


def params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))


def latest_runs(store: Store) -> tuple[list[dict], list[dict]]:
    """(one row per generator spec x model spec from the latest run holding it, one row per run
    newest first). Each pair row is a :func:`leaderboard.face_summary` row with the run's id,
    suite and date, the specs' parameters, and ``runs``: how many runs hold the pair.

    A replication group (IHDP's replications) also gets one ``pooled`` row per model, keyed by
    the members' common spec and which replications it pools; its members' rows are marked ``replicated``
    (the heat map shows the pooled row, the per-spec table the members)."""
    latest: dict[tuple[str, str], dict] = {}
    held: dict[tuple[str, str], int] = defaultdict(int)
    runs: list[dict] = []
    for run in sorted(store.runs(), key=lambda r: (r["started_at"], r["run_id"])):
        data = RunData.load(store, run["run_id"], figures=False)
        meta = data.meta()
        runs.append(meta | {"started_at": run["started_at"]})
        specs = pair_specs(data.cells)
        registered = data.registered("generator")
        groups = {group_label(registered[gs[0]], len(gs)): gs for gs in replication_groups(data)}
        members = {g for gs in groups.values() for g in gs}
        pooled_reps = {label: ", ".join(str(data.params(g)["replication"]) for g in gs) for label, gs in groups.items()}
        for s in [*data.summary, *pooled_summary(data)]:
            gs = groups.get(s["generator"])
            if gs:  # a replication group's row: keyed by its members' common spec and which replications
                member = next(g for g in gs if (g, s["model"]) in specs)
                _, mkey, gparams, mparams = specs[(member, s["model"])]
                gparams = {k: v for k, v in gparams.items() if k != "replication"}
                gparams["replications"] = pooled_reps[s["generator"]]
                gkey = spec_key({"name": registered[gs[0]], "params": gparams})
            else:
                gkey, mkey, gparams, mparams = specs[(s["generator"], s["model"])]
            held[(gkey, mkey)] += 1
            latest[(gkey, mkey)] = dict(
                s,
                run_id=run["run_id"],
                suite=run["suite_name"],
                started=meta["started"],
                registered=registered.get(gs[0] if gs else s["generator"]),
                generator_params=params_text(gparams),
                model_params=params_text(mparams),
                keys=(gkey, mkey),
                info=data.info,
                pooled=bool(gs),
                replicated=s["generator"] in members,
            )
    rows = [dict(r, runs=held[k]) for k, r in latest.items()]
    _rank_across_runs(rows)
    rows.sort(key=lambda r: (natural_key(r["generator"]), r["generator_params"], lb.order_key(r)))
    return rows, runs[::-1]


def _rank_across_runs(rows: list[dict]) -> None:
    """Shared ranks per generator spec and face among the page's rows (each run's own ranks
    compared only the models of that run)."""
    info: dict[str, Any] = {}
    faces = []
    for r in rows:
        info.update(r.pop("info"))
        for v in r["verdict"].values():
            faces.append(dict(v, generator=r["keys"][0], model=r["keys"][1], row=r))
    rank_faces(faces, info)
    for f in faces:
        f["row"]["verdict"][f["face"]]["rank"] = f["rank"]
    for r in rows:
        ranks = [v["rank"] for v in r["verdict"].values() if v["rank"] is not None]
        r["mean_rank"] = sum(ranks) / len(ranks) if ranks else None
