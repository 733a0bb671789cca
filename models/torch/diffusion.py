"""Tabular DDPM (SPEC §2 ``diffusion``), in two registered flavours sharing one implementation.

* :class:`Diffusion` (``mode="conditional"``) denoises only the outcome, with the encoded
  inputs (covariates, treatment, group, unit, time) as conditioning: a conditional
  distribution of y given x by sampling, and potential outcomes by setting the treatment.
* :class:`DiffusionJoint` (``mode="joint"``) denoises whole encoded rows and samples
  synthetic rows with the observed role columns.

The process is variance preserving in continuous time, with
``beta_bar(t) = 0.99996 * (s(t) - s(0)) / (s(1) - s(0))``, ``s(t) = sigmoid(6 (t - 0.5))``,
``alpha_bar = 1 - beta_bar``; the network predicts the noise (MSE), with a 64-d sinusoidal
time embedding through an MLP, an encoder Linear -> LayerNorm -> SiLU -> Linear and three
residual blocks of the same shape; AdamW. Sampling runs ancestrally (DDPM posterior) over
``steps`` equally spaced times of [0, 1] -- 1,000 as in the source, fewer for a faster,
coarser sampler -- or deterministically (``sampler="ddim"``), batched over all rows.

Preprocessing round-trips (:class:`TabularCodec`): numeric columns are standardised,
categorical ones (bool/object/category, group and unit ids, integers with at most
``MAX_LEVELS`` levels) one-hot encoded and decoded by argmax; other integers are rounded.

PyTorch is imported here only; this module is loaded lazily by the registry.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from dgpbench.generators.base import Observed, Roles
from dgpbench.models.base import Capabilities, Fitted, Model, thread_count
from dgpbench.params import param

MAX_LEVELS = 20          # an integer column with at most this many levels is categorical
MAX_WIDTH = 2000         # refuse data whose encoding is wider than this
TIME_DIM = 64            # sinusoidal time embedding
BETA_BAR_1 = 0.99996     # beta_bar(1) = 1 - alpha_bar(1)


# --------------------------------------------------------------------------- preprocessing

@dataclass
class _Column:
    name: str
    kind: str                 # "numeric" | "integer" (numeric, rounded back) | "categorical"
    dtype: Any
    loc: float = 0.0
    scale: float = 1.0
    levels: tuple = ()

    @property
    def width(self) -> int:
        return len(self.levels) if self.kind == "categorical" else 1


class TabularCodec:
    """Frame <-> float matrix: standardised numerics, one-hot categoricals (argmax back)."""

    def __init__(self, frame: pd.DataFrame, columns: list[str], force_categorical=()):
        self.columns: list[_Column] = []
        for name in columns:
            s = frame[name]
            dtype = s.dtype
            cat = (name in force_categorical or pd.api.types.is_bool_dtype(dtype)
                   or not pd.api.types.is_numeric_dtype(dtype)
                   or (pd.api.types.is_integer_dtype(dtype) and s.nunique() <= MAX_LEVELS))
            if cat:
                self.columns.append(_Column(name, "categorical", dtype, levels=tuple(pd.unique(s.sort_values()))))
            else:
                v = s.to_numpy(dtype=float)
                sd = float(v.std())
                kind = "integer" if pd.api.types.is_integer_dtype(dtype) else "numeric"
                self.columns.append(_Column(name, kind, dtype, float(v.mean()), sd if sd > 0 else 1.0))

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for c in self.columns:
            s = frame[c.name]
            if c.kind == "categorical":
                idx = pd.Index(c.levels).get_indexer(s)   # unseen level -> -1 -> all zeros
                onehot = np.zeros((len(s), c.width))
                ok = idx >= 0
                onehot[np.flatnonzero(ok), idx[ok]] = 1.0
                parts.append(onehot)
            else:
                parts.append(((s.to_numpy(dtype=float) - c.loc) / c.scale)[:, None])
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        out, j = {}, 0
        for c in self.columns:
            block = Z[:, j:j + c.width]
            j += c.width
            if c.kind == "categorical":
                out[c.name] = pd.Series(np.asarray(c.levels, dtype=object)[block.argmax(axis=1)]).astype(c.dtype)
            elif c.kind == "integer":
                out[c.name] = np.rint(block[:, 0] * c.scale + c.loc).astype(c.dtype)
            else:
                out[c.name] = (block[:, 0] * c.scale + c.loc).astype(c.dtype)
        return pd.DataFrame(out)

    def decode_outcome(self, Z: np.ndarray) -> np.ndarray:
        """Decode a single-column codec's matrix to a float vector (the outcome's values)."""
        return self.decode(Z).iloc[:, 0].to_numpy(dtype=float)


# --------------------------------------------------------------------------- schedule, network

def alpha_bar(t: torch.Tensor) -> torch.Tensor:
    """VP schedule: 1 - beta_bar(t), beta_bar a sigmoid (gain 6, shift 0.5) rescaled to [0, 0.99996]."""
    s0, s1 = 1 / (1 + math.exp(3.0)), 1 / (1 + math.exp(-3.0))
    return 1.0 - BETA_BAR_1 * (torch.sigmoid(6.0 * (t - 0.5)) - s0) / (s1 - s0)


def time_embedding(t: torch.Tensor, dim: int = TIME_DIM) -> torch.Tensor:
    """Sinusoidal embedding of ``1000 t`` (the discrete-step scale of the source)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    arg = 1000.0 * t[:, None] * freqs[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


def _mlp(d_in: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, hidden))


