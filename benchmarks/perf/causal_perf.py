"""Recovery and speed of the causal nets (TARNet, DCN-PD, Dragonnet) on IHDP.

Run: ``python benchmarks/perf/causal_perf.py [--replications 1-10] [--seed 0]
[--models tarnet,dcn_pd,dragonnet]``.

For every IHDP replication (the seed draws the 63/27/10 train/valid/test split) each
model is fitted on the train+valid rows with its default parameters, on one thread, and
scored in-sample (train+valid rows) and out-of-sample (the 10 % test rows):

- sqrt(PEHE) = sqrt(mean over rows of ((mu1_hat - mu0_hat) - (mu1 - mu0))^2);
- |ATE error| = |mean(mu1_hat - mu0_hat) - mean(mu1 - mu0)| over the same rows;
- fit seconds: wall clock and CPU (``process_time``; on one thread the CPU seconds are
  what the fit takes on an idle core, so the speed target is judged on them -- wall time
  on a shared machine is noisy). One untimed warm-up fit first takes the process's
  one-off PyTorch import cost, printed separately.

Two linear S-learners (numpy ``lstsq`` on the fit rows) are the baseline rows:
``s_learner_tx`` regresses y on 1, t, x and t*x (effects linear in x), ``s_learner_t`` on
1, t and x (one constant effect). Targets (out of sample, tarnet and dragonnet): sqrt(PEHE) mean <= 1.0 and
median <= 0.8, |ATE error| mean <= 0.25, fit <= 5 s a replication. Exit status 1 when a
target is missed (fit seconds: the CPU seconds of the slowest fit), so the script can
gate CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

for _var in ("DGPBENCH_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread, as a benchmark worker runs

import numpy as np  # noqa: E402

from dgpbench.generators.registry import load_generator  # noqa: E402
from dgpbench.models.registry import load_model  # noqa: E402

MODELS = ("tarnet", "dcn_pd", "dragonnet")
GATED = ("tarnet", "dragonnet")
TARGETS = {"pehe_mean": 1.0, "pehe_median": 0.8, "ate_mean": 0.25, "fit_s": 5.0}


class LinearSLearner:
    """y ~ 1 + t + x (+ t*x with ``interactions``) by least squares, t set to 0 or 1 to predict."""

    def __init__(self, interactions: bool):
        self.interactions = interactions

    def fit(self, observed):
        roles = observed.roles
        self.cols = list(roles.covariates)
        self.t = roles.treatment
        self.beta = np.linalg.lstsq(self._design(observed.frame), observed.y, rcond=None)[0]
        return self

    def _design(self, frame, t=None):
        x = frame[self.cols].to_numpy(float)
        tt = frame[self.t].to_numpy(float) if t is None else np.full(len(frame), float(t))
        cols = [np.ones(len(frame)), tt, x] + ([x * tt[:, None]] if self.interactions else [])
        return np.column_stack(cols)

    def mu0(self, X):
        return self._design(X, 0) @ self.beta

    def mu1(self, X):
        return self._design(X, 1) @ self.beta


def scores(fitted, observed, truth) -> dict[str, float]:
    X = observed.frame.drop(columns=[observed.roles.outcome])
    err = (fitted.mu1(X) - fitted.mu0(X)) - (truth.mu1 - truth.mu0)
    out = {}
    for part, rows in (("in", observed.mask("train", "valid")), ("out", observed.mask("test"))):
        out[f"pehe_{part}"] = float(np.sqrt(np.mean(err[rows] ** 2)))
        out[f"ate_{part}"] = float(abs(np.mean(err[rows])))
    return out


def parse_reps(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(r) for r in text.split(",")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", default="1-10", help="e.g. 1-10 or 1,4,9")
    ap.add_argument("--seed", type=int, default=0, help="split and fit seed")
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args(argv)
    reps, models = parse_reps(args.replications), args.models.split(",")

    warm_obs, _ = load_generator("ihdp", replication=1).sample(args.seed)
    t0 = time.perf_counter()
    load_model(models[0], epochs=1).fit(warm_obs, 0)
    print(f"one-off first-fit overhead (imports, warm-up fit): {time.perf_counter() - t0:.2f} s")

    baselines = {"s_learner_tx": True, "s_learner_t": False}
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in [*models, *baselines]}
    header = f"{'model':<17}{'rep':>4}{'pehe_in':>9}{'pehe_out':>9}{'ate_in':>8}{'ate_out':>8}{'fit_s':>7}{'cpu_s':>7}"
    print(header)
    print("-" * len(header))
    for rep in reps:
        observed, truth = load_generator("ihdp", replication=rep).sample(args.seed)
        for name in rows:
            t0, c0 = time.perf_counter(), time.process_time()
            if name in baselines:
                fitted: Any = LinearSLearner(baselines[name]).fit(observed)
            else:
                fitted = load_model(name).fit(observed, args.seed)
            s = {
                **scores(fitted, observed, truth),
                "fit_s": time.perf_counter() - t0,
                "cpu_s": time.process_time() - c0,
            }
            rows[name].append(s)
            print(
                f"{name:<17}{rep:>4}{s['pehe_in']:>9.3f}{s['pehe_out']:>9.3f}{s['ate_in']:>8.3f}"
                f"{s['ate_out']:>8.3f}{s['fit_s']:>7.2f}{s['cpu_s']:>7.2f}",
                flush=True,
            )

    print(f"\nsummary over replications {args.replications} (seed {args.seed})")
    head = (
        f"{'model':<17}{'pehe_in mean/med':>18}{'pehe_out mean/med':>19}"
        f"{'ate_in mean':>12}{'ate_out mean':>13}{'fit_s mean':>11}{'cpu_s mean/max':>16}"
    )
    print(head)
    print("-" * len(head))
    failed = []
    for name, rs in rows.items():
        col = {k: [r[k] for r in rs] for k in rs[0]}
        print(
            f"{name:<17}{np.mean(col['pehe_in']):>9.3f}/{statistics.median(col['pehe_in']):<8.3f}"
            f"{np.mean(col['pehe_out']):>10.3f}/{statistics.median(col['pehe_out']):<8.3f}"
            f"{np.mean(col['ate_in']):>12.3f}{np.mean(col['ate_out']):>13.3f}"
            f"{np.mean(col['fit_s']):>11.2f}{np.mean(col['cpu_s']):>9.2f}/{max(col['cpu_s']):<6.2f}"
        )
        if name in GATED:
            got: dict[str, float] = {
                "pehe_mean": float(np.mean(col["pehe_out"])),
                "pehe_median": statistics.median(col["pehe_out"]),
                "ate_mean": float(np.mean(col["ate_out"])),
                "fit_s": max(col["cpu_s"]),
            }
            failed += [f"{name} {k} {got[k]:.3f} > {v}" for k, v in TARGETS.items() if got[k] > v]
    print(
        "targets (out of sample, "
        + ", ".join(GATED)
        + "): "
        + ("all met" if not failed else "MISSED: " + "; ".join(failed))
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
