"""TARNet, DCN-PD and Dragonnet: recovery of individual effects on IHDP, determinism,
no truth in ``fit``, refusals with reasons, and the DCN-PD training specifics."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from dgpbench.generators.base import Observed, Roles
from dgpbench.generators.registry import load_generator
from dgpbench.models.registry import load_model, model_class

MODELS = ("tarnet", "dcn_pd", "dragonnet")
SMALL = {"epochs": 3, "hidden": 16, "head_hidden": 8, "patience": 2}


def ihdp(replication: int, seed: int = 0):
    return load_generator("ihdp", replication=replication).sample(seed)


def errors(fitted, observed, truth, rows) -> tuple[float, float]:
    """sqrt(PEHE) and |ATE error| over ``rows``."""
    X = observed.frame.drop(columns=[observed.roles.outcome])
    err = ((fitted.mu1(X) - fitted.mu0(X)) - (truth.mu1 - truth.mu0))[rows]
    return float(np.sqrt(np.mean(err**2))), float(abs(err.mean()))


def constant_effect_error(observed, truth, rows) -> float:
    """sqrt(PEHE) of the difference in means of the fit rows used as every row's effect."""
    fit = observed.mask("train", "valid")
    t, y = observed.frame["t"].to_numpy()[fit], observed.y[fit]
    dim = y[t == 1].mean() - y[t == 0].mean()
    return float(np.sqrt(np.mean((dim - (truth.mu1 - truth.mu0)[rows]) ** 2)))


@pytest.mark.slow
@pytest.mark.parametrize(
    "model,replication", [("tarnet", 4), ("tarnet", 8), ("dragonnet", 4), ("dragonnet", 8), ("dcn_pd", 4)]
)
def test_recovers_individual_effects_out_of_sample(model, replication):
    observed, truth = ihdp(replication)
    fitted = load_model(model).fit(observed, 0)
    test = observed.mask("test")
    pehe, ate = errors(fitted, observed, truth, test)
    naive = constant_effect_error(observed, truth, test)
    assert pehe < 1.0 and pehe < 0.5 * naive, (pehe, naive)
    assert ate < 0.5, ate


