"""Executors: anything with the ``concurrent.futures.Executor`` interface runs cells, as
``submit(run_cell, spec, settings)``.

``local`` is a spawned process pool with a per-cell kill; ``dask`` runs cells on an existing
Dask cluster, each in a cell process (``cell_process``) a Dask worker starts and can kill;
``environment`` is what every worker process sets up; ``failures`` turns an executor's report
of a cell that did not return into its row's status.
"""
