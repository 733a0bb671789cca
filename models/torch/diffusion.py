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
conditioning and the time embedding computed once per chain, not once per step; the
conditional model's draws pooled per input row (:class:`ConditionalDiffusionFitted`), so
that a cell's samples, sd and potential outcomes cost one chain per row, not one per query
(``benchmarks/perf/diffusion_cell_perf.py``).

Preprocessing round-trips (:class:`~dgpbench.models.torch._common.TabularCodec`): numeric
columns standardised, categorical ones (group and unit ids always; integer-valued columns
with few levels, such as a 0/1 treatment or a class) one-hot encoded, decoded by argmax.

PyTorch is imported only inside the methods that fit and sample (the network lives in
:mod:`._diffusion_net`), so listing models and validating suites never import it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
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
NOISE_FLOATS = 2**23  # precomputed normals per pooled chain (32 MB)
POOLED_DRAWS = 2**23  # pooled draws a conditional fitted keeps (64 MB); beyond, only the rows asked for


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

    def _chain(self, cond: np.ndarray | None, n: int, noise: Callable[[], Any]) -> np.ndarray:
        """``n`` reverse-process draws (encoded space) in one chain, normals from ``noise``."""
        import torch

        from dgpbench.models.torch._diffusion_net import sample_chain

        lo, hi = (torch.as_tensor(c, dtype=torch.float32) for c in self.clip)
        c = None if cond is None else torch.as_tensor(cond, dtype=torch.float32)
        return sample_chain(self.net, c, n, self.steps, noise, clip=(lo, hi)).numpy()

    def _draw(self, cond: np.ndarray | None, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` reverse-process draws (encoded space) from ``rng``, in chains of a cache-sized number of rows."""
        from dgpbench.models.torch._diffusion_net import _torch_seed, generator_noise
        from dgpbench.models.torch._nets import torch_env

        gen = _torch_seed(rng)
        out, chunk = [], max(64, CHUNK_FLOATS // self.shape[2])
        with torch_env():
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                c = None if cond is None else cond[start : start + m]
                out.append(self._chain(c, m, generator_noise(m, self.shape[0], gen)))
        return np.concatenate(out, axis=0) if out else np.zeros((0, self.shape[0]))


class ConditionalDiffusionFitted(_DiffusionFitted, SetTreatment):
    """y | inputs by sampling, from one pool of ``n_samples`` draws per distinct input row.

    A row's pool is a function of the fitted model and the row alone: its normals come from
    a stream keyed by the seed and the row's encoded inputs without the treatment. So the
    pool is drawn once and cached, whichever query asks first, and every answer reads it:
    ``mean``/``sd`` are its moments, ``mu0``/``mu1`` the means of the rows with the treatment
    set -- and, as the treatment is not in the key, the two potential outcomes of a row share
    their normals (common random numbers: their difference, the effect, carries far less
    Monte Carlo error than two independent means would), and ``sample`` with at most
    ``n_samples`` draws per row returns an ``rng``-chosen subset of the pool: within one call
    those are independent draws of the model's distribution, like fresh ones; two calls share
    draws. More draws than the pool are drawn fresh from ``rng``. Scoring a cell asks for
    samples, sd, mu0 and mu1 on overlapping rows (on a panel, the observed rows are half of the
    potential-outcome rows): one pool per row serves them all instead of a chain per query.
    Potential outcomes set the treatment column, in the dtype it was encoded with."""

    def __init__(self, net, *, roles: Roles, codec_x: TabularCodec, codec_y: TabularCodec, n_samples: int, **kw):
        super().__init__(net, **kw)
        self.roles, self.codec_x, self.codec_y, self.n_samples = roles, codec_x, codec_y, n_samples
        self._treatment = roles.treatment
        self._treatment_dtype = next((c.dtype for c in codec_x.columns if c.name == roles.treatment), None)
        widths = [(c.width, c.name != roles.treatment) for c in codec_x.columns]
        self.noise_key_columns = np.repeat([k for _, k in widths], [w for w, _ in widths]).astype(bool)

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.codec_x.names if c not in X.columns]
        if missing:
            raise ValueError(f"diffusion: input columns missing from X: {missing}")
        return np.ascontiguousarray(self.codec_x.encode(X), dtype=np.float32)

    def _pools(self, C: np.ndarray) -> np.ndarray:
        """(rows, n_samples) draws of y per encoded input row, each distinct row drawn once."""
        keys = [row.tobytes() for row in C]
        distinct = dict.fromkeys(keys)
        cache: dict[bytes, np.ndarray] = self.__dict__.setdefault("_cache_pools", {})
        new = [k for k in distinct if k not in cache]
        if (len(cache) + len(new)) * self.n_samples > POOLED_DRAWS:
            cache = self._cache_pools = {k: cache[k] for k in distinct if k in cache}
        if new:
            U = np.frombuffer(b"".join(new), dtype=np.float32).reshape(len(new), C.shape[1])
            cache.update(zip(new, self._draw_pools(U)))
        return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, self.n_samples))

    def _draw_pools(self, U: np.ndarray) -> np.ndarray:
        """``n_samples`` draws per row of ``U`` from the row's own stream, a few rows per chain."""
        import torch

        from dgpbench.models.torch._diffusion_net import block_noise
        from dgpbench.models.torch._nets import torch_env

        n, d = self.n_samples, self.shape[0]
        per_chain = max(1, min(CHUNK_FLOATS // self.shape[2], NOISE_FLOATS // (self.steps * d)) // n)
        out = []
        with torch_env():
            for start in range(0, len(U), per_chain):
                rows = U[start : start + per_chain]
                noise = np.concatenate([self._row_normals(r) for r in rows], axis=1)
                Z = self._chain(np.repeat(rows, n, axis=0), len(rows) * n, block_noise(torch.from_numpy(noise)))
                out.append(self.codec_y.decode_outcome(Z).reshape(len(rows), n))
        return np.concatenate(out, axis=0)

    def _row_normals(self, row: np.ndarray) -> np.ndarray:
        """The (steps, n_samples, d) normals of a row's pool: a stream keyed by the seed and the
        row's inputs without the treatment (so both potential outcomes of a row share it)."""
        digest = hashlib.blake2b(row[self.noise_key_columns].tobytes(), digest_size=16).digest()
        key = [int(w) for w in np.frombuffer(digest, dtype=np.uint64)]
        rng = np.random.default_rng([self.seed, 1, *key])
        return rng.standard_normal((self.steps, self.n_samples, self.shape[0]), dtype=np.float32)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        C, k = self._encode(X), int(n_samples)
        if k > self.n_samples:
            Z = self._draw(np.repeat(C, k, axis=0), len(C) * k, rng)
            return self.codec_y.decode_outcome(Z).reshape(len(C), k)
        pools = self._pools(C)
        pick = rng.permuted(np.broadcast_to(np.arange(self.n_samples), pools.shape), axis=1)[:, :k]
        return np.take_along_axis(pools, pick, axis=1)

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        return self._pools(self._encode(X)).mean(axis=1)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return self._pools(self._encode(X)).std(axis=1, ddof=1)


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
