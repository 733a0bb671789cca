"""Executors: anything with the ``concurrent.futures.Executor`` interface runs cells, as
``submit(run_cell, spec, settings)``.

Every cell runs in a cell process (``cell_process``) that its parent watches and can kill:
``local`` drives them from threads of the runner, ``dask`` from tasks on an existing Dask
cluster; ``process_tree`` measures and stops a cell process with everything it started;
``environment`` is what every cell process sets up; ``failures`` turns an executor's report
of a cell that did not return into its row's status.
"""
