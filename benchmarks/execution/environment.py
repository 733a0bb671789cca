"""What every worker process is given before its first cell: pinned thread counts (so that
workers x threads never oversubscribes the cores) and the imports every cell needs."""

from __future__ import annotations

import os

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "DGPBENCH_THREADS",
)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_environment(threads: int) -> dict[str, str]:
    env = {v: str(threads) for v in THREAD_VARS}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def warm_up() -> None:
    """Import what every cell needs when a worker starts, so that a cell's time limit counts
    its own work and not seconds of imports (which under load would time out the first cell
    of every fresh worker, and so every cell after a timeout). TensorFlow and PyTorch stay
    lazy: only the models that use them import them."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401

    from dgpbench.benchmarks import scoring  # noqa: F401
