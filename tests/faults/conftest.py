"""Fault tests: a real Dask cluster for the session (see ``faults_support`` for the helpers)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A real two-worker Dask cluster on 127.0.0.1: separate ``dask scheduler`` and
    ``dask worker`` processes on random free ports, torn down at the end of the session."""
    pytest.importorskip("distributed")
    from dgpbench.benchmarks.perf.dask_cluster import DaskProcesses

    cluster = DaskProcesses(tmp_path_factory.mktemp("dask"), n_workers=2, timeout=120)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.close()
