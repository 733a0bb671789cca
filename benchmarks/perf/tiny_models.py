"""Tiny models for the harness and scale figures, loaded with ``--plugin benchmarks/perf/tiny_models.py``.

``tiny_const`` does no work at all (its coefficients are the truth of ``y = x``), so a cell of
it measures the harness; ``tiny_sleep`` sleeps ``seconds`` and uses no CPU, so a suite of it
measures how well workers overlap, even on a busy machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS
from dgpbench.params import param


@dataclass(frozen=True)
class SleepParams:
    seconds: float = param(1.0, "seconds to sleep in fit", ge=0, le=3600)


class _Line(Fitted):
    def coefficients(self) -> pd.DataFrame:
        est = np.array([0.0, 1.0])
        return pd.DataFrame(
            {"name": ["intercept", "x"], "estimate": est, "se": [0.1, 0.1], "lower": est - 0.2, "upper": est + 0.2}
        )


class TinyConst(Model):
    name = "tiny_const"
    description = "returns y = x without looking at the data (harness cost only)"
    capabilities = Capabilities(coefficients=True)

    def _fit(self, observed, seed):
        return _Line()


class TinySleep(Model):
    name = "tiny_sleep"
    description = "sleeps, then returns y = x (a cell of known length that needs no CPU)"
    Params = SleepParams
    capabilities = Capabilities(coefficients=True)

    def _fit(self, observed, seed):
        time.sleep(self.params.seconds)
        return _Line()


MODELS.register("tiny_const", TinyConst)
MODELS.register("tiny_sleep", TinySleep)
