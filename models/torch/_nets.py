"""PyTorch building blocks of the causal networks, written functionally: a network is an
architecture value (:class:`TwoHeadArch`, :class:`LogitArch`) plus a dict of weight tensors,
so a fitted model pickles as plain tensors and rebuilds nothing.

PyTorch is imported inside the functions, never at module level (the layer test keeps
heavy backends out of import time). Nothing here touches the global RNG: weights,
shuffles and dropout masks come from an explicit ``torch.Generator`` /
``numpy.random.Generator`` derived from the fit seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dgpbench.models.base import thread_count

if TYPE_CHECKING:
    import torch

    Weights = dict[str, torch.Tensor]
    Keep = tuple[torch.Tensor, torch.Generator]  # per-row keep probability, mask generator


@contextmanager
def torch_env():
    """One thread per worker (``thread_count()``) and deterministic kernels; restores both.

    The kernels' flag is set directly: ``torch.use_deterministic_algorithms`` also sets
    TorchInductor's flag, which imports the compiler stack (about 4 s, once per worker
    process) for compiled code these models never run. Where something else has imported
    it already, the public call keeps its flag in step."""
    import sys

    import torch

    def deterministic(mode: bool) -> None:
        if "torch._inductor.config" in sys.modules:
            torch.use_deterministic_algorithms(mode)
        else:
            torch._C._set_deterministic_algorithms(mode)

    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(thread_count())
    deterministic(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        deterministic(det)


def _stack_shapes(prefix: str, n_in: int, width: int, depth: int) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for i in range(depth):
        out[f"{prefix}.{i}.weight"] = (width, n_in if i == 0 else width)
        out[f"{prefix}.{i}.bias"] = (width,)
    return out


def init_weights(shapes: dict[str, tuple[int, ...]], gen: torch.Generator) -> Weights:
    """Glorot-uniform weight matrices, zero biases (and epsilon), drawn from ``gen`` in the
    order of ``shapes``; every tensor requires grad."""
    import torch

    w = {}
    for name, shape in shapes.items():
        t = torch.zeros(shape)
        if name.endswith("weight"):
            bound = math.sqrt(6.0 / (shape[0] + shape[1]))
            t.uniform_(-bound, bound, generator=gen)
        w[name] = t.requires_grad_()
    return w


def _dense(w: Weights, prefix: str, z: torch.Tensor, depth: int, keep: Keep | None = None) -> torch.Tensor:
    """``depth`` ELU layers; with ``keep``, inverted dropout of each hidden unit with the
    row's own keep probability (DCN-PD's propensity dropout)."""
    import torch
    from torch.nn import functional as F

    for i in range(depth):
        z = F.elu(F.linear(z, w[f"{prefix}.{i}.weight"], w[f"{prefix}.{i}.bias"]))
        if keep is not None:
            p, gen = keep
            z = z * (torch.rand(z.shape, generator=gen) < p[:, None]) / p[:, None]
    return z


def _out(w: Weights, prefix: str, z: torch.Tensor) -> torch.Tensor:
    from torch.nn import functional as F

    return F.linear(z, w[f"{prefix}.weight"], w[f"{prefix}.bias"]).squeeze(-1)


@dataclass(frozen=True)
class TwoHeadArch:
    """Shared ELU representation layers, one outcome head per arm, an optional propensity
    head (a logistic layer on the representation) and an optional scalar ``epsilon``
    (Dragonnet's targeted-regularisation parameter)."""

    n_in: int
    hidden: int
    layers: int
    head_hidden: int
    head_layers: int
    propensity: bool = False
    epsilon: bool = False

    def shapes(self) -> dict[str, tuple[int, ...]]:
        top = self.head_hidden if self.head_layers else self.hidden
        out = _stack_shapes("rep", self.n_in, self.hidden, self.layers)
        for arm in (0, 1):
            out.update(_stack_shapes(f"head{arm}", self.hidden, self.head_hidden, self.head_layers))
        for arm in (0, 1):
            out.update({f"out{arm}.weight": (1, top), f"out{arm}.bias": (1,)})
        if self.propensity:
            out.update({"prop.weight": (1, self.hidden), "prop.bias": (1,)})
        if self.epsilon:
            out["epsilon"] = (1,)
        return out

    def _represent(self, w: Weights, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = _dense(w, "rep", x, self.layers)
        return h, (_out(w, "prop", h) if self.propensity else None)

    def _head(self, w: Weights, arm: int, z: torch.Tensor, keep: Keep | None = None) -> torch.Tensor:
        return _out(w, f"out{arm}", _dense(w, f"head{arm}", z, self.head_layers, keep))

    def both(self, w: Weights, x: torch.Tensor):
        """``(q0, q1, propensity_logit | None)`` for every row."""
        h, logit = self._represent(w, x)
        return self._head(w, 0, h), self._head(w, 1, h), logit

    def factual(self, w: Weights, x: torch.Tensor, t: torch.Tensor, keep: Keep | None = None):
        """``(q_t(x), propensity_logit | None)``: each row through its own arm's head only."""
        import torch

        h, logit = self._represent(w, x)
        q = torch.zeros(len(x))
        for arm, rows in ((0, t < 0.5), (1, t > 0.5)):
            if rows.any():
                q[rows] = self._head(w, arm, h[rows], None if keep is None else (keep[0][rows], keep[1]))
        return q, logit


@dataclass(frozen=True)
class LogitArch:
    """A one-output ELU network (the DCN-PD propensity network): its logit."""

    n_in: int
    hidden: int
    layers: int

    def shapes(self) -> dict[str, tuple[int, ...]]:
        top = self.hidden if self.layers else self.n_in
        return {**_stack_shapes("body", self.n_in, self.hidden, self.layers), "out.weight": (1, top), "out.bias": (1,)}

    def logit(self, w: Weights, x: torch.Tensor) -> torch.Tensor:
        return _out(w, "out", _dense(w, "body", x, self.layers))


class Adam:
    """Adam (Kingma & Ba 2015) with coupled L2 ``weight_decay`` on the ``decay`` tensors: the
    update of ``torch.optim.Adam`` (bias correction folded into the step size), written out
    because the first ``torch.optim`` step imports ``torch._dynamo`` (seconds of CPU in
    every fresh worker process). In-place ``_foreach`` updates into preallocated buffers
    keep a step cheap; a test checks it against ``torch.optim.Adam``."""

    def __init__(
        self,
        decay: list[torch.Tensor],
        rest: list[torch.Tensor],
        lr: float,
        weight_decay: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        import torch

        self.params, self.n_decay = [*decay, *rest], len(decay)
        self.lr, self.wd, self.betas, self.eps, self.steps = lr, weight_decay, betas, eps, 0
        self.m, self.v, self.denom = ([torch.zeros_like(p) for p in self.params] for _ in range(3))

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        import torch

        self.steps += 1
        b1, b2 = self.betas
        root_c2 = math.sqrt(1 - b2**self.steps)
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        ps, m, v, d = ([xs[i] for i in live] for xs in (self.params, self.m, self.v, self.denom))
        with torch.no_grad():
            grads = [p.grad for p in ps if p.grad is not None]  # every p in ps is live: none is dropped
            decayed = [k for k, i in enumerate(live) if i < self.n_decay]
            if self.wd and decayed:
                torch._foreach_add_([grads[k] for k in decayed], [ps[k] for k in decayed], alpha=self.wd)
            torch._foreach_lerp_(m, grads, 1 - b1)
            torch._foreach_mul_(v, b2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
            torch._foreach_copy_(d, v)
            torch._foreach_sqrt_(d)
            torch._foreach_add_(d, self.eps * root_c2)
            torch._foreach_addcdiv_(ps, m, d, value=-self.lr * root_c2 / (1 - b1**self.steps))


def train(
    w: Weights,
    loss: Callable[[np.ndarray], torch.Tensor],
    valid_loss: Callable[[], float],
    batches: Callable[[], Iterable[np.ndarray]],
    *,
    epochs: int,
    lr: float,
    weight_decay: float,
    patience: int,
) -> tuple[Weights, int]:
    """:class:`Adam` on ``loss(batch_rows)`` with L2 ``weight_decay`` on the weight matrices
    only; after each epoch ``valid_loss()`` is evaluated, and the weights of the best epoch
    are returned (early stopping after ``patience`` epochs without improvement), detached,
    with that epoch."""
    import torch

    opt = Adam(
        [p for n, p in w.items() if n.endswith("weight")],
        [p for n, p in w.items() if not n.endswith("weight")],
        lr,
        weight_decay,
    )

    def snapshot() -> Weights:
        return {n: p.detach().clone() for n, p in w.items()}

    best, best_epoch, best_w = math.inf, 0, snapshot()
    for epoch in range(1, epochs + 1):
        for rows in batches():
            opt.zero_grad()
            loss(rows).backward()
            opt.step()
        with torch.no_grad():
            v = valid_loss()
        if not math.isfinite(v):
            raise FloatingPointError(f"validation loss is {v} at epoch {epoch} (training diverged)")
        if v < best:
            best, best_epoch, best_w = v, epoch, snapshot()
        elif epoch - best_epoch >= patience:
            break
    return best_w, best_epoch


def minibatches(rng: np.random.Generator, rows: np.ndarray, size: int) -> list[np.ndarray]:
    """``rows`` shuffled and cut into batches of ``size`` (all rows when ``size`` is 0)."""
    rows = rng.permutation(rows)
    if size <= 0 or size >= len(rows):
        return [rows]
    return [rows[i : i + size] for i in range(0, len(rows), size)]
