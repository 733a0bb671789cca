"""Seconds of one conditional-diffusion cell end to end (sample, fit, score, figures), and
what precision the 200 samples per row buy.

Run: ``python benchmarks/perf/diffusion_cell_perf.py [--generator did_panel|heteroscedastic]
[--seed 0] [--n-samples 200] [--precision]``.

The cell is the one a suite runs -- ``diffusion`` with the default suite's parameters
(hidden 32, 50 steps, 200 draws per row) on a 40 x 20 ``did_panel`` (800 rows: samples,
sd and both potential outcomes of every row) or on ``heteroscedastic`` at its default size
(10,000 fit rows, 2,000 test rows) -- through :func:`~dgpbench.benchmarks.cell.run_cell` in
this process on one thread, as a suite worker runs it. One untimed small fit first takes the
process's one-off PyTorch import cost (a worker pays it once, not per cell). Printed: the
cell's phase timings (wall), its CPU seconds (``process_time``: on one thread what it takes
on an idle core, the steadier figure on a shared machine) and its main metrics.

``--n-samples`` sets the draws per row (the suite's count by default); the scoring reads
that many samples per row (``ScoringContext.samples``). ``--precision`` refits the model
and draws 800 fresh samples per evaluation row, to give, for m = 25 ... 200 samples per
row, the Monte Carlo standard error of the cell's CRPS (the fair estimator, unbiased at
any count: the per-row variance across disjoint m-draw subsets, averaged over rows, over
the number of rows) and the sd_rmse from m draws (its mean over the subsets; the sd's
Monte Carlo error, ~ sd / sqrt(2 (m - 1)) per row, adds to the model's error in
quadrature, so the metric rises as m falls).

Target: the CPU seconds of either cell below 60 (exit status 1 when missed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("DGPBENCH_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread, as a benchmark worker runs

import numpy as np  # noqa: E402

from dgpbench.benchmarks.cell import run_cell  # noqa: E402
from dgpbench.benchmarks.cell_spec import CellSpec, ComponentSpec, RunSettings  # noqa: E402
from dgpbench.benchmarks.metrics.distribution import crps_fair, sd_rmse  # noqa: E402
from dgpbench.benchmarks.scoring import CellData  # noqa: E402
from dgpbench.generators.registry import load_generator  # noqa: E402
from dgpbench.models.base import model_seed  # noqa: E402
from dgpbench.models.registry import load_model  # noqa: E402
from dgpbench.models.torch.diffusion import ConditionalDiffusionFitted  # noqa: E402

SUITE_PARAMS = {"hidden": 32, "steps": 50, "n_samples": 200}  # benchmarks/suites/default.yaml
GENERATORS = {"did_panel": {"n_units": 40, "n_periods": 20}, "heteroscedastic": {}}
SHOWN = ("crps", "sd_rmse", "pit_ks", "sqrt_pehe_in", "att_abs_error")
TARGET_CPU_S = 60.0


def warm_up() -> None:
    """PyTorch's import and first-use costs, which a worker pays once, outside the timing."""
    observed, _ = load_generator("heteroscedastic", n=50, n_test=0).sample(0)
    fitted = load_model("diffusion", epochs=1, hidden=8, steps=2, n_samples=2).fit(observed, 0)
    assert isinstance(fitted, ConditionalDiffusionFitted)
    fitted.mean(observed.frame[["x"]].iloc[:2])


def cell(generator: str, seed: int, params: dict) -> float:
    """Run the cell, print its timings and metrics; return its CPU seconds."""
    spec = CellSpec(
        ComponentSpec.of(load_generator(generator, **GENERATORS[generator]), GENERATORS[generator]),
        ComponentSpec.of(load_model("diffusion", **params), params),
        seed,
    )
    cpu = time.process_time()
    result = run_cell(spec, RunSettings(time_limit=3600))
    cpu = time.process_time() - cpu
    if result.status != "ok":
        raise SystemExit(f"cell {result.status}: {result.error}")
    t = result.timings
    print(f"diffusion {params} on {generator} {GENERATORS[generator]}, seed {seed}, one thread")
    print("  wall s: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
    print(f"  cpu s:  {cpu:.2f} (target < {TARGET_CPU_S:.0f})")
    values = {m["metric"]: m["value"] for m in result.metrics}
    print("  " + ", ".join(f"{k} {values[k]:.4f}" for k in SHOWN if values.get(k) is not None))
    return cpu


def precision(generator: str, seed: int, counts=(25, 50, 100, 200), total: int = 800) -> None:
    """Monte Carlo standard error of the cell's CRPS, and the sd_rmse, from m samples per row."""
    gen = load_generator(generator, **GENERATORS[generator])
    observed, truth = gen.sample(seed)
    fitted = load_model("diffusion", **SUITE_PARAMS).fit(observed, model_seed(seed))
    assert isinstance(fitted, ConditionalDiffusionFitted)
    data = CellData(gen, observed, truth, seed)
    X, y = data.features(data.eval_mask), data.y_eval
    cpu = time.process_time()
    draws = fitted.sample(X, total, np.random.default_rng(0))  # more than the pool: fresh draws
    cpu = time.process_time() - cpu
    print(f"  {len(X)} rows x {total} fresh draws in {cpu:.1f} cpu s; CRPS from all: {crps_fair(draws, y):.4f}")
    for m in counts:
        per_row = np.stack([_row_crps(draws[:, k : k + m], y) for k in range(0, total - m + 1, m)], axis=1)
        se = np.sqrt(per_row.var(axis=1, ddof=1).mean() / len(X))
        line = f"  m = {m:>3}: Monte Carlo se of the cell's CRPS {se:.5f} ({100 * se / per_row.mean():.2f} %)"
        if truth.sd is not None:
            true_sd = truth.sd(X)
            sds = [sd_rmse(draws[:, k : k + m].std(axis=1, ddof=1), true_sd) for k in range(0, total - m + 1, m)]
            line += f"; sd_rmse {np.mean(sds):.4f}"
        print(line)


def _row_crps(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fair CRPS per row (crps_fair is their mean)."""
    return np.array([crps_fair(s[None, :], y[i : i + 1]) for i, s in enumerate(samples)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", choices=sorted(GENERATORS), default="did_panel")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-samples", type=int, default=SUITE_PARAMS["n_samples"], help="draws per row")
    ap.add_argument("--precision", action="store_true", help="also the CRPS's Monte Carlo error per sample count")
    args = ap.parse_args(argv)
    warm_up()
    cpu = cell(args.generator, args.seed, {**SUITE_PARAMS, "n_samples": args.n_samples})
    if args.precision:
        precision(args.generator, args.seed)
    return 0 if cpu < TARGET_CPU_S else 1


if __name__ == "__main__":
    sys.exit(main())
