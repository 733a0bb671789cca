"""Causal neural networks for a binary treatment: TARNet, DCN-PD and Dragonnet.

All three share representation layers and carry one outcome head per treatment arm
(Shalit, Johansson & Sontag 2017; Alaa, Weisz & van der Schaar 2017; Shi, Blei & Veitch
2019). They train on **factual outcomes only**: the source's DCN loop regressed on
y_f - y_cf, i.e. on the counterfactual, which real data never has; here ``fit`` receives
the observed train/valid rows and nothing else.

Recipe (shared by the three, in :class:`CausalNet`): covariates that are not 0/1 and the
outcome are standardised (predictions are un-standardised); 200-unit ELU layers; Adam
with L2 weight decay; mini-batches; early stopping on the factual MSE of the ``valid``
rows, restoring the best weights; optionally an ensemble over initialisations. The predictive
distribution of y given (x, t) is Gaussian around the arm's head with a residual sd per
arm estimated on the validation rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.torch import _nets
from dgpbench.params import param

if TYPE_CHECKING:  # PyTorch is imported inside functions only (see _nets)
    import torch


@dataclass(frozen=True)
class NetParams:
    epochs: int = param(200, "maximum training epochs (early stopping usually ends sooner)", ge=1)
    hidden: int = param(200, "units of each shared representation layer", ge=1)
    layers: int = param(3, "shared representation layers", ge=1)
    head_hidden: int = param(100, "units of each outcome-head layer", ge=1)
    head_layers: int = param(2, "hidden layers of each outcome head", ge=0)
    lr: float = param(2e-3, "Adam learning rate", gt=0)
    weight_decay: float = param(3e-2, "L2 penalty on the weight matrices", ge=0)
    batch_size: int = param(128, "rows per mini-batch (0: full batch)", ge=0)
    patience: int = param(30, "epochs without validation improvement before stopping", ge=1)
    ensemble: int = param(1, "networks trained from different initialisations and averaged", ge=1)
    valid_fraction: float = param(
        0.3, "share of the fit rows held out for early stopping when the data has no 'valid' rows", gt=0, lt=1
    )


@dataclass(frozen=True)
class DragonnetParams(NetParams):
    alpha: float = param(1.0, "weight of the propensity head's cross-entropy", ge=0)
    beta: float = param(1.0, "weight of the targeted regularisation term", ge=0)


@dataclass(frozen=True)
class DCNPDParams(NetParams):
    gamma: float = param(1.0, "propensity-dropout offset: drop rate 1 - gamma/2 - H(e(x))/2", ge=0, le=1)
    propensity_hidden: int = param(32, "units of the propensity network's hidden layer", ge=1)


SMOKE = {"epochs": 4, "hidden": 16, "head_hidden": 8, "patience": 2}  # fits in well under a second


@dataclass
class _Data:
    """Fit rows as tensors on the standardised scale, with train/valid row indices."""

    x: torch.Tensor
    t: torch.Tensor
    y: torch.Tensor
    train: np.ndarray
    valid: np.ndarray


@dataclass
class _Scaling:
    covariates: tuple[str, ...]
    x_mean: np.ndarray
    x_sd: np.ndarray
    y_mean: float
    y_sd: float

    def x(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame[list(self.covariates)].to_numpy(dtype=float)
        return ((x - self.x_mean) / self.x_sd).astype(np.float32)


def _scaling(observed: Observed, train: np.ndarray) -> _Scaling:
    """Standardise non-binary covariates (on the fit rows) and the outcome (on train rows)."""
    cov = tuple(observed.roles.covariates)
    x = observed.frame[list(cov)].to_numpy(dtype=float)
    binary = np.all((x == 0) | (x == 1), axis=0)
    mean = np.where(binary, 0.0, x.mean(axis=0))
    sd = np.where(binary, 1.0, x.std(axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    y = observed.y[train]
    return _Scaling(cov, mean, sd, float(y.mean()), float(y.std()) or 1.0)


def _split(observed: Observed, rng: np.random.Generator, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Train/valid row indices: the data's own split, else a stratified random hold-out."""
    valid = observed.mask("valid")
    if valid.any() and (~valid).any():
        return np.flatnonzero(~valid), np.flatnonzero(valid)
    t = observed.frame[observed.roles.treatment].to_numpy()
    held = np.zeros(len(t), bool)
    for arm in (0, 1):
        rows = rng.permutation(np.flatnonzero(t == arm))
        held[rows[: min(len(rows) - 1, max(1, round(fraction * len(rows))))]] = True  # keep >= 1 to train
    return np.flatnonzero(~held), np.flatnonzero(held)


