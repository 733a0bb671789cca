"""Random-intercept GLMM by variational inference (TensorFlow Probability).

The model is a ``tfd.JointDistributionCoroutine``::

    group_sd    ~ HalfNormal(1)
    residual_sd ~ HalfNormal(1)                      (Normal family only: learned, not fixed)
    beta        ~ Normal(0, 1)   per fixed effect    (intercept + each covariate)
    u_g         ~ Normal(0, group_sd)   per group    (centred)
    y           ~ Normal(X beta + u, residual_sd) | Bernoulli(logit) | Poisson(log)

The priors are in the outcome's (link scale's) own units, as in the source. The posterior
is approximated by a factored Normal surrogate -- one loc and one softplus scale per
coordinate, the two sds through a softplus bijector -- fitted by maximising the ELBO with
``tfp.vi.fit_surrogate_posterior`` (reparameterised Monte Carlo gradients, Adam).

What makes it accurate, stable across seeds and fast, against the source's run (3,000 Adam
steps at 1e-2 from a random start, 2 draws a step, residual sd fixed at 1):

* **Start.** Henderson's mixed-model equations with EM updates of the variances (inside
  penalised IRLS for Bernoulli/Poisson), in numpy in milliseconds, put the surrogate next
  to the optimum: Adam refines, it does not travel.
* **Coordinates.** The surrogate is factored in fixed linear coordinates built from that
  start: whitened fixed effects (``beta = L w``, ``L L' = cov(beta)`` with the group
  effects integrated out) and group effects with their regression on the fixed effects
  taken out (``u = v + M beta``). In these coordinates the posterior's strong correlations
  -- the intercept against the mean of the group effects, the intercept against the
  slopes -- are nearly gone, so the mean-field surrogate no longer understates the
  uncertainty of the fixed effects (their intervals cover at the nominal rate), and Adam
  no longer crawls along the ridge those correlations make. The map has a constant
  Jacobian: the ELBO and the model are unchanged.
* **Averaging.** 16 draws a step, and the estimate is the average of the iterates over the
  last 70 % of the steps (Polyak-Ruppert), which cancels Adam's jitter around the optimum.
* **One graph.** The whole loop runs inside one ``tf.function``: no Python between steps.
  Building that graph is most of what a fit costs.

The fitted object (:mod:`._glmm_fitted`) keeps only numpy arrays (summaries and ``draws``
posterior draws taken with the seed), so it pickles and predicts without TensorFlow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.outcomes import softplus
from dgpbench.models.tfp._glmm_fitted import GlmmVIFitted
from dgpbench.models.tfp._glmm_start import moment_start
from dgpbench.params import param

FAMILIES = ("normal", "bernoulli", "poisson")
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(48)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


@dataclass(frozen=True)
class GlmmVIParams:
    family: str = param(
        "normal",
        "law of y given the linear predictor: normal (identity link, "
        "residual sd learned), bernoulli (logit), poisson (log)",
        choices=FAMILIES,
    )
    steps: int = param(1000, "Adam steps on the ELBO", ge=1)
    lr: float = param(0.005, "Adam learning rate", gt=0, le=1)
    samples: int = param(16, "Monte Carlo draws of the surrogate per ELBO step", ge=1)
    average: float = param(
        0.7,
        "share of the last steps whose iterates are averaged into the estimate (Polyak-Ruppert; 0 = last iterate)",
        ge=0,
        lt=1,
    )
    level: float = param(0.95, "posterior interval level of the coefficient table", gt=0, lt=1)
    draws: int = param(1000, "posterior draws kept for predictions", ge=10)


def _inv_softplus(x):
    x = np.asarray(x, float)
    return x + np.log(-np.expm1(-x))


def _softplus_mean(loc: float, sd: float) -> float:
    """E[softplus(Z)], Z ~ Normal(loc, sd), by Gauss-Hermite quadrature (deterministic)."""
    return float(np.sum(_GH_WEIGHTS * softplus(loc + sd * _GH_NODES)))


# ---------------------------------------------------------------------------------- model


class GlmmVI(Model):
    name = "glmm_vi"
    description = (
        "Random-intercept GLMM (Normal/Bernoulli/Poisson): a TFP joint distribution "
        "fitted by VI with a factored Normal surrogate"
    )
    version = "1"
    Params = GlmmVIParams
    capabilities = Capabilities(conditional=True, log_density=True, coefficients=True, variance_components=True)
    smoke_params = {"steps": 50, "samples": 2, "draws": 50}

    def supports(self, observed: Observed) -> tuple[bool, str]:
        roles = observed.roles
        if roles.group is None:
            return False, "glmm_vi needs a group role (one grouping factor)"
        frame = observed.frame
        if frame[roles.group].isna().any():
            return False, f"glmm_vi needs a group label on every row; {roles.group!r} has missing values"
        bad = [c for c in roles.covariates if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            return False, f"glmm_vi needs numeric covariates; non-numeric: {bad}"
        if not np.isfinite(frame[list(roles.covariates)].to_numpy(dtype=float)).all():
            return False, "glmm_vi needs finite covariates (no missing values)"
        if not pd.api.types.is_numeric_dtype(frame[roles.outcome]):
            return False, f"glmm_vi needs a numeric outcome; {roles.outcome!r} is not"
        y = frame[roles.outcome].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            return False, "glmm_vi needs a finite outcome (no missing values)"
        family = self.params.family
        if family == "bernoulli" and not np.isin(y, (0.0, 1.0)).all():
            return False, "family 'bernoulli' needs a 0/1 outcome"
        if family == "poisson" and ((y < 0).any() or (y != np.round(y)).any()):
            return False, "family 'poisson' needs a non-negative integer outcome"
        return True, ""

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        return _fit(self.params, observed, seed)


def _design(observed: Observed):
    roles = observed.roles
    frame = observed.frame
    codes, labels = pd.factorize(frame[roles.group], sort=True)
    X = np.column_stack([np.ones(len(frame)), frame[list(roles.covariates)].to_numpy(dtype=float)])
    return X, observed.y, codes.astype(np.int64), labels


def _fit(p: GlmmVIParams, observed: Observed, seed: int) -> GlmmVIFitted:
    from dgpbench.models.tfp._tf import tf_modules

    tf, tfp = tf_modules()
    import tf_keras  # TFP's optimiser interface (installed with TFP, already imported by it)

    tfd, tfb = tfp.distributions, tfp.bijectors
    t0 = time.perf_counter()
    roles = observed.roles
    X, y, g, labels = _design(observed)
    n_groups, n_fixed = len(labels), X.shape[1]
    n_sd = 2 if p.family == "normal" else 1
    st = moment_start(p.family, X, y, g, n_groups)

    # Surrogate coordinates theta = [softplus^-1(sds), w, v], all factored Normal:
    #   beta = L w          L = chol(cov_beta): whitened fixed effects
    #   u    = v + M beta   v: group effects with their regression on beta taken out
    # A fixed linear map (unit Jacobian up to a constant), so the ELBO is the same; but in
    # these coordinates the posterior's strong correlations (the intercept against the mean
    # of the group effects; intercept against slopes) are nearly gone, so a mean-field
    # surrogate no longer understates the fixed effects' uncertainty, and Adam no longer
    # crawls along the ridge those correlations make.
    L = np.linalg.cholesky(st.cov_beta)
    M = st.M
    start_loc = np.concatenate([_inv_softplus(st.sds), np.linalg.solve(L, st.beta), st.u - M @ st.beta])
    # delta method for the sds' softplus coordinates: d softplus(x)/dx = 1 - exp(-softplus(x))
    sds_sd = np.clip(st.sds_sd / -np.expm1(-st.sds), 1e-3, 1.0)
    start_sd = np.concatenate([sds_sd, np.ones(n_fixed), np.sqrt(st.var_u)])

    Xt = tf.constant(X, tf.float32)
    yt = tf.constant(y, tf.float32)
    gt = tf.constant(g, tf.int32)
    Lt = tf.constant(L, tf.float32)
    Mt = tf.constant(M, tf.float32)
    root = tfd.JointDistributionCoroutine.Root

    def model():
        group_sd = yield root(tfd.HalfNormal(1.0, name="group_sd"))
        if p.family == "normal":
            residual_sd = yield root(tfd.HalfNormal(1.0, name="residual_sd"))
        beta = yield root(tfd.Sample(tfd.Normal(0.0, 1.0), n_fixed, name="beta"))
        u = yield tfd.Independent(tfd.Normal(tf.zeros(n_groups), group_sd[..., None]), 1, name="u")
        eta = tf.reduce_sum(beta[..., None, :] * Xt, axis=-1) + tf.gather(u, gt, axis=-1)
        if p.family == "normal":
            lik = tfd.Normal(eta, residual_sd[..., None])
        elif p.family == "bernoulli":
            lik = tfd.Bernoulli(logits=eta, dtype=tf.float32)
        else:
            lik = tfd.Poisson(log_rate=eta)
        yield tfd.Independent(lik, 1, name="y")

    joint = tfd.JointDistributionCoroutine(model)
    softplus_bijector = tfb.Softplus()

    def target_log_prob(theta):
        """log p(sds, beta, u, y) at the model point of ``theta`` + the softplus Jacobian."""
        raw = theta[..., :n_sd]
        sds = softplus_bijector.forward(raw)
        beta = tf.linalg.matvec(Lt, theta[..., n_sd : n_sd + n_fixed])
        u = theta[..., n_sd + n_fixed :] + tf.linalg.matvec(Mt, beta)
        parts = [sds[..., i] for i in range(n_sd)] + [beta, u, yt]
        return joint.log_prob(*parts) + tf.reduce_sum(softplus_bijector.forward_log_det_jacobian(raw, 0), -1)

    loc_var = tf.Variable(start_loc.astype(np.float32), name="loc")
    scale_var = tfp.util.TransformedVariable(start_sd.astype(np.float32), softplus_bijector, name="scale")
    surrogate = tfd.MultivariateNormalDiag(loc=loc_var, scale_diag=scale_var)
    optimizer = tf_keras.optimizers.Adam(p.lr)
    optimizer.build(surrogate.trainable_variables)  # slots now, not inside the traced step
    n_avg = max(1, int(round(p.average * p.steps)))
    sum_loc = tf.Variable(tf.zeros_like(loc_var))
    sum_scale = tf.Variable(tf.zeros_like(loc_var))

    def trace(tq):
        """Loss per step; the iterates of the last ``n_avg`` steps summed for their average."""
        on = tf.cast(tq.step >= p.steps - n_avg, tf.float32)
        sum_loc.assign_add(on * loc_var)
        sum_scale.assign_add(on * tf.convert_to_tensor(scale_var))
        return tq.loss

    @tf.function(autograph=False)
    def run():  # one graph for the whole loop: no Python between steps
        return tfp.vi.fit_surrogate_posterior(
            target_log_prob,
            surrogate,
            optimizer,
            p.steps,
            sample_size=p.samples,
            trace_fn=trace,
            seed=tf.constant([seed % (2**31 - 1), 20240917], tf.int32),
        )

    losses = run().numpy()
    if not np.all(np.isfinite(losses[-n_avg:])):
        raise FloatingPointError("glmm_vi: the ELBO is not finite (diverged)")
    loc = sum_loc.numpy().astype(float) / n_avg
    scale = sum_scale.numpy().astype(float) / n_avg

    sl_w, sl_v = slice(n_sd, n_sd + n_fixed), slice(n_sd + n_fixed, None)
    coef_mean = L @ loc[sl_w]
    coef_sd = np.sqrt(np.sum((L * scale[sl_w]) ** 2, axis=1))
    components = {"group_sd": _softplus_mean(loc[0], scale[0])}
    if p.family == "normal":
        components["residual_sd"] = _softplus_mean(loc[1], scale[1])

    rng = np.random.default_rng(seed)
    theta = loc + scale * rng.standard_normal((p.draws, len(loc)))
    beta = theta[:, sl_w] @ L.T
    draws = {
        "group_sd": softplus(theta[:, 0]),
        "beta": beta,
        "u": theta[:, sl_v] + beta @ M.T,
        "new_group": rng.standard_normal(p.draws),
    }
    if p.family == "normal":
        draws["residual_sd"] = softplus(theta[:, 1])
    info = {"steps": p.steps, "final_loss": float(np.mean(losses[-n_avg:])), "fit_seconds": time.perf_counter() - t0}
    return GlmmVIFitted(
        family=p.family,
        covariates=roles.covariates,
        group=roles.group,
        labels=labels,
        coef_mean=coef_mean,
        coef_sd=coef_sd,
        group_mean=loc[sl_v] + M @ coef_mean,
        components=components,
        draws=draws,
        level=p.level,
        info=info,
    )
