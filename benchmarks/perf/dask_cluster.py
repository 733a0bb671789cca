"""A throwaway Dask cluster of real ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1, for the fault tests, the scale figures and trying ``--scheduler`` (``make cluster``
is the foreground equivalent). Not part of the library: dgpbench runs on clusters it is given.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from dgpbench.benchmarks.execution.environment import worker_environment


class DaskProcesses:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (random free ports).

    For tests and perf figures; ``make cluster`` is the foreground equivalent. Each worker has
    one thread and the thread variables pinned; logs go to ``folder``. Use as a context manager.
    """

    def __init__(self, folder: str | os.PathLike, n_workers: int = 2, timeout: float = 120.0):
        self.folder = os.fspath(folder)
        self.n_workers = n_workers
        self.timeout = timeout
        self.scheduler_file = os.path.join(self.folder, "scheduler.json")
        self.procs: list[subprocess.Popen] = []
        self.address = ""

    def _dask(self) -> list[str]:
        script = os.path.join(os.path.dirname(sys.executable), "dask")
        return [script] if os.path.exists(script) else [sys.executable, "-m", "dask"]

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        env = {**os.environ, **worker_environment(1)}
        with open(os.path.join(self.folder, log), "ab") as f:
            proc = subprocess.Popen(
                self._dask() + args,
                stdout=f,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def start(self) -> DaskProcesses:
        os.makedirs(self.folder, exist_ok=True)
        self._spawn(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                self.scheduler_file,
            ],
            "scheduler.log",
        )
        deadline = time.monotonic() + self.timeout
        while not os.path.exists(self.scheduler_file):
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.close()
                raise RuntimeError(f"dask scheduler did not start; see {self.folder}/scheduler.log")
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go, but give it a moment
        with open(self.scheduler_file) as f:
            self.address = json.load(f)["address"]
        for i in range(self.n_workers):
            self.add_worker(f"worker-{i}")
        self.wait_for_workers(self.n_workers)
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        return self._spawn(
            [
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--death-timeout",
                "60",
                "--local-directory",
                os.path.join(self.folder, name),
            ],
            f"{name}.log",
        )

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            try:
                client.wait_for_workers(n, timeout=self.timeout)
            except TimeoutError:
                self.close()
                raise RuntimeError(
                    f"{n} dask workers did not join within {self.timeout:g} s; see the logs in {self.folder}"
                ) from None

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.procs.clear()

    def __enter__(self) -> DaskProcesses:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