class Denoiser(nn.Module):
    """eps_hat(z_t, cond, t): encoder + time MLP, three residual blocks, linear head."""

    def __init__(self, d_noisy: int, d_cond: int, hidden: int):
        super().__init__()
        self.d_noisy, self.d_cond = d_noisy, d_cond
        self.time = nn.Sequential(nn.Linear(TIME_DIM, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.enc = _mlp(d_noisy + d_cond, hidden)
        self.blocks = nn.ModuleList([_mlp(hidden, hidden) for _ in range(3)])
        self.head = nn.Sequential(nn.SiLU(), nn.Linear(hidden, d_noisy))

    def trunk(self, pre: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        """Everything after the encoder's first Linear (``pre``); ``temb`` broadcasts."""
        enc = self.enc
        h = F.layer_norm(pre, enc[1].normalized_shape, enc[1].weight, enc[1].bias, enc[1].eps)
        h = enc[3](F.silu(h)) + temb
        for b in self.blocks:
            h = h + b(h)
        return self.head(h)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None, t: torch.Tensor) -> torch.Tensor:
        x = z if cond is None or cond.shape[1] == 0 else torch.cat([z, cond], dim=1)
        return self.trunk(self.enc[0](x), self.time(time_embedding(t)))


@contextlib.contextmanager
def _torch_env(threads: int | None = None):
    """Pin threads and deterministic algorithms for the block; restore them afterwards."""
    old_threads, old_det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads or thread_count())
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det)
        torch.set_num_threads(old_threads)


def _torch_seed(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


@torch.inference_mode()
def sample_chain(net: Denoiser, cond: torch.Tensor | None, n: int, steps: int, sampler: str,
                 gen: torch.Generator, z_init: torch.Tensor | None = None) -> torch.Tensor:
    """Run the reverse process from t=1 to t=0 over ``steps`` equal steps for ``n`` rows.

    ``ancestral``: z_{s} ~ N(mu_post(z_t, eps_hat), var_post) (DDPM posterior between grid
    times); ``ddim``: the deterministic DDIM update. The conditioning's share of the
    encoder's first layer and the time embedding are computed once per chain / step.
    """
    d = net.d_noisy
    W, b = net.enc[0].weight, net.enc[0].bias
    Wz = W[:, :d].T.contiguous()
    base = b if cond is None or cond.shape[1] == 0 else torch.addmm(b, cond, W[:, d:].T)
    grid = torch.linspace(0.0, 1.0, steps + 1)
    ab = alpha_bar(grid).clamp(min=0.0, max=1.0).double()
    ab[0] = 1.0
    temb = net.time(time_embedding(grid))
    z = torch.randn(n, d, generator=gen) if z_init is None else z_init.clone()
    for k in range(steps, 0, -1):
        pre = torch.addmm(base, z, Wz) if d > 1 else base + z * Wz
        eps = net.trunk(pre, temb[k])
        a_t, a_s = float(ab[k]), float(ab[k - 1])
        x0 = (z - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        if sampler == "ddim" or k == 1:
            z = math.sqrt(a_s) * x0 + math.sqrt(1 - a_s) * eps
        else:
            alpha = a_t / a_s
            c0 = math.sqrt(a_s) * (1 - alpha) / (1 - a_t)
            ct = math.sqrt(alpha) * (1 - a_s) / (1 - a_t)
            var = (1 - a_s) / (1 - a_t) * (1 - alpha)
            z = c0 * x0 + ct * z + math.sqrt(var) * torch.randn(z.shape, generator=gen)
    return z


def train_denoiser(net: Denoiser, target: torch.Tensor, cond: torch.Tensor | None, *, epochs: int,
                   batch_size: int, lr: float, gen: torch.Generator) -> list[float]:
    """Noise-prediction MSE with t ~ U(0, 1), AdamW; returns the mean loss per epoch."""
    n = target.shape[0]
    bs = n if batch_size <= 0 or batch_size >= n else batch_size
    opt = torch.optim.AdamW(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if bs < n else None
        total = 0.0
        for start in range(0, n, bs):
            idx = None if order is None else order[start:start + bs]
            x = target if idx is None else target[idx]
            c = cond if cond is None or idx is None else cond[idx]
            t = torch.rand(x.shape[0], generator=gen)
            eps = torch.randn(x.shape, generator=gen)
            ab = alpha_bar(t)[:, None]
            z = ab.sqrt() * x + (1 - ab).sqrt() * eps
            loss = F.mse_loss(net(z, c, t), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss) * x.shape[0]
        losses.append(total / n)
    return losses
