"""What the causal networks fit and predict with, apart from the networks themselves: the
rows and scaling of a fit, the train/valid split, and the fitted ensemble (potential
outcomes from the two heads, a Gaussian y | x, t around the arm's head)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.models.base import Fitted
from dgpbench.models.holdout import held_out
from dgpbench.models.outcomes import NormalOutcome
from dgpbench.models.torch import _nets

if TYPE_CHECKING:  # PyTorch is imported inside functions only (see _nets)
    import torch


@dataclass
class FitData:
    """Fit rows as tensors on the standardised scale, with train/valid row indices."""

    x: torch.Tensor
    t: torch.Tensor
    y: torch.Tensor
    train: np.ndarray
    valid: np.ndarray


@dataclass
class Scaling:
    covariates: tuple[str, ...]
    x_mean: np.ndarray
    x_sd: np.ndarray
    y_mean: float
    y_sd: float

    def x(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame[list(self.covariates)].to_numpy(dtype=float)
        return ((x - self.x_mean) / self.x_sd).astype(np.float32)


def scaling_of(observed: Observed, train: np.ndarray) -> Scaling:
    """Standardise non-binary covariates (on the fit rows) and the outcome (on train rows)."""
    cov = tuple(observed.roles.covariates)
    x = observed.frame[list(cov)].to_numpy(dtype=float)
    binary = np.all((x == 0) | (x == 1), axis=0)
    mean = np.where(binary, 0.0, x.mean(axis=0))
    sd = np.where(binary, 1.0, x.std(axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    y = observed.y[train]
    return Scaling(cov, mean, sd, float(y.mean()), float(y.std()) or 1.0)


def split_rows(observed: Observed, rng: np.random.Generator, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Train/valid row indices: the data's own split, else a hold-out stratified by arm."""
    t = observed.frame[observed.roles.required("treatment")].to_numpy()

    def stratified(n: int) -> np.ndarray:
        rows = [rng.permutation(np.flatnonzero(t == arm)) for arm in (0, 1)]
        return np.concatenate([r[: min(len(r) - 1, max(1, round(fraction * len(r))))] for r in rows])  # >= 1 trains

    held = held_out(observed, stratified)
    return np.flatnonzero(~held), np.flatnonzero(held)


class CausalFitted(Fitted, NormalOutcome):
    """An ensemble of two-headed nets: potential outcomes and a Gaussian y | x, t.

    ``weights`` holds each member's tensors (CPU, detached), so the object pickles as is."""

    def __init__(
        self,
        scaling: Scaling,
        treatment: str,
        arch: _nets.TwoHeadArch,
        weights: list[dict[str, torch.Tensor]],
        best_epochs: list[int],
    ):
        self.scaling, self.treatment, self.arch, self.weights = scaling, treatment, arch, weights
        self.best_epochs = best_epochs  # early-stopping epoch of each member (diagnostic)
        self.resid_sd = np.ones(2)  # per arm, set by the model after training

    def _both(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with _nets.torch_env(), torch.no_grad():
            x = torch.from_numpy(self.scaling.x(X))
            q = np.mean([[o.double().numpy() for o in self.arch.both(w, x)[:2]] for w in self.weights], axis=0)
        s = self.scaling
        return s.y_mean + s.y_sd * q[0], s.y_mean + s.y_sd * q[1]

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self._both(X)[0]

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self._both(X)[1]

    def _arm(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.treatment].to_numpy().astype(int)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        m0, m1 = self._both(X)
        return np.where(self._arm(X) == 1, m1, m0)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self.resid_sd[self._arm(X)]


def residual_sd(fitted: CausalFitted, observed: Observed, valid: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Root mean squared factual residual per arm on the validation rows (train rows when an
    arm has fewer than two validation rows)."""
    t = observed.frame[observed.roles.treatment].to_numpy().astype(int)
    resid = observed.y - fitted.mean(observed.frame)
    out = np.ones(2)
    for arm in (0, 1):
        rows = valid[t[valid] == arm]
        rows = rows if len(rows) >= 2 else train[t[train] == arm]
        out[arm] = max(float(np.sqrt(np.mean(resid[rows] ** 2))), 1e-6)
    return out
