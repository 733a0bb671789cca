"""A test-only model that ends its cell in one of the ways a cell boundary must survive,
loaded with ``--plugin tests/faults/boundary_models.py`` (beside ``plugin_models.py``).

``fault_misbehave`` with ``how``: ``raise`` (an Exception), ``nan`` (non-finite estimates),
``sys_exit`` (``sys.exit(3)``), ``keyboard_interrupt`` (raises ``KeyboardInterrupt`` itself),
``sigint`` (sends its own process a real SIGINT, as a user's Ctrl-C would), ``exit0`` and
``exit3`` (``os._exit`` with that code), ``surrogate`` (raises with a message holding a lone
surrogate, as ``os.fsdecode`` of a non-UTF-8 file name gives).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param

WAYS = ("raise", "nan", "sys_exit", "keyboard_interrupt", "sigint", "exit0", "exit3", "surrogate")


@dataclass(frozen=True)
class Params:
    how: str = param("raise", "how the fit ends", choices=WAYS)


class _Fitted(Fitted):
    def __init__(self, value: float):
        self.value = value

    def coefficients(self) -> pd.DataFrame:
        est = np.array([0.0, 1.0]) + self.value
        return pd.DataFrame(
            {"name": ["intercept", "x"], "estimate": est, "se": [0.1, 0.1], "lower": est - 0.2, "upper": est + 0.2}
        )


class FaultMisbehave(Model):
    name = "fault_misbehave"
    version = "1"
    Params = Params
    capabilities = Capabilities(coefficients=True)
    description = "test-only model that ends its fit badly on purpose"

    def _fit(self, observed, seed):
        how = self.params.how
        if how == "nan":
            return _Fitted(float("nan"))
        if how == "sys_exit":
            sys.exit(3)
        if how == "keyboard_interrupt":
            raise KeyboardInterrupt
        if how == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1.0)  # the signal's handler runs meanwhile (where SIGINT is not ignored)
            return _Fitted(0.0)
        if how == "exit0":
            os._exit(0)
        if how == "exit3":
            os._exit(3)
        if how == "surrogate":
            raise RuntimeError("cannot read " + os.fsdecode(b"caf\xe9"))
        raise RuntimeError("fault_misbehave raised on purpose")


MODELS.register(FaultMisbehave.name, FaultMisbehave)
