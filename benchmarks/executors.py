"""Transitional: ``cli/main.py`` still imports ``dask_executor`` from here. Once the command
line imports it from :mod:`dgpbench.benchmarks.execution.dask`, delete this module."""

from dgpbench.benchmarks.execution.dask import dask_executor

__all__ = ["dask_executor"]