class CausalFitted(Fitted):
    """An ensemble of two-headed nets: potential outcomes and a Gaussian y | x, t.

    ``weights`` holds each member's tensors (CPU, detached), so the object pickles as is."""

    def __init__(
        self,
        scaling: _Scaling,
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

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        m, s = self.mean(X), self.sd(X)
        return m[:, None] + s[:, None] * rng.standard_normal((len(m), n_samples))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        m, s = self.mean(X), self.sd(X)
        return -0.5 * ((np.asarray(y, float) - m) / s) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi)


class CausalNet(Model):
    """Base of the three: data checks, scaling, the ensemble, early stopping, prediction.

    A subclass sets ``_propensity_head``/``_epsilon`` (the net's extra parts) and may
    override ``_loss`` (the training objective on a batch), ``_batches`` (the order rows
    are seen in) and ``_prepare`` (work done once per fit, before the ensemble)."""

    version: ClassVar[str] = "1"
    Params: ClassVar[type] = NetParams
    capabilities: ClassVar[Capabilities] = Capabilities(conditional=True, log_density=True, potential_outcomes=True)
    smoke_params: ClassVar[dict[str, Any]] = SMOKE
    _propensity_head: ClassVar[bool] = False
    _epsilon: ClassVar[bool] = False

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        if roles.treatment is None:
            return False, "needs a binary treatment role; this data has no treatment column"
        if roles.unit is not None or roles.time is not None:
            return False, (
                "panel data (unit/time roles): the networks treat rows as independent "
                "units and cannot use the panel structure"
            )
        if not roles.covariates:
            return False, "needs at least one covariate"
        frame = observed.frame
        if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in roles.covariates):
            return False, "covariates must be numeric"
        if frame[list(roles.covariates)].isna().any().any():
            return False, "covariates have missing values"
        t = frame[roles.treatment]
        if not pd.api.types.is_numeric_dtype(t) or not t.isin([0, 1]).all():
            return False, f"treatment {roles.treatment!r} must be binary 0/1"
        fit_t = t[observed.mask("train", "valid")]
        if fit_t.nunique() < 2:
            return False, "the fit rows must hold both treated and control units"
        return True, ""

    # --- the parts a subclass may change -------------------------------------------------
    def _prepare(self, data: _Data, seed: int) -> Any:
        """Work done once per fit (DCN-PD: the propensity network); passed to ``_loss``."""
        return None

    def _batches(self, data: _Data, rng: np.random.Generator) -> list[np.ndarray]:
        return _nets.minibatches(rng, data.train, self.params.batch_size)

    def _loss(
        self,
        arch: _nets.TwoHeadArch,
        w: dict[str, torch.Tensor],
        data: _Data,
        rows: np.ndarray,
        extra: Any,
        gen: torch.Generator,
    ) -> torch.Tensor:
        q, _ = arch.factual(w, data.x[rows], data.t[rows])
        return ((data.y[rows] - q) ** 2).mean()

    # --- shared machinery -----------------------------------------------------------------
    def _fit(self, observed: Observed, seed: int) -> CausalFitted:
        import torch

        p = self.params
        rng = np.random.default_rng(seed)
        train, valid = _split(observed, rng, p.valid_fraction)
        scaling = _scaling(observed, train)
        t = observed.frame[observed.roles.treatment].to_numpy(dtype=float)
        arch = _nets.TwoHeadArch(
            len(scaling.covariates),
            p.hidden,
            p.layers,
            p.head_hidden,
            p.head_layers,
            self._propensity_head,
            self._epsilon,
        )
        with _nets.torch_env():
            data = _Data(
                torch.from_numpy(scaling.x(observed.frame)),
                torch.as_tensor(t, dtype=torch.float32),
                torch.as_tensor((observed.y - scaling.y_mean) / scaling.y_sd, dtype=torch.float32),
                train,
                valid,
            )
            extra = self._prepare(data, seed)
            runs = [
                self._train_one(data, arch, extra, int(s))
                for s in np.random.SeedSequence(seed).generate_state(p.ensemble)
            ]
        fitted = CausalFitted(scaling, observed.roles.treatment, arch, [w for w, _ in runs], [e for _, e in runs])
        fitted.resid_sd = _residual_sd(fitted, observed, valid, train)
        return fitted

    def _train_one(
        self, data: _Data, arch: _nets.TwoHeadArch, extra: Any, seed: int
    ) -> tuple[dict[str, torch.Tensor], int]:
        """One ensemble member: its best weights and the epoch they come from."""
        import torch

        p = self.params
        gen = torch.Generator().manual_seed(seed)
        rng = np.random.default_rng(seed)
        w = _nets.init_weights(arch.shapes(), gen)
        xv, tv, yv = data.x[data.valid], data.t[data.valid], data.y[data.valid]

        def valid_loss() -> float:
            return float(((yv - arch.factual(w, xv, tv)[0]) ** 2).mean())

        return _nets.train(
            w,
            lambda rows: self._loss(arch, w, data, rows, extra, gen),
            valid_loss,
            lambda: self._batches(data, rng),
            epochs=p.epochs,
            lr=p.lr,
            weight_decay=p.weight_decay,
            patience=p.patience,
        )


