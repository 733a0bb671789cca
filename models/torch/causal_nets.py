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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Model
from dgpbench.models.torch import _nets
from dgpbench.models.torch._causal_fitted import CausalFitted, FitData, residual_sd, scaling_of, split_rows
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
    def _prepare(self, data: FitData, seed: int) -> Any:
        """Work done once per fit (DCN-PD: the propensity network); passed to ``_loss``."""
        return None

    def _batches(self, data: FitData, rng: np.random.Generator) -> list[np.ndarray]:
        return _nets.minibatches(rng, data.train, self.params.batch_size)

    def _loss(
        self,
        arch: _nets.TwoHeadArch,
        w: dict[str, torch.Tensor],
        data: FitData,
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
        train, valid = split_rows(observed, rng, p.valid_fraction)
        scaling = scaling_of(observed, train)
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
            data = FitData(
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
        fitted = CausalFitted(
            scaling, observed.roles.required("treatment"), arch, [w for w, _ in runs], [e for _, e in runs]
        )
        fitted.resid_sd = residual_sd(fitted, observed, valid, train)
        return fitted

    def _train_one(
        self, data: FitData, arch: _nets.TwoHeadArch, extra: Any, seed: int
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

    def _prepare(self, data: FitData, seed: int) -> torch.Tensor:
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

    def _batches(self, data: FitData, rng: np.random.Generator) -> list[np.ndarray]:
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
