"""Test-only models that take more than a cell may, loaded with ``--plugin
tests/faults/limit_models.py`` (beside ``plugin_models.py``).

``fault_memory`` holds ``mb`` MB of touched memory for a moment; ``fault_child`` starts a
``sleep 1000`` that would outlive its fit (``how``: a ``subprocess``, an ``orphan`` whose
shell parent exits at once, a ``multiprocessing`` process), writing its pid to
``<marker_dir>/<seed>-<pid>.pid``, then ends (``end``): returns, ``os._exit(5)``s, or sleeps
past any time limit; ``fault_print`` writes a marker
to stdout and stderr through Python, the file descriptor and a child process, then
``repeat`` more lines; ``fault_mutate`` changes module state that ``ols`` reads (every OLS
estimate of the process shifted by 0.5 from then on). Each then returns the truth of
``y = x``, as ``plugin_models.fault_ok`` does.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators import analyses
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param

HOWS = ("subprocess", "orphan", "multiprocessing")
ENDS = ("return", "exit", "sleep")


@dataclass(frozen=True)
class Params:
    mb: int = param(0, "MB of memory to hold", ge=0)
    how: str = param("subprocess", "how the child is started", choices=HOWS)
    marker_dir: str = param("", "folder for the child's pid file")
    end: str = param("return", "how the fit ends once the child runs", choices=ENDS)
    repeat: int = param(0, "extra lines to print", ge=0)


class _Fitted(Fitted):
    def coefficients(self) -> pd.DataFrame:
        est = np.array([0.0, 1.0])
        return pd.DataFrame(
            {"name": ["intercept", "x"], "estimate": est, "se": [0.1, 0.1], "lower": est - 0.2, "upper": est + 0.2}
        )


class _Base(Model):
    version = "1"
    Params = Params
    capabilities = Capabilities(coefficients=True)
    description = "test-only model"


class FaultMemory(_Base):
    name = "fault_memory"

    def _fit(self, observed, seed):
        held = []
        for _ in range(self.params.mb // 20):
            held.append(np.ones(20 * 2**20 // 8))  # written, so resident
            time.sleep(0.01)
        time.sleep(1.0)
        del held
        return _Fitted()


class FaultChild(_Base):
    name = "fault_child"

    def _fit(self, observed, seed):
        how = self.params.how
        print("starting a child", flush=True)
        marker = os.path.join(self.params.marker_dir, f"{seed}-{os.getpid()}-{time.monotonic_ns()}.pid")
        if how == "subprocess":
            pid = subprocess.Popen(["sleep", "1000"]).pid
        elif how == "orphan":
            subprocess.run(["sh", "-c", f"sleep 1000 & echo $! > {marker}.tmp"], check=True)
            with open(f"{marker}.tmp") as f:
                pid = int(f.read())
        else:
            child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(1000,))
            child.start()
            pid = child.pid
        with open(f"{marker}.tmp", "w") as f:
            f.write(str(pid))
        os.replace(f"{marker}.tmp", marker)
        if self.params.end == "exit":
            os._exit(5)
        if self.params.end == "sleep":
            time.sleep(1000)
        return _Fitted()


class FaultPrint(_Base):
    name = "fault_print"

    def _fit(self, observed, seed):
        print("marker-print-stdout")
        print("marker-print-stderr", file=sys.stderr)
        os.write(1, b"marker-fd-1\n")
        os.write(2, b"marker-fd-2\n")
        subprocess.run(["echo", "marker-child"], check=True)
        for i in range(self.params.repeat):
            print(f"line {i} " + "x" * 100)
        print("marker-last-line")
        return _Fitted()


class FaultMutate(_Base):
    name = "fault_mutate"

    def _fit(self, observed, seed):
        if not getattr(analyses.ols_hc1, "mutated", False):
            original = analyses.ols_hc1

            def shifted(*args, **kwargs):
                table = original(*args, **kwargs)
                for column in ("estimate", "lower", "upper"):
                    table[column] = table[column] + 0.5
                return table

            shifted.mutated = True  # type: ignore[attr-defined]
            analyses.ols_hc1 = shifted
        return _Fitted()


for _cls in (FaultMemory, FaultChild, FaultPrint, FaultMutate):
    MODELS.register(_cls.name, _cls)
