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

PyTorch is imported here only; the registry loads this module lazily.
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
from dgpbench.models.torch._common import TabularCodec
from dgpbench.params import param

MAX_WIDTH = 2000         # refuse data whose encoding is wider than this
BITS_ABOVE = 8           # joint mode: categoricals with more levels are generated as analog bits
TIME_DIM = 64            # sinusoidal time embedding
BETA_BAR_1 = 0.99996     # beta_bar(1) = 1 - alpha_bar(1)


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
def _torch_env():
    """Pin threads (``thread_count()``) and deterministic algorithms; restore both afterwards."""
    old_threads, old_det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(thread_count())
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det)
        torch.set_num_threads(old_threads)


def _torch_seed(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


def time_grid(steps: int) -> torch.Tensor:
    """Sampling times 0 = t_0 < ... < t_steps = 1, equally spaced."""
    return torch.linspace(0.0, 1.0, steps + 1)


@torch.inference_mode()
def sample_chain(net: Denoiser, cond: torch.Tensor | None, n: int, steps: int, gen: torch.Generator,
                 clip: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """Ancestral sampling from t=1 to t=0 over ``steps`` equal steps for ``n`` rows at once.

    Each step draws z_s ~ N(mu_post(z_t, x0_hat), var_post), the DDPM posterior between two
    grid times (the 1,000-step chain of the source when ``steps=1000``; a strided chain of
    the same continuous-time process when fewer); the last step returns x0_hat. ``x0_hat``
    is clipped to ``clip`` (the widened training range), as DDPM clips images to [-1, 1]:
    without it a few draws per thousand blow up at coarse step counts. The conditioning's
    share of the encoder's first layer and the time embedding are computed once.
    """
    d = net.d_noisy
    W, b = net.enc[0].weight, net.enc[0].bias
    Wz = W[:, :d].T.contiguous()
    base = b if cond is None or cond.shape[1] == 0 else torch.addmm(b, cond, W[:, d:].T)
    grid = time_grid(steps)
    ab = alpha_bar(grid.double()).clamp(0.0, 1.0)
    ab[0] = 1.0
    temb = net.time(time_embedding(grid))
    z = torch.randn(n, d, generator=gen)
    for k in range(steps, 0, -1):
        pre = torch.addmm(base, z, Wz) if d > 1 else base + z * Wz
        eps = net.trunk(pre, temb[k])
        a_t, a_s = float(ab[k]), float(ab[k - 1])
        x0 = (z - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
        if clip is not None:
            x0 = torch.clamp(x0, clip[0], clip[1])
        if k == 1:
            return x0
        alpha = a_t / a_s
        c0 = math.sqrt(a_s) * (1 - alpha) / (1 - a_t)
        ct = math.sqrt(alpha) * (1 - a_s) / (1 - a_t)
        var = (1 - a_s) / (1 - a_t) * (1 - alpha)
        z = c0 * x0 + ct * z + math.sqrt(var) * torch.randn(z.shape, generator=gen)
    return z


CHECKS = 100             # validation checks over a full run (early stopping)
TOLERANCE = 0.01         # a check counts against patience when 1 % above the best loss


def _noised(x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z_t, t, eps) with t ~ U(0, 1): the forward process at a random time per row."""
    t = torch.rand(x.shape[0], generator=gen)
    eps = torch.randn(x.shape, generator=gen)
    ab = alpha_bar(t)[:, None]
    return ab.sqrt() * x + (1 - ab).sqrt() * eps, t, eps


def train_denoiser(net: Denoiser, target: torch.Tensor, cond: torch.Tensor | None, *, epochs: int,
                   batch_size: int, lr: float, gen: torch.Generator,
                   valid: tuple[torch.Tensor, torch.Tensor | None] | None = None, patience: int = 0) -> dict:
    """Noise-prediction MSE, AdamW with a cosine-decayed learning rate (the last iterates
    average out SGD noise, which otherwise shows as a few per cent too little spread).

    With ``valid`` rows, the validation loss (fixed noise draws, so checks compare the
    network only) is checked ``CHECKS`` times over the run; once ``patience`` checks have
    come out more than TOLERANCE above the best, training stops and the best weights are
    restored -- on small data a denoiser otherwise memorises rows (a county seen twice gets
    half its spread). A loss that merely flattens does not stop the run: the last, low
    learning-rate iterates sample better than an earlier "best" within the noise.
    Returns the train loss per epoch, the validation loss per check, the updates made and
    whether it stopped early.
    """
    n = target.shape[0]
    bs = n if batch_size <= 0 or batch_size >= n else batch_size
    updates = epochs * math.ceil(n / bs)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, updates) / updates)))
    every, history, done = max(1, updates // CHECKS), {"loss": [], "valid": [], "stopped": False}, 0
    if valid is not None:
        reps = min(32, max(4, math.ceil(4096 / len(valid[0]))))
        v_cond = None if valid[1] is None else valid[1].repeat(reps, 1)
        v_z, v_t, v_eps = _noised(valid[0].repeat(reps, 1), gen)
        best, best_state, worse = math.inf, None, 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if bs < n else None
        total = 0.0
        for start in range(0, n, bs):
            idx = None if order is None else order[start:start + bs]
            x = target if idx is None else target[idx]
            c = cond if cond is None or idx is None else cond[idx]
            z, t, eps = _noised(x, gen)
            loss = F.mse_loss(net(z, c, t), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * x.shape[0]
            done += 1
            if valid is not None and done % every == 0:
                with torch.no_grad():
                    v = float(F.mse_loss(net(v_z, v_cond, v_t), v_eps))
                history["valid"].append(v)
                if v < best:
                    best = v
                    best_state = {k: w.detach().clone() for k, w in net.state_dict().items()}
                elif v > best * (1 + TOLERANCE):
                    worse += 1
        history["loss"].append(total / n)
        if valid is not None and patience and worse >= patience:
            net.load_state_dict(best_state)
            history["stopped"] = True
            break
    history["updates"] = done
    return history


# --------------------------------------------------------------------------- fitted objects

CHUNK_FLOATS = 65536     # activations per sampling chain: rows = CHUNK_FLOATS // hidden (cache-sized)


class _DiffusionFitted(Fitted):
    """Weights as numpy arrays (picklable, device-free); the network is rebuilt lazily."""

    def __init__(self, net: Denoiser, *, steps: int, seed: int, clip: np.ndarray, history: dict):
        self.state = {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}
        self.shape = (net.d_noisy, net.d_cond, net.enc[3].out_features)
        self.steps, self.seed, self.clip, self.history = steps, seed, clip, history

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_cache")}

    @property
    def net(self) -> Denoiser:
        if "_cache_net" not in self.__dict__:
            net = Denoiser(*self.shape)
            net.load_state_dict({k: torch.from_numpy(v) for k, v in self.state.items()})
            self._cache_net = net.eval()
        return self._cache_net

    def _draw(self, cond: np.ndarray | None, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` reverse-process draws (encoded space), in chains of a cache-sized number of rows."""
        gen = _torch_seed(rng)
        lo, hi = (torch.as_tensor(c, dtype=torch.float32) for c in self.clip)
        out, chunk = [], max(64, CHUNK_FLOATS // self.shape[2])
        with _torch_env():
            for start in range(0, n, chunk):
                m = min(chunk, n - start)
                c = None if cond is None else torch.as_tensor(cond[start:start + m], dtype=torch.float32)
                out.append(sample_chain(self.net, c, m, self.steps, gen, clip=(lo, hi)).numpy())
        return np.concatenate(out, axis=0) if out else np.zeros((0, self.shape[0]))


class ConditionalDiffusionFitted(_DiffusionFitted):
    """y | inputs by sampling: mean and sd from ``n_samples`` draws per distinct input row."""

    def __init__(self, net, *, roles: Roles, codec_x: TabularCodec, codec_y: TabularCodec,
                 n_samples: int, **kw):
        super().__init__(net, **kw)
        self.roles, self.codec_x, self.codec_y, self.n_samples = roles, codec_x, codec_y, n_samples

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

    def _set_treatment(self, X: pd.DataFrame, value: int) -> pd.DataFrame:
        t = self.roles.treatment
        if t is None:
            raise ValueError("diffusion: potential outcomes need a treatment role; this data has none")
        dtype = next(c.dtype for c in self.codec_x.columns if c.name == t)
        X = X.copy()
        X[t] = pd.Series(np.full(len(X), value), index=X.index).astype(dtype)
        return X

    def mu0(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._set_treatment(X, 0))

    def mu1(self, X: pd.DataFrame) -> np.ndarray:
        return self.mean(self._set_treatment(X, 1))


class JointDiffusionFitted(_DiffusionFitted):
    """Whole synthetic rows, decoded back to the observed role columns and dtypes."""

    def __init__(self, net, *, codec: TabularCodec, **kw):
        super().__init__(net, **kw)
        self.codec = codec

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        return self.codec.decode(self._draw(None, int(n), rng))


# --------------------------------------------------------------------------- models

AUTO_UPDATES = 2000      # gradient steps when epochs = 0 (auto)
VALID_FRACTION = 0.15    # rows held out for early stopping when the data has no valid split
MIN_VALID = 20


@dataclass(frozen=True)
class DiffusionJointParams:
    epochs: int = param(0, "training epochs; 0 = auto, enough epochs for about 2,000 gradient steps", ge=0)
    batch_size: int = param(1024, "rows per gradient step; 0 (or at least the row count) = full batch", ge=0)
    hidden: int = param(64, "network width", ge=4, le=4096)
    lr: float = param(3e-4, "AdamW learning rate", gt=0, le=1.0)
    steps: int = param(1000, "reverse-process steps when sampling; fewer is faster and coarser", ge=1, le=100_000)
    patience: int = param(10, "early stopping: validation checks (100 per run) more than 1 % above the best "
                          "before training stops; 0 = no held-out rows, every epoch on every row", ge=0)


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
            return False, ("panel data (unit/time roles): its rows are not exchangeable, so a "
                           "row-wise joint sampler cannot reproduce the panel; use the conditional diffusion")
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
        p = self.params
        main, cond_codec = self._codecs(observed)
        target = torch.from_numpy(main.encode(observed.frame).astype(np.float32))
        cond = None if cond_codec is None else torch.from_numpy(cond_codec.encode(observed.frame).astype(np.float32))
        held = _held_out(observed, seed) if p.patience else np.zeros(len(target), bool)
        fit_rows = torch.from_numpy(np.flatnonzero(~held))
        valid = None
        if held.any():
            rows = torch.from_numpy(np.flatnonzero(held))
            valid = (target[rows], None if cond is None else cond[rows])
        n = len(fit_rows)
        bs = n if p.batch_size <= 0 or p.batch_size >= n else p.batch_size
        epochs = p.epochs or max(1, math.ceil(AUTO_UPDATES / math.ceil(n / bs)))
        with _torch_env(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)               # weight init; the global stream is restored after
            net = Denoiser(target.shape[1], 0 if cond is None else cond.shape[1], p.hidden)
            history = train_denoiser(net, target[fit_rows], None if cond is None else cond[fit_rows],
                                     epochs=epochs, batch_size=bs, lr=p.lr, valid=valid, patience=p.patience,
                                     gen=torch.Generator().manual_seed(seed))
        if not np.all(np.isfinite(history["loss"] + history["valid"])):
            raise FloatingPointError(f"diffusion training diverged (loss {history['loss'][-1]}); lower lr")
        # x0 predictions are clipped to the training range widened by one standardised unit
        clip = np.stack([target.min(dim=0).values.numpy() - 1.0, target.max(dim=0).values.numpy() + 1.0])
        kw = dict(steps=p.steps, seed=seed, clip=clip.astype(np.float32), history=history)
        if self.joint:
            return JointDiffusionFitted(net, codec=main, **kw)
        return ConditionalDiffusionFitted(net, roles=observed.roles, codec_x=cond_codec, codec_y=main,
                                          n_samples=p.n_samples, **kw)


def _held_out(observed: Observed, seed: int) -> np.ndarray:
    """Rows kept for early stopping: the ``valid`` split where there is one, else a random
    VALID_FRACTION of the rows (none when that leaves fewer than MIN_VALID)."""
    valid = observed.mask("valid")
    if valid.any() and not valid.all():
        return valid
    n = len(valid)
    k = int(round(VALID_FRACTION * n))
    held = np.zeros(n, bool)
    if k >= MIN_VALID:
        held[np.random.default_rng([seed, 2]).choice(n, k, replace=False)] = True
    return held


class Diffusion(_DiffusionBase):
    name: ClassVar[str] = "diffusion"
    description: ClassVar[str] = ("tabular DDPM denoising y given the inputs: conditional "
                                  "distribution by sampling, potential outcomes by setting the treatment")
    Params: ClassVar[type] = DiffusionParams
    capabilities: ClassVar[Capabilities] = Capabilities(conditional=True, potential_outcomes=True)
    smoke_params: ClassVar[dict[str, Any]] = {"epochs": 20, "batch_size": 0, "hidden": 16,
                                              "steps": 20, "n_samples": 20}


class DiffusionJoint(_DiffusionBase):
    name: ClassVar[str] = "diffusion_joint"
    description: ClassVar[str] = "tabular DDPM over whole rows (one-hot categoricals): synthetic rows by sampling"
    Params: ClassVar[type] = DiffusionJointParams
    capabilities: ClassVar[Capabilities] = Capabilities(joint=True)
    smoke_params: ClassVar[dict[str, Any]] = {"epochs": 20, "batch_size": 0, "hidden": 16, "steps": 20}
    joint: ClassVar[bool] = True
