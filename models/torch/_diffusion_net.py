"""The diffusion model's PyTorch half: noise schedule, denoiser network, training loop and
ancestral sampler. Imported only when a diffusion model fits or samples, so that listing
models and validating suites never import PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

TIME_DIM = 64  # sinusoidal time embedding
BETA_BAR_1 = 0.99996  # beta_bar(1) = 1 - alpha_bar(1)


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
        self.d_noisy, self.d_cond, self.hidden = d_noisy, d_cond, hidden
        self.time = nn.Sequential(nn.Linear(TIME_DIM, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.enc = _mlp(d_noisy + d_cond, hidden)
        self.blocks = nn.ModuleList([_mlp(hidden, hidden) for _ in range(3)])
        self.head = nn.Sequential(nn.SiLU(), nn.Linear(hidden, d_noisy))

    # typed views of the encoder's parts (nn.Sequential indexes as a plain Module); properties,
    # not attributes, so that they add no second name to the state dict
    @property
    def enc_in(self) -> nn.Linear:
        return cast(nn.Linear, self.enc[0])

    @property
    def enc_norm(self) -> nn.LayerNorm:
        return cast(nn.LayerNorm, self.enc[1])

    def trunk(self, pre: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        """Everything after the encoder's first Linear (``pre``); ``temb`` broadcasts."""
        norm = self.enc_norm
        h = F.layer_norm(pre, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
        h = self.enc[3](F.silu(h)) + temb
        for b in self.blocks:
            h = h + b(h)
        return self.head(h)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None, t: torch.Tensor) -> torch.Tensor:
        x = z if cond is None or cond.shape[1] == 0 else torch.cat([z, cond], dim=1)
        return self.trunk(self.enc_in(x), self.time(time_embedding(t)))


def _torch_seed(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


def generator_noise(n: int, d: int, gen: torch.Generator) -> Callable[[], torch.Tensor]:
    """Normals drawn block by block from one generator."""
    return lambda: torch.randn(n, d, generator=gen)


def block_noise(blocks: torch.Tensor) -> Callable[[], torch.Tensor]:
    """Normals read from a precomputed (steps, n, d) tensor, one block per call."""
    return iter(blocks).__next__


def time_grid(steps: int) -> torch.Tensor:
    """Sampling times 0 = t_0 < ... < t_steps = 1, equally spaced."""
    return torch.linspace(0.0, 1.0, steps + 1)


@torch.inference_mode()
def sample_chain(
    net: Denoiser,
    cond: torch.Tensor | None,
    n: int,
    steps: int,
    noise: Callable[[], torch.Tensor],
    clip: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Ancestral sampling from t=1 to t=0 over ``steps`` equal steps for ``n`` rows at once.

    ``noise()`` hands out the next (n, d_noisy) block of standard normals, ``steps`` blocks
    per chain: z_1, then one per step but the last (:func:`generator_noise` or
    :func:`block_noise`).

    Each step draws z_s ~ N(mu_post(z_t, x0_hat), var_post), the DDPM posterior between two
    grid times (the 1,000-step chain of the source when ``steps=1000``; a strided chain of
    the same continuous-time process when fewer); the last step returns x0_hat. ``x0_hat``
    is clipped to ``clip`` (the widened training range), as DDPM clips images to [-1, 1]:
    without it a few draws per thousand blow up at coarse step counts. The conditioning's
    share of the encoder's first layer and the time embedding are computed once.
    """
    d = net.d_noisy
    W, b = net.enc_in.weight, net.enc_in.bias
    Wz = W[:, :d].T.contiguous()
    base = b if cond is None or cond.shape[1] == 0 else torch.addmm(b, cond, W[:, d:].T)
    grid = time_grid(steps)
    ab = alpha_bar(grid.double()).clamp(0.0, 1.0)
    ab[0] = 1.0
    temb = net.time(time_embedding(grid))
    z = noise()
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
        z = c0 * x0 + ct * z + math.sqrt(var) * noise()
    return z


CHECKS = 100  # validation checks over a full run (early stopping)
TOLERANCE = 0.01  # a check counts against patience when 1 % above the best loss


def _noised(x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(z_t, t, eps) with t ~ U(0, 1): the forward process at a random time per row."""
    t = torch.rand(x.shape[0], generator=gen)
    eps = torch.randn(x.shape, generator=gen)
    ab = alpha_bar(t)[:, None]
    return ab.sqrt() * x + (1 - ab).sqrt() * eps, t, eps


def train_denoiser(
    net: Denoiser,
    target: torch.Tensor,
    cond: torch.Tensor | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    gen: torch.Generator,
    valid: tuple[torch.Tensor, torch.Tensor | None] | None = None,
    patience: int = 0,
) -> dict[str, Any]:
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
    every, done = max(1, updates // CHECKS), 0
    losses: list[float] = []
    checks: list[float] = []
    history: dict[str, Any] = {"loss": losses, "valid": checks, "stopped": False}
    if valid is not None:
        reps = min(32, max(4, math.ceil(4096 / len(valid[0]))))
        v_cond = None if valid[1] is None else valid[1].repeat(reps, 1)
        v_z, v_t, v_eps = _noised(valid[0].repeat(reps, 1), gen)
        best, worse = math.inf, 0
        best_state: dict[str, torch.Tensor] = {}
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if bs < n else None
        total = 0.0
        for start in range(0, n, bs):
            idx = None if order is None else order[start : start + bs]
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
                checks.append(v)
                if v < best:
                    best = v
                    best_state = {k: w.detach().clone() for k, w in net.state_dict().items()}
                elif v > best * (1 + TOLERANCE):
                    worse += 1
        losses.append(total / n)
        if valid is not None and patience and worse >= patience:
            net.load_state_dict(best_state)
            history["stopped"] = True
            break
    history["updates"] = done
    return history
