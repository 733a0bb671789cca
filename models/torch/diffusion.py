"""Tabular DDPM (SPEC §2 ``diffusion``): two registered models sharing one implementation.

* :class:`Diffusion` (``diffusion``) denoises only the outcome, conditioned on the encoded
  inputs (covariates, treatment, group, unit, time): the conditional distribution of y by
  sampling (mean and sd from draws), potential outcomes by setting the treatment.
* :class:`DiffusionJoint` (``diffusion_joint``) denoises whole encoded rows and samples
  synthetic rows with the observed role columns and dtypes.

As in the source: a variance-preserving continuous-time process with
``alpha_bar = 1 - beta_bar``, ``beta_bar(t) = 0.99996 (s(t) - s(0)) / (s(1) - s(0))``,
``s(t) = sigmoid(6 (t - 0.5))``; noise-prediction MSE; a 64-d sinusoidal time embedding
through an MLP; an encoder Linear -> LayerNorm -> SiLU -> Linear and three residual blocks
of that shape; AdamW (3e-4); ancestral sampling over 1,000 equal steps (``steps``; fewer
is the faster sampler: the same chain, strided). Changes, each measured in
``benchmarks/perf/diffusion_perf.py`` or the tests: mini-batches (1,024 rows) instead of
full-batch epochs; a cosine-decayed learning rate; early stopping on held-out rows, which
stops small data being memorised; x0 predictions clipped to the widened data range; the
conditioning and the time embedding computed once per chain, not once per step.

Preprocessing round-trips (:class:`~dgpbench.models.torch._common.TabularCodec`): numeric
columns standardised, categorical ones (group and unit ids always; integer-valued columns
with few levels, such as a 0/1 treatment or a class) one-hot encoded, decoded by argmax.

PyTorch is imported only inside the methods that fit and sample (the network lives in
:mod:`._diffusion_net`), so listing models and validating suites never import it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed, Roles
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.holdout import held_out
from dgpbench.models.outcomes import SetTreatment
from dgpbench.models.torch._common import TabularCodec

if TYPE_CHECKING:
    from dgpbench.models.torch._diffusion_net import Denoiser
from dgpbench.params import param

MAX_WIDTH = 2000  # refuse data whose encoding is wider than this
BITS_ABOVE = 8  # joint mode: categoricals with more levels are generated as analog bits


# --------------------------------------------------------------------------- fitted objects

CHUNK_FLOATS = 65536  # activations per sampling chain: rows = CHUNK_FLOATS // hidden (cache-sized)


class _DiffusionFitted(Fitted):
    """Weights as numpy arrays (picklable, device-free); the network is rebuilt lazily."""

    def __init__(self, net: Denoiser, *, steps: int, seed: int, clip: np.ndarray, history: dict):
        self.state = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
        self.shape: tuple[int, int, int] = (net.d_noisy, net.d_cond, net.hidden)
        self.steps, self.seed, self.clip, self.history = steps, seed, clip, history

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache")}

    @property
    def net(self) -> Denoiser:
        import torch

        from dgpbench.models.torch._diffusion_net import Denoiser

        if "_cache_net" not in self.__dict__:
            net = Denoiser(*self.shape)
            net.load_state_dict({k: torch.from_numpy(v) for k, v in self.state.items()})
            self._cache_net = net.eval()
        return self._cache_net

    def _draw(self, cond: np.ndarray | None, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` reverse-process draws (encoded space), in chains of a cache-sized number of rows."""
        import torch

        from dgpbench.models.torch._diffusion_net import _torch_seed, sample_chain
        from dgpbench.models.torch._nets import torch_env

        gen = _torch_seed(rng)
        lo, hi = (torch.as_tensor(c, dtype=torch.float32) for c in self.clip)
        out, chunk = [], max(64, CHUNK_FLOATS // self.shape[2])
        with torch_env():
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                c = None if cond is None else torch.as_tensor(cond[start : start + m], dtype=torch.float32)
                out.append(sample_chain(self.net, c, m, self.steps, gen, clip=(lo, hi)).numpy())
        return np.concatenate(out, axis=0) if out else np.zeros((0, self.shape[0]))


class ConditionalDiffusionFitted(_DiffusionFitted, SetTreatment):
    """y | inputs by sampling: mean and sd from ``n_samples`` draws per distinct input row.
    Potential outcomes set the treatment column, in the dtype it was encoded with."""

    def __init__(self, net, *, roles: Roles, codec_x: TabularCodec, codec_y: TabularCodec, n_samples: int, **kw):
        super().__init__(net, **kw)
        self.roles, self.codec_x, self.codec_y, self.n_samples = roles, codec_x, codec_y, n_samples
        self._treatment = roles.treatment
        self._treatment_dtype = next((c.dtype for c in codec_x.columns if c.name == roles.treatment), None)

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.codec_x.names if c not in X.columns]
        if missing:
            raise ValueError(f"diffusion: input columns missing from X: {missing}")
        return self.codec_x.encode(X).astype(np.float32)

    def _sample_encoded(self, C: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        Z = self._draw(np.repeat(C, n_samples, axis=0), len(C) * n_samples, rng)
        return self.codec_y.decode_outcome(Z).reshape(len(C), n_samples)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        return self._sample_encoded(self._encode(X), int(n_samples), rng)

    def _moments(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd of ``n_samples`` draws per distinct input row, from a fixed stream;
        the last answer is cached so that ``mean`` then ``sd`` on the same rows samples once."""
        C = self._encode(X)
        key = hashlib.sha1(C.tobytes() + str(C.shape).encode()).hexdigest()
        cached = self.__dict__.get("_cache_moments")
        if cached is None or cached[0] != key:
            U, inv = np.unique(C, axis=0, return_inverse=True)
            draws = self._sample_encoded(U, self.n_samples, np.random.default_rng([self.seed, 1]))
            inv = inv.reshape(-1)
            cached = (key, draws.mean(axis=1)[inv], draws.std(axis=1, ddof=1)[inv])
            self._cache_moments = cached
        return cached[1].copy(), cached[2].copy()

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._moments(X)[0]

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self._moments(X)[1]


class JointDiffusionFitted(_DiffusionFitted):
    """Whole synthetic rows, decoded back to the observed role columns and dtypes."""

    def __init__(self, net, *, codec: TabularCodec, **kw):
        super().__init__(net, **kw)
        self.codec = codec

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self.codec.decode(self._draw(None, int(n), rng))


# --------------------------------------------------------------------------- models

AUTO_UPDATES = 2000  # gradient steps when epochs = 0 (auto)
VALID_FRACTION = 0.15  # rows held out for early stopping when the data has no valid split
MIN_VALID = 20


@dataclass(frozen=True)
class DiffusionJointParams:
    epochs: int = param(0, "training epochs; 0 = auto, enough epochs for about 2,000 gradient steps", ge=0)
    batch_size: int = param(1024, "rows per gradient step; 0 (or at least the row count) = full batch", ge=0)
    hidden: int = param(64, "network width", ge=4, le=4096)
    lr: float = param(3e-4, "AdamW learning rate", gt=0, le=1.0)
    steps: int = param(1000, "reverse-process steps when sampling; fewer is faster and coarser", ge=1, le=100_000)
    patience: int = param(
        10,
        "early stopping: validation checks (100 per run) more than 1 % above the best "
        "before training stops; 0 = no held-out rows, every epoch on every row",
        ge=0,
    )


@dataclass(frozen=True)
class DiffusionParams(DiffusionJointParams):
    n_samples: int = param(200, "draws per distinct input row behind the conditional mean and sd", ge=2)


class _DiffusionBase(Model):
    version: ClassVar[str] = "1"
    joint: ClassVar[bool] = False

    def _codecs(self, observed: Observed) -> tuple[TabularCodec, TabularCodec | None]:
        r = observed.roles
        force = {c for c in (r.group, r.unit) if c is not None}
        if self.joint:
            cols = [c for c in observed.frame.columns if c in r.columns()]
            return TabularCodec(observed.frame, cols, force, bits_above=BITS_ABOVE), None
        inputs = [c for c in r.columns() if c != r.outcome]
        return TabularCodec(observed.frame, [r.outcome]), TabularCodec(observed.frame, inputs, force)

    def supports(self, observed: Observed) -> tuple[bool, str]:
        r, frame = observed.roles, observed.frame
        if self.joint and (r.unit is not None or r.time is not None):
            return False, (
                "panel data (unit/time roles): its rows are not exchangeable, so a "
                "row-wise joint sampler cannot reproduce the panel; use the conditional diffusion"
            )
        cols = r.columns()
        if frame[cols].isna().to_numpy().any():
            return False, f"missing values in the role columns {cols}"
        if len(frame) < 2:
            return False, "needs at least two rows"
        if not self.joint and r.treatment is not None:
            levels = set(pd.unique(frame[r.treatment]).tolist())
            if not levels <= {0, 1}:
                return False, f"treatment {r.treatment!r} must be binary 0/1, has levels {sorted(levels)[:5]}"
        width = sum(c.width for c in self._codecs(observed) if c is not None)
        if width > MAX_WIDTH:
            return False, f"encoded width {width} exceeds {MAX_WIDTH} (too many categorical levels)"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        import torch

        from dgpbench.models.torch._diffusion_net import Denoiser, train_denoiser
        from dgpbench.models.torch._nets import torch_env

        p = self.params
        main, cond_codec = self._codecs(observed)
        target = torch.from_numpy(main.encode(observed.frame).astype(np.float32))
        cond = None if cond_codec is None else torch.from_numpy(cond_codec.encode(observed.frame).astype(np.float32))
        held = held_out(observed, lambda n: _random_valid_rows(n, seed)) if p.patience else np.zeros(len(target), bool)
        fit_rows = torch.from_numpy(np.flatnonzero(~held))
        valid = None
        if held.any():
            rows = torch.from_numpy(np.flatnonzero(held))
            valid = (target[rows], None if cond is None else cond[rows])
        n = len(fit_rows)
        bs = n if p.batch_size <= 0 or p.batch_size >= n else p.batch_size
        epochs = p.epochs or max(1, math.ceil(AUTO_UPDATES / math.ceil(n / bs)))
        with torch_env(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # weight init; the global stream is restored after
            net = Denoiser(target.shape[1], 0 if cond is None else cond.shape[1], p.hidden)
            history = train_denoiser(
                net,
                target[fit_rows],
                None if cond is None else cond[fit_rows],
                epochs=epochs,
                batch_size=bs,
                lr=p.lr,
                valid=valid,
                patience=p.patience,
                gen=torch.Generator().manual_seed(seed),
            )
        if not np.all(np.isfinite(history["loss"] + history["valid"])):
            raise FloatingPointError(f"diffusion training diverged (loss {history['loss'][-1]}); lower lr")
        # x0 predictions are clipped to the training range widened by one standardised unit
        clip = np.stack([target.min(dim=0).values.numpy() - 1.0, target.max(dim=0).values.numpy() + 1.0])
        kw = dict(steps=p.steps, seed=seed, clip=clip.astype(np.float32), history=history)
        if cond_codec is None:  # joint: no conditioning
            return JointDiffusionFitted(net, codec=main, **kw)
        return ConditionalDiffusionFitted(
            net, roles=observed.roles, codec_x=cond_codec, codec_y=main, n_samples=p.n_samples, **kw
        )


def _random_valid_rows(n: int, seed: int) -> np.ndarray:
    """Without a ``valid`` split: a random VALID_FRACTION of the rows, none when that would
    be fewer than MIN_VALID."""
    k = int(round(VALID_FRACTION * n))
    if k < MIN_VALID:
        return np.zeros(0, dtype=np.int64)
    return np.random.default_rng([seed, 2]).choice(n, k, replace=False)


class Diffusion(_DiffusionBase):
    name: ClassVar[str] = "diffusion"
    description: ClassVar[str] = (
        "tabular DDPM denoising y given the inputs: conditional "
        "distribution by sampling, potential outcomes by setting the treatment"
    )
    Params: ClassVar[type] = DiffusionParams
    capabilities: ClassVar[Capabilities] = Capabilities(conditional=True, potential_outcomes=True)
    smoke_params: ClassVar[dict[str, Any]] = {"epochs": 20, "batch_size": 0, "hidden": 16, "steps": 20, "n_samples": 20}


class DiffusionJoint(_DiffusionBase):
    name: ClassVar[str] = "diffusion_joint"
    description: ClassVar[str] = "tabular DDPM over whole rows (one-hot categoricals): synthetic rows by sampling"
    Params: ClassVar[type] = DiffusionJointParams
    capabilities: ClassVar[Capabilities] = Capabilities(joint=True)
    smoke_params: ClassVar[dict[str, Any]] = {"epochs": 20, "batch_size": 0, "hidden": 16, "steps": 20}
    joint: ClassVar[bool] = True
