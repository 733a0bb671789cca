"""Speed and memory of the ``did_panel`` generator against the source's construction.

Run: ``python benchmarks/perf/generators_perf.py [--units 1000 --periods 1000]``.

Times, in one process and at the same size (10^6 rows by default):

1. ``source``: a transcription of the source notebook's construction -- an
   ``itertools.product`` of units and periods, three merges (unit effects, time effects,
   treatment), and a per-row ``apply`` for the post flag;
2. ``floor``: drawing the random numbers alone (unit effects, treatment, x, noise), the
   least any generator of this panel must spend;
3. ``ours``: ``did_panel`` building the observed frame with its full truth.

It prints the median of several repeats, and the peak traced memory (``tracemalloc``) of
one ``sample`` against the bytes it returns (frame plus truth arrays). Targets: ours
<= 0.1 s, >= 5x faster than the source, peak <= 2x what is returned. Exit status 1 when a
target is missed, so the script can gate CI.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import pickle
import statistics
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from dgpbench.generators.registry import load_generator

BETA_X, TAU, TREND, T0_FRACTION = 1.1, 0.5, 0.01, 0.5


def source_panel(n_units: int, n_periods: int, seed: int) -> pd.DataFrame:
    """The source's construction, transcribed (unit ids 1..N, noise-free outcome)."""
    rng = np.random.default_rng(seed)
    t0 = int(n_periods * T0_FRACTION)
    units, periods = range(1, n_units + 1), range(n_periods)
    df = pd.DataFrame(list(itertools.product(units, periods)), columns=["unit", "time"])
    unit_effects = pd.DataFrame({"unit": units, "unit_effect": rng.normal(0, 1, n_units)})
    time_effects = pd.DataFrame({"time": periods, "time_effect": [TREND * t for t in periods]})
    treatment = pd.DataFrame({"unit": units, "treated": rng.binomial(1, 0.5, n_units)})
    df = df.merge(unit_effects, on="unit").merge(time_effects, on="time").merge(treatment, on="unit")
    df["post"] = df.apply(lambda row: 1 if row["time"] >= t0 else 0, axis=1)
    df["x"] = rng.normal(0, 1, len(df))
    df["y"] = df["unit_effect"] + df["time_effect"] + BETA_X * df["x"] + TAU * df["treated"] * df["post"]
    return df


def random_floor(n_units: int, n_periods: int, seed: int) -> None:
    """Only the draws ``did_panel`` makes: a_i, treated_i, x_it and e_it."""
    rng = np.random.default_rng(seed)
    rng.standard_normal(n_units)
    rng.random(n_units)
    rng.standard_normal(n_units * n_periods)
    rng.standard_normal(n_units * n_periods)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn(seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def array_bytes(a: np.ndarray) -> int:
    """Bytes an array actually holds (a broadcast view of one value holds one item)."""
    return a.itemsize if a.ndim == 1 and len(a) and a.strides[0] == 0 else a.nbytes


def returned_bytes(observed, truth) -> tuple[int, int]:
    """(frame + split bytes, truth row-array bytes), counting a shared array once."""
    frame = int(observed.frame.memory_usage(index=True, deep=True).sum()) + array_bytes(observed.split)
    seen, arrays = set(), 0
    for name in ("mu0", "mu1", "y0", "y1"):
        a = getattr(truth, name)
        if a is not None and id(a) not in seen:
            seen.add(id(a))
            arrays += array_bytes(a)
    return frame, arrays


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--periods", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=11, help="repeats of floor and ours")
    ap.add_argument("--source-repeats", type=int, default=3, help="repeats of the slow source")
    args = ap.parse_args(argv)
    n_units, n_periods = args.units, args.periods
    gen = load_generator("did_panel", n_units=n_units, n_periods=n_periods)
    gen.sample(0)  # warm imports and caches

    ours = median_seconds(lambda s: gen.sample(s), args.repeats)
    floor = median_seconds(lambda s: random_floor(n_units, n_periods, s), args.repeats)
    source = median_seconds(lambda s: source_panel(n_units, n_periods, s), args.source_repeats)

    gc.collect()
    tracemalloc.start()
    observed, truth = gen.sample(1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    frame_b, truth_b = returned_bytes(observed, truth)
    law_b = len(pickle.dumps(truth.mean))

    rows = n_units * n_periods
    mb = 1e6
    print(
        f"did_panel {n_units} units x {n_periods} periods = {rows:,} rows "
        f"(median of {args.repeats}; source median of {args.source_repeats})"
    )
    print(f"{'':<34}{'seconds':>10}{'x floor':>10}")
    print(f"{'source (product, 3 merges, apply)':<34}{source:>10.3f}{source / floor:>10.1f}")
    print(f"{'floor (random draws only)':<34}{floor:>10.3f}{1.0:>10.1f}")
    print(f"{'ours (did_panel.sample + truth)':<34}{ours:>10.3f}{ours / floor:>10.1f}")
    print(f"speed-up over source: {source / ours:.1f}x")
    print(
        f"memory: peak traced {peak / mb:.1f} MB; returned {(frame_b + truth_b) / mb:.1f} MB "
        f"(frame {frame_b / mb:.1f} + truth arrays {truth_b / mb:.1f}); "
        f"ratio {peak / (frame_b + truth_b):.2f}; pickled truth.mean {law_b / 1e3:.1f} kB"
    )

    checks = {
        "ours <= 0.1 s": ours <= 0.1,
        "speed-up >= 5x": source / ours >= 5,
        "peak <= 2x returned": peak <= 2 * (frame_b + truth_b),
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'MISSED'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
