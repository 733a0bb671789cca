"""A test-only model that ends its cell in one of the ways a cell boundary must survive,
loaded with ``--plugin tests/faults/boundary_models.py`` (beside ``plugin_models.py``, whose
``fault_raise`` and ``fault_nan`` cover an exception and non-finite estimates).

``fault_misbehave`` with ``how``: ``sys_exit`` (``sys.exit(3)``), ``keyboard_interrupt``
(raises ``KeyboardInterrupt`` itself), ``sigint`` (sends its own process a real SIGINT, as a
user's Ctrl-C would), ``exit0`` and ``exit3`` (``os._exit`` with that code), ``surrogate``
(raises with a message holding a lone surrogate, as ``os.fsdecode`` of a non-UTF-8 file name
gives). No way returns a fitted model.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass

from dgpbench.models.base import Capabilities, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param

WAYS = ("sys_exit", "keyboard_interrupt", "sigint", "exit0", "exit3", "surrogate")


@dataclass(frozen=True)
class Params:
    how: str = param("sys_exit", "how the fit ends", choices=WAYS)


class FaultMisbehave(Model):
    name = "fault_misbehave"
    version = "1"
    Params = Params
    capabilities = Capabilities(coefficients=True)
    description = "test-only model that ends its fit badly on purpose"

    def _fit(self, observed, seed):
        how = self.params.how
        if how == "sys_exit":
            sys.exit(3)
        if how == "keyboard_interrupt":
            raise KeyboardInterrupt
        if how == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1.0)  # the signal's handler raises meanwhile, where SIGINT is not ignored
            raise RuntimeError("SIGINT was ignored")
        if how == "exit0":
            os._exit(0)
        if how == "exit3":
            os._exit(3)
        raise RuntimeError("cannot read " + os.fsdecode(b"caf\xe9"))


MODELS.register(FaultMisbehave.name, FaultMisbehave)
