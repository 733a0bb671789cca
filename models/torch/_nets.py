"""PyTorch building blocks of the causal networks: the two-headed net, seeded weight
initialisation, the training loop with early stopping, and the thread/determinism guard.

Nothing here touches the global RNG: weights, shuffles and dropout masks come from an
explicit ``torch.Generator`` / ``numpy.random.Generator`` derived from the fit seed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dgpbench.models.base import thread_count


@contextmanager
def torch_env():
    """One thread per worker (``thread_count()``) and deterministic kernels; restores both."""
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(thread_count())
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(det)


Keep = tuple[torch.Tensor, torch.Generator]


def _stack(n_in: int, width: int, depth: int) -> nn.ModuleList:
    return nn.ModuleList(nn.Linear(n_in if i == 0 else width, width) for i in range(depth))


class TwoHeadNet(nn.Module):
    """Shared ELU representation layers, one outcome head per arm, an optional propensity
    head (a logistic layer on the representation) and an optional scalar ``epsilon``
    (Dragonnet's targeted-regularisation parameter).

    ``forward(x)`` returns ``(q0, q1, propensity_logit | None)`` for every row;
    ``factual(x, t, keep)`` runs each row through its own arm's head only (training).
    ``keep`` is a per-row keep probability for dropout on the heads' hidden units (DCN-PD),
    with the generator that draws the masks.
    """

    def __init__(self, n_in: int, hidden: int, layers: int, head_hidden: int, head_layers: int,
                 propensity: bool = False, epsilon: bool = False):
        super().__init__()
        self.rep = _stack(n_in, hidden, layers)
        self.heads = nn.ModuleList(_stack(hidden, head_hidden, head_layers) for _ in range(2))
        self.outs = nn.ModuleList(nn.Linear(head_hidden if head_layers else hidden, 1) for _ in range(2))
        self.prop = nn.Linear(hidden, 1) if propensity else None
        self.epsilon = nn.Parameter(torch.zeros(1)) if epsilon else None

    def _represent(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        for lin in self.rep:
            x = F.elu(lin(x))
        return x, (self.prop(x).squeeze(-1) if self.prop is not None else None)

    def _head(self, arm: int, z: torch.Tensor, keep: Keep | None) -> torch.Tensor:
        for lin in self.heads[arm]:
            z = F.elu(lin(z))
            if keep is not None:
                p, gen = keep
                z = z * (torch.rand(z.shape, generator=gen) < p[:, None]) / p[:, None]
        return self.outs[arm](z).squeeze(-1)

    def forward(self, x: torch.Tensor):
        h, logit = self._represent(x)
        return self._head(0, h, None), self._head(1, h, None), logit

    def factual(self, x: torch.Tensor, t: torch.Tensor, keep: Keep | None = None):
        """``(q_t(x), propensity_logit | None)``: each row's outcome under its own arm."""
        h, logit = self._represent(x)
        q = torch.zeros(len(x))
        for arm, rows in ((0, t < 0.5), (1, t > 0.5)):
            if rows.any():
                q[rows] = self._head(arm, h[rows], None if keep is None else (keep[0][rows], keep[1]))
        return q, logit


class MLP(nn.Module):
    """A plain ELU network with one output (the DCN-PD propensity network)."""

    def __init__(self, n_in: int, hidden: int, layers: int):
        super().__init__()
        self.body = _stack(n_in, hidden, layers)
        self.out = nn.Linear(hidden if layers else n_in, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for lin in self.body:
            x = F.elu(lin(x))
        return self.out(x).squeeze(-1)


def init_weights(net: nn.Module, gen: torch.Generator) -> nn.Module:
    """Glorot-uniform weights and zero biases, drawn from ``gen`` (no global RNG)."""
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight, generator=gen)
            nn.init.zeros_(m.bias)
    return net


class Adam:
    """Adam (Kingma & Ba 2015) with coupled L2 ``weight_decay`` on the ``decay`` tensors: the
    update of ``torch.optim.Adam`` (bias correction folded into the step size), written out
    because the first ``torch.optim`` step imports ``torch._dynamo`` (seconds of CPU in
    every fresh worker) and because in-place ``_foreach`` updates into preallocated
    buffers make a step of these small nets markedly cheaper."""

    def __init__(self, decay: list[torch.Tensor], rest: list[torch.Tensor], lr: float,
                 weight_decay: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params, self.n_decay = [*decay, *rest], len(decay)
        self.lr, self.wd, self.betas, self.eps, self.steps = lr, weight_decay, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.denom = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        b1, b2 = self.betas
        root_c2 = math.sqrt(1 - b2 ** self.steps)
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        ps, m, v, d = ([xs[i] for i in live] for xs in (self.params, self.m, self.v, self.denom))
        grads = [p.grad for p in ps]
        decayed = [i for i, j in enumerate(live) if j < self.n_decay]
        if self.wd and decayed:
            torch._foreach_add_([grads[i] for i in decayed], [ps[i] for i in decayed], alpha=self.wd)
        torch._foreach_lerp_(m, grads, 1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        torch._foreach_copy_(d, v)
        torch._foreach_sqrt_(d)
        torch._foreach_add_(d, self.eps * root_c2)
        torch._foreach_addcdiv_(ps, m, d, value=-self.lr * root_c2 / (1 - b1 ** self.steps))


def train(net: nn.Module, loss: Callable[[np.ndarray], torch.Tensor], valid_loss: Callable[[], float],
          batches: Callable[[], Iterable[np.ndarray]], *, epochs: int, lr: float,
          weight_decay: float, patience: int) -> tuple[dict[str, torch.Tensor], int]:
    """:class:`Adam` on ``loss(batch_rows)`` with L2 ``weight_decay`` on the weight matrices only;
    after each epoch ``valid_loss()`` is evaluated, and the weights of the best epoch are
    restored at the end (early stopping after ``patience`` epochs without improvement).
    Returns the best state dict and the best epoch."""
    named = list(net.named_parameters())
    opt = Adam([p for n, p in named if n.endswith("weight")], [p for n, p in named if not n.endswith("weight")],
               lr, weight_decay)
    best, best_epoch, best_state = math.inf, 0, copy.deepcopy(net.state_dict())
    for epoch in range(1, epochs + 1):
        net.train()
        for rows in batches():
            opt.zero_grad()
            loss(rows).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            v = valid_loss()
        if not math.isfinite(v):
            raise FloatingPointError(f"validation loss is {v} at epoch {epoch} (training diverged)")
        if v < best:
            best, best_epoch, best_state = v, epoch, copy.deepcopy(net.state_dict())
        elif epoch - best_epoch >= patience:
            break
    return best_state, best_epoch


def minibatches(rng: np.random.Generator, rows: np.ndarray, size: int) -> list[np.ndarray]:
    """``rows`` shuffled and cut into batches of ``size`` (all rows when ``size`` is 0)."""
    rows = rng.permutation(rows)
    if size <= 0 or size >= len(rows):
        return [rows]
    return [rows[i:i + size] for i in range(0, len(rows), size)]
