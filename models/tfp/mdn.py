"""Mixture density network: a dense ReLU network feeding a K-component Normal mixture.

The network maps the standardised inputs to the mixture's logits, locations and scales
(``tfd.MixtureSameFamily`` of ``tfd.Normal``; inputs and outcome are standardised inside
the model) and is trained by negative log-likelihood. What makes it fast and steady:

* Adam on large mini-batches (1,000 rows), a whole epoch per call of one
  ``tf.function``, all parameters in one flat vector (a handful of optimiser ops a step);
* an exponential moving average of the weights (Polyak averaging) is what gets evaluated
  and kept: it smooths out the mini-batch noise of the last iterates at no cost;
* early stopping on the held-out NLL of the averaged weights (rows labelled ``valid``, or
  a seeded fraction of the train rows), keeping the best epoch's weights.

Randomness (initial weights, the held-out rows, batch order) comes from
``numpy.random.default_rng(seed)``; TensorFlow draws nothing. The fitted object keeps the
weights as numpy arrays and predicts in numpy: it pickles, and prediction needs no
TensorFlow.

With K=1 it is a heteroscedastic Gaussian regression (recovers ``heteroscedastic``'s sd);
K=1 fails on ``two_mode_mixture`` and K=2 recovers both modes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import logsumexp, softmax

from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.holdout import held_out
from dgpbench.models.outcomes import SetTreatment, softplus
from dgpbench.params import param

_MIN_SCALE = 1e-4  # floor of a component's sd, in units of the outcome's sd


@dataclass(frozen=True)
class MDNParams:
    components: int = param(1, "mixture components K", ge=1, le=50)
    hidden: int = param(64, "units per hidden layer", ge=1, le=4096)
    layers: int = param(2, "hidden ReLU layers", ge=0, le=16)
    lr: float = param(3e-3, "Adam learning rate", gt=0, le=1)
    epochs: int = param(400, "most passes over the training rows (early stopping ends sooner)", ge=1)
    batch_size: int = param(1000, "rows per Adam step (0 = full batch)", ge=0)
    patience: int = param(20, "epochs without a better held-out NLL before stopping", ge=1)
    valid_fraction: float = param(
        0.2, "share of train rows held out for early stopping when the data has no 'valid' rows", gt=0, lt=1
    )
    ema: float = param(
        0.98, "decay per step of the weight average that is evaluated and kept (0 = the raw weights)", ge=0, lt=1
    )


class MDNFitted(Fitted, SetTreatment):
    """Numpy forward pass of a trained MDN; all predictions are in the outcome's units."""

    def __init__(self, weights, inputs, treatment, x_loc, x_scale, y_loc, y_scale, components, info):
        self.weights = [(np.asarray(w), np.asarray(b)) for w, b in weights]
        self.inputs = list(inputs)
        self._treatment = treatment
        self.x_loc, self.x_scale = np.asarray(x_loc), np.asarray(x_scale)
        self.y_loc, self.y_scale = float(y_loc), float(y_scale)
        self.k = int(components)
        self.info = dict(info)  # epochs run, best epoch, held-out NLL, train seconds

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.inputs if c not in X.columns]
        if missing:
            raise KeyError(f"mdn: input columns missing: {missing}")
        return (X[self.inputs].to_numpy(dtype=float) - self.x_loc) / self.x_scale

    def mixture(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-row component weights, locations and sds, each of shape (len(X), K)."""
        h = self._design(X)
        *hidden, last = self.weights
        for w, b in hidden:
            h = np.maximum(h @ w + b, 0.0)
        out = h @ last[0] + last[1]
        k = self.k
        logits, loc, raw = out[:, :k], out[:, k : 2 * k], out[:, 2 * k :]
        scale = softplus(raw) + _MIN_SCALE
        return softmax(logits, axis=1), self.y_loc + self.y_scale * loc, self.y_scale * scale

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        w, loc, _ = self.mixture(X)
        return (w * loc).sum(axis=1)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        w, loc, scale = self.mixture(X)
        m = (w * loc).sum(axis=1, keepdims=True)
        return np.sqrt((w * (scale**2 + (loc - m) ** 2)).sum(axis=1))

    def logpdf(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        w, loc, scale = self.mixture(X)
        y = np.asarray(y, dtype=float).reshape(-1, 1)
        z = (y - loc) / scale
        comp = -0.5 * z**2 - np.log(scale) - 0.5 * np.log(2 * np.pi)
        return logsumexp(comp + np.log(np.maximum(w, 1e-300)), axis=1)

    def sample(self, X: pd.DataFrame, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        w, loc, scale = self.mixture(X)
        n = len(w)
        cdf = np.cumsum(w, axis=1)
        u = rng.random((n, n_samples, 1))
        comp = np.minimum((u > cdf[:, None, :]).sum(axis=2), self.k - 1)
        rows = np.arange(n)[:, None]
        return loc[rows, comp] + scale[rows, comp] * rng.standard_normal((n, n_samples))


class MDN(Model):
    name = "mdn"
    description = "Mixture density network (TFP): dense ReLU net feeding a K-component Normal mixture"
    version = "1"
    Params = MDNParams
    capabilities = Capabilities(conditional=True, log_density=True, potential_outcomes=True)
    smoke_params = {"components": 2, "hidden": 8, "epochs": 5, "batch_size": 0, "patience": 2}

    def supports(self, observed: Observed) -> tuple[bool, str]:
        inputs = observed.roles.inputs()
        if not inputs:
            return False, "mdn needs at least one input column (covariates or treatment)"
        cols = [*inputs, observed.roles.outcome]
        bad = [c for c in cols if not pd.api.types.is_numeric_dtype(observed.frame[c])]
        if bad:
            return False, f"mdn needs numeric inputs and outcome; non-numeric: {bad}"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return _train(self.params, observed, seed)


def _init_weights(sizes: list[int], k: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform weights, zero biases; the output layer starts near a standard Normal
    per component with locations spread over [-1, 1] so that components start apart."""
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append((rng.uniform(-lim, lim, (fan_in, fan_out)), np.zeros(fan_out)))
    w, b = weights[-1]
    w *= 0.1
    b[k : 2 * k] = np.linspace(-1, 1, k) if k > 1 else 0.0
    b[2 * k :] = np.log(np.expm1(1.0 if k == 1 else 0.5))
    return weights


def _train(p: MDNParams, observed: Observed, seed: int) -> MDNFitted:
    from dgpbench.models.tfp._tf import tf_modules

    tf, tfp = tf_modules()
    tfd = tfp.distributions
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    inputs = observed.roles.inputs()
    X = observed.frame[inputs].to_numpy(dtype=float)
    y = observed.y
    held = held_out(observed, lambda n: rng.permutation(n)[: max(1, int(round(p.valid_fraction * n)))])
    x_loc, x_scale = X[~held].mean(axis=0), X[~held].std(axis=0)
    x_scale = np.where(x_scale > 0, x_scale, 1.0)
    y_loc, y_scale = y[~held].mean(), y[~held].std()
    y_scale = y_scale if y_scale > 0 else 1.0
    Xs = ((X - x_loc) / x_scale).astype(np.float32)
    ys = ((y - y_loc) / y_scale).astype(np.float32)
    x_tr, y_tr, x_va, y_va = Xs[~held], ys[~held], Xs[held], ys[held]

    k = p.components
    sizes = [X.shape[1], *([p.hidden] * p.layers), 3 * k]
    init = [a for wb in _init_weights(sizes, k, rng) for a in wb]
    shapes = [a.shape for a in init]
    counts = [a.size for a in init]
    # one flat parameter vector: Adam and the weight average are a handful of ops per step
    theta = tf.Variable(np.concatenate([a.ravel() for a in init]).astype(np.float32))
    avg = tf.Variable(theta)
    m1, m2 = tf.Variable(tf.zeros_like(theta)), tf.Variable(tf.zeros_like(theta))
    t = tf.Variable(0.0)
    b1, b2, eps, decay = 0.9, 0.999, 1e-7, p.ema

    def nll(vec, x, yy):
        ps = [tf.reshape(a, s) for a, s in zip(tf.split(vec, counts), shapes)]
        h = x
        for i in range(0, len(ps) - 2, 2):
            h = tf.nn.relu(tf.matmul(h, ps[i]) + ps[i + 1])
        out = tf.matmul(h, ps[-2]) + ps[-1]
        dist = tfd.MixtureSameFamily(
            tfd.Categorical(logits=out[:, :k]),
            tfd.Normal(out[:, k : 2 * k], tf.nn.softplus(out[:, 2 * k :]) + _MIN_SCALE),
        )
        return -tf.reduce_mean(dist.log_prob(yy))

    n = len(y_tr)
    bs = n if p.batch_size == 0 or p.batch_size >= n else p.batch_size
    n_batches = max(1, n // bs)  # the n % bs rows left over differ from epoch to epoch

    @tf.function
    def epoch_fn(xe, ye):
        for b in tf.range(n_batches):
            with tf.GradientTape() as tape:
                loss = nll(theta, xe[b * bs : (b + 1) * bs], ye[b * bs : (b + 1) * bs])
            g = tape.gradient(loss, theta)
            t.assign_add(1.0)
            m1.assign(b1 * m1 + (1 - b1) * g)
            m2.assign(b2 * m2 + (1 - b2) * g * g)
            theta.assign_sub(p.lr * (m1 / (1 - b1**t)) / (tf.sqrt(m2 / (1 - b2**t)) + eps))
            avg.assign(decay * avg + (1 - decay) * theta)

    @tf.function
    def evaluate(x, yy):
        return nll(avg, x, yy)

    x_va_t, y_va_t = tf.constant(x_va), tf.constant(y_va)
    best, best_epoch, best_theta = np.inf, 0, avg.numpy()
    epoch = 0
    for epoch in range(1, p.epochs + 1):
        order = rng.permutation(n) if n_batches > 1 else np.arange(n)
        epoch_fn(tf.constant(x_tr[order]), tf.constant(y_tr[order]))
        val = float(evaluate(x_va_t, y_va_t))
        if not np.isfinite(val):
            raise FloatingPointError(f"mdn: held-out NLL is {val} at epoch {epoch} (diverged)")
        if val < best - 1e-5:
            best, best_epoch, best_theta = val, epoch, avg.numpy()
        elif epoch - best_epoch >= p.patience:
            break
    arrays = [a.reshape(s).astype(float) for a, s in zip(np.split(best_theta, np.cumsum(counts)[:-1]), shapes)]
    weights = list(zip(arrays[0::2], arrays[1::2]))
    info = {
        "epochs": epoch,
        "best_epoch": best_epoch,
        "valid_nll": best + float(np.log(y_scale)),
        "fit_seconds": time.perf_counter() - t0,
    }
    return MDNFitted(weights, inputs, observed.roles.treatment, x_loc, x_scale, y_loc, y_scale, k, info)