@pytest.mark.parametrize("model", MODELS)
def test_same_seed_same_fit_other_seed_other_fit(model):
    observed, _ = ihdp(1)
    X = observed.frame.drop(columns=["y"])
    a, b, c = (load_model(model, **SMALL).fit(observed, s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.mu0(X), b.mu0(X))
    np.testing.assert_array_equal(a.mu1(X), b.mu1(X))
    np.testing.assert_array_equal(a.sd(X), b.sd(X))
    assert not np.array_equal(a.mu1(X), c.mu1(X))


@pytest.mark.parametrize("model", MODELS)
def test_fit_sees_no_truth_no_counterfactual_no_test_row(model):
    observed, truth = ihdp(1)
    seen: list[Observed] = []
    cls = model_class(model)

    class Spy(cls):
        def _fit(self, obs, seed):
            seen.append(obs)
            return super()._fit(obs, seed)

    Spy(**SMALL).fit(observed, 0)
    (obs,) = seen
    assert list(obs.frame.columns) == [f"x{i}" for i in range(1, 26)] + ["t", "y"]
    assert not obs.mask("test").any()
    fit = observed.mask("train", "valid")
    hidden = {"mu0": truth.mu0, "mu1": truth.mu1, "y0": truth.y0, "y1": truth.y1}
    for col in obs.frame.columns:  # no truth smuggled under another name
        for name, values in hidden.items():
            assert not np.allclose(obs.frame[col].to_numpy(float), values[fit]), (col, name)
    # the only outcome is the factual one
    t = obs.frame["t"].to_numpy()
    np.testing.assert_array_equal(obs.y, np.where(t == 1, truth.y1[fit], truth.y0[fit]))


@pytest.mark.parametrize("model", MODELS)
def test_refuses_data_it_cannot_serve_with_a_reason(model):
    m = load_model(model)
    no_treatment, _ = load_generator("heteroscedastic", n=50, n_test=10).sample(0)
    panel, _ = load_generator("did_panel", n_units=6, n_periods=4).sample(0)
    frame = pd.DataFrame({"x": np.arange(9.0), "t": [0, 1, 2] * 3, "y": np.arange(9.0)})
    three_arms = Observed(frame, Roles("y", ("x",), "t"), np.array(["train"] * 9))
    for observed, word in ((no_treatment, "treatment"), (panel, "panel"), (three_arms, "binary")):
        ok, reason = m.supports(observed)
        assert not ok and word in reason, reason
        with pytest.raises(ValueError):
            m.fit(observed, 0)
    assert m.supports(ihdp(1)[0]) == (True, "")


def test_ensemble_pickles_and_predicts_any_rows():
    observed, _ = ihdp(2)
    fitted = load_model("tarnet", ensemble=2, **SMALL).fit(observed, 0)
    clone = pickle.loads(pickle.dumps(fitted))
    X = observed.frame.drop(columns=["y"]).iloc[::7]
    covariates_only = X.drop(columns=["t"])  # mu0/mu1 ignore the realised treatment
    np.testing.assert_array_equal(clone.mu1(covariates_only), fitted.mu1(X))
    np.testing.assert_array_equal(clone.mu0(X), fitted.mu0(X))
    t = X["t"].to_numpy()
    np.testing.assert_array_equal(fitted.mean(X), np.where(t == 1, fitted.mu1(X), fitted.mu0(X)))
    sd = fitted.sd(X)
    assert (sd > 0).all() and len(np.unique(sd[t == 1])) == 1


def test_dcn_pd_alternates_arms_and_drops_by_propensity(monkeypatch):
    from dgpbench.models.torch.causal_nets import DCNPD

    observed, _ = ihdp(1)
    model = DCNPD(**SMALL)
    seen: dict[str, object] = {}
    orig_batches, orig_prepare = DCNPD._batches, DCNPD._prepare

    def spy_batches(self, data, rng):
        out = orig_batches(self, data, rng)
        seen["arms"] = [set(data.t[b].tolist()) for b in out]
        return out

    def spy_prepare(self, data, seed):
        seen["keep"] = keep = orig_prepare(self, data, seed)
        return keep

    monkeypatch.setattr(DCNPD, "_batches", spy_batches)
    monkeypatch.setattr(DCNPD, "_prepare", spy_prepare)
    model.fit(observed, 0)
    arms = seen["arms"]
    assert all(len(a) == 1 for a in arms)  # each batch holds one arm
    assert [a.pop() for a in arms] == [1.0, 0.0] * (len(arms) // 2)  # treated, control, ...
    keep = seen["keep"].numpy()
    assert ((keep >= 0.5 - 1e-6) & (keep <= 1 + 1e-6)).all() and keep.std() > 0


def test_fit_leaves_torch_global_state_alone():
    import torch

    observed, _ = ihdp(1)
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    state = torch.random.get_rng_state()
    load_model("dragonnet", **SMALL).fit(observed, 0)
    assert torch.equal(torch.random.get_rng_state(), state)  # seeded through explicit generators
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == (threads, det)


def test_adam_matches_torch_optim():
    import torch

    from dgpbench.models.torch._nets import Adam

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(7, 5, generator=gen)
    w, b = torch.randn(5, 3, generator=gen), torch.randn(3, generator=gen)
    ours = [w.clone().requires_grad_(), b.clone().requires_grad_()]
    ref = [w.clone().requires_grad_(), b.clone().requires_grad_()]
    opt = Adam([ours[0]], [ours[1]], lr=1e-2, weight_decay=0.1)
    ref_opt = torch.optim.Adam([{"params": [ref[0]], "weight_decay": 0.1}, {"params": [ref[1]]}], lr=1e-2)
    for _ in range(50):
        for (pw, pb), o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            ((x @ pw + pb) ** 2).sum().backward()
            o.step()
    torch.testing.assert_close(ours[0], ref[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours[1], ref[1], rtol=1e-5, atol=1e-6)