def _residual_sd(fitted: CausalFitted, observed: Observed, valid: np.ndarray, train: np.ndarray) -> np.ndarray:
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


class TARNet(CausalNet):
    name = "tarnet"
    description = "TARNet: shared representation, one outcome head per arm, factual MSE (Shalit et al. 2017)"


class Dragonnet(CausalNet):
    name = "dragonnet"
    description = "Dragonnet: TARNet plus a propensity head and targeted regularisation (Shi et al. 2019)"
    Params = DragonnetParams
    _propensity_head = True
    _epsilon = True

    def _loss(self, arch, w, data, rows, extra, gen):
        from torch.nn import functional as F

        t, y = data.t[rows], data.y[rows]
        q, logit = arch.factual(w, data.x[rows], t)
        g = (logit.sigmoid() + 0.01) / 1.02  # as in the reference code: keeps 1/g finite
        perturbed = q + w["epsilon"] * (t / g - (1 - t) / (1 - g))
        return (
            ((y - q) ** 2).mean()
            + self.params.alpha * F.binary_cross_entropy(g, t)
            + self.params.beta * ((y - perturbed) ** 2).mean()
        )


class DCNPD(CausalNet):
    name = "dcn_pd"
    description = (
        "DCN-PD: two-headed net whose head dropout rate per row follows the estimated "
        "propensity; treated and control batches alternate (Alaa et al. 2017)"
    )
    Params = DCNPDParams

    def _prepare(self, data: _Data, seed: int) -> torch.Tensor:
        """Fit the propensity network (BCE, early stopping on the valid rows) and return every
        row's keep probability 1 - drop, drop = 1 - gamma/2 - H(e(x))/2 (H in bits)."""
        import torch
        from torch.nn import functional as F

        p = self.params
        gen = torch.Generator().manual_seed(seed)
        rng = np.random.default_rng([seed, 1])
        arch = _nets.LogitArch(data.x.shape[1], p.propensity_hidden, 1)
        w = _nets.init_weights(arch.shapes(), gen)

        def bce(rows: np.ndarray) -> torch.Tensor:
            return F.binary_cross_entropy_with_logits(arch.logit(w, data.x[rows]), data.t[rows])

        w, _ = _nets.train(
            w,
            bce,
            lambda: float(bce(data.valid)),
            lambda: _nets.minibatches(rng, data.train, p.batch_size),
            epochs=p.epochs,
            lr=p.lr,
            weight_decay=p.weight_decay,
            patience=p.patience,
        )
        with torch.no_grad():
            e = arch.logit(w, data.x).sigmoid().clamp(1e-6, 1 - 1e-6)
        entropy = -(e * e.log2() + (1 - e) * (1 - e).log2())
        return (p.gamma / 2 + entropy / 2).clamp(min=0.05)  # floor: gamma = 0 could keep nothing

    def _batches(self, data: _Data, rng: np.random.Generator) -> list[np.ndarray]:
        """Each arm's rows cut into the same number k of batches (k = train rows / 2 batch
        sizes), seen alternately treated, control, treated, ...: every row once an epoch."""
        t = data.t[data.train].numpy() > 0.5
        size = self.params.batch_size or len(data.train)
        k = max(1, round(len(data.train) / (2 * size)))
        arms = [np.array_split(rng.permutation(data.train[t == a]), k) for a in (1, 0)]
        return [b for pair in zip(*arms) for b in pair if len(b)]

    def _loss(self, arch, w, data, rows, keep, gen):
        q, _ = arch.factual(w, data.x[rows], data.t[rows], keep=(keep[rows], gen))
        return ((data.y[rows] - q) ** 2).mean()
