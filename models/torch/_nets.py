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


def _stack(n_in: int, width: int, depth: int) -> nn.ModuleList:
    return nn.ModuleList(nn.Linear(n_in if i == 0 else width, width) for i in range(depth))


class TwoHeadNet(nn.Module):
    """Shared ELU representation layers, one outcome head per arm, an optional propensity
    head (a logistic layer on the representation) and an optional scalar ``epsilon``
    (Dragonnet's targeted-regularisation parameter).

    ``forward(x, keep)`` returns ``(q0, q1, propensity_logit | None)``; ``keep`` is a
    per-row keep probability for dropout on the head's hidden units (DCN-PD), with the
    generator that draws the masks.
    """

    def __init__(self, n_in: int, hidden: int, layers: int, head_hidden: int, head_layers: int,
                 propensity: bool = False, epsilon: bool = False):
        super().__init__()
        self.rep = _stack(n_in, hidden, layers)
        self.heads = nn.ModuleList(_stack(hidden, head_hidden, head_layers) for _ in range(2))
        self.outs = nn.ModuleList(nn.Linear(head_hidden if head_layers else hidden, 1) for _ in range(2))
        self.prop = nn.Linear(hidden, 1) if propensity else None
        self.epsilon = nn.Parameter(torch.zeros(1)) if epsilon else None

    def forward(self, x: torch.Tensor, keep: tuple[torch.Tensor, torch.Generator] | None = None):
        h = x
        for lin in self.rep:
            h = F.elu(lin(h))
        q = []
        for arm in (0, 1):
            z = h
            for lin in self.heads[arm]:
                z = F.elu(lin(z))
                if keep is not None:
                    p, gen = keep
                    mask = torch.rand(z.shape, generator=gen) < p[:, None]
                    z = z * mask / p[:, None]
            q.append(self.outs[arm](z).squeeze(-1))
        logit = self.prop(h).squeeze(-1) if self.prop is not None else None
        return q[0], q[1], logit


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


def train(net: nn.Module, loss: Callable[[np.ndarray], torch.Tensor], valid_loss: Callable[[], float],
          batches: Callable[[], Iterable[np.ndarray]], *, epochs: int, lr: float,
          weight_decay: float, patience: int) -> tuple[dict[str, torch.Tensor], int]:
    """Adam on ``loss(batch_rows)`` with L2 ``weight_decay`` on the weight matrices only;
    after each epoch ``valid_loss()`` is evaluated, and the weights of the best epoch are
    restored at the end (early stopping after ``patience`` epochs without improvement).
    Returns the best state dict and the best epoch."""
    decay = [p for n, p in net.named_parameters() if n.endswith("weight")]
    rest = [p for n, p in net.named_parameters() if not n.endswith("weight")]
    opt = torch.optim.Adam([{"params": decay, "weight_decay": weight_decay},
                            {"params": rest, "weight_decay": 0.0}], lr=lr)
    best, best_epoch, best_state = math.inf, 0, copy.deepcopy(net.state_dict())
    for epoch in range(1, epochs + 1):
        net.train()
        for rows in batches():
            opt.zero_grad(set_to_none=True)
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
