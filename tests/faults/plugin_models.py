"""Test-only models that misbehave on purpose, loaded with ``--plugin tests/faults/plugin_models.py``.

Each declares coefficients only, so a cell that survives is scored in milliseconds:
``fault_ok`` (returns the truth of ``y = x``), ``fault_raise``, ``fault_nan``, ``fault_sleep``
(sleeps ``seconds``, first leaving ``<marker_dir>/<seed>-<pid>.pid`` holding the pid of its
parent -- the pool or Dask worker -- so a test can kill it) and ``fault_exit`` (``os._exit``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param


@dataclass(frozen=True)
class Params:
    seconds: float = param(0.0, "seconds to sleep in fit", ge=0)
    marker_dir: str = param("", "folder for the pid marker ('' = none)")
    value: float = param(0.0, "added to every estimate (NaN makes a diverged cell)")


class _Fitted(Fitted):
    def __init__(self, value: float):
        self.value = value

    def coefficients(self) -> pd.DataFrame:
        est = np.array([0.0, 1.0]) + self.value
        return pd.DataFrame(
            {"name": ["intercept", "x"], "estimate": est, "se": [0.1, 0.1], "lower": est - 0.2, "upper": est + 0.2}
        )


class _Base(Model):
    version = "1"
    Params = Params
    capabilities = Capabilities(coefficients=True)
    description = "test-only model"

    def _fit(self, observed, seed):
        return _Fitted(self.params.value)


class FaultOk(_Base):
    name = "fault_ok"


class FaultRaise(_Base):
    name = "fault_raise"

    def _fit(self, observed, seed):
        raise RuntimeError("fault_raise raised on purpose")


class FaultNaN(_Base):
    name = "fault_nan"

    def _fit(self, observed, seed):
        return _Fitted(float("nan"))


class FaultSleep(_Base):
    name = "fault_sleep"

    def _fit(self, observed, seed):
        if self.params.marker_dir:
            path = os.path.join(self.params.marker_dir, f"{seed}-{os.getpid()}.pid")
            with open(path + ".tmp", "w") as f:
                f.write(str(os.getppid()))
            os.replace(path + ".tmp", path)
        time.sleep(self.params.seconds)
        return _Fitted(self.params.value)


class FaultExit(_Base):
    name = "fault_exit"

    def _fit(self, observed, seed):
        os._exit(7)


for _cls in (FaultOk, FaultRaise, FaultNaN, FaultSleep, FaultExit):
    MODELS.register(_cls.name, _cls)
