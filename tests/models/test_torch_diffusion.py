"""Tabular diffusion (conditional and joint): preprocessing, determinism, recovery.

Fits are small (a few hundred updates on 1,500 rows, hidden 32) so the file runs in
seconds on two cores; tolerances are ones a broken model fails: a constant spread, a
single mode or a row sampler no better than a multivariate normal.
"""

import pickle

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from dgpbench.generators.base import Observed, Roles  # noqa: E402
from dgpbench.generators.registry import load_generator  # noqa: E402
from dgpbench.models.base import ConditionalDistribution, JointSampler, PotentialOutcomes  # noqa: E402
from dgpbench.models.torch._common import TabularCodec  # noqa: E402
from dgpbench.models.torch.diffusion import Diffusion, DiffusionJoint  # noqa: E402

SMALL = {"epochs": 100, "batch_size": 256, "lr": 1e-3, "hidden": 32, "steps": 50, "patience": 0}


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """V-statistic 2 E|A-B| - E|A-A'| - E|B-B'| (slow and obvious; tests only)."""

    def d(u, v):
        return np.sqrt(((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)).mean()

    return float(2 * d(a, b) - d(a, a) - d(b, b))


def mixed_observed(n: int = 400, seed: int = 0) -> Observed:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    g = rng.integers(0, 30, n)
    frame = pd.DataFrame(
        {
            "x": x,
            "t": t,
            "g": g,
            "cls": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) < 0.3,
            "b01": rng.integers(0, 2, n).astype(float),
            "count": rng.poisson(40, n),
            "y": x + 2.0 * t + 0.1 * rng.normal(size=n),
        }
    )
    roles = Roles(outcome="y", covariates=("x", "cls", "flag", "b01", "count"), treatment="t", group="g")
    return Observed(frame, roles, np.array(["train"] * n))


def test_codec_round_trips_values_and_dtypes():
    frame = mixed_observed().frame
    codec = TabularCodec(frame, list(frame.columns), force_categorical={"g"})
    kinds = {c.name: c.kind for c in codec.columns}
    assert kinds == {
        "x": "numeric",
        "t": "categorical",
        "g": "categorical",
        "cls": "categorical",
        "flag": "categorical",
        "b01": "categorical",
        "count": "integer",
        "y": "numeric",
    }
    Z = codec.encode(frame)
    assert Z.shape == (len(frame), codec.width)
    back = codec.decode(Z)
    assert list(back.columns) == list(frame.columns)
    assert back.dtypes.to_dict() == frame.dtypes.to_dict()
    pd.testing.assert_frame_equal(back, frame, check_exact=False, rtol=1e-12)
    std = Z[:, [0]]
    assert abs(std.mean()) < 1e-9 and abs(std.std() - 1) < 1e-9
    bits = TabularCodec(frame, list(frame.columns), force_categorical={"g"}, bits_above=8)
    assert bits.width == codec.width - 30 + 5  # 30 groups in 5 analog bits
    pd.testing.assert_frame_equal(bits.decode(bits.encode(frame)), frame, check_exact=False, rtol=1e-12)
    noisy = bits.encode(frame) + np.random.default_rng(0).normal(0, 0.3, (len(frame), bits.width))
    assert (bits.decode(noisy)["g"] == frame["g"]).mean() > 0.9  # nearest code survives noise


def test_heteroscedastic_sd_recovered():
    obs, truth = load_generator("heteroscedastic", n=1500, n_test=0).sample(0)
    fitted = Diffusion(**SMALL, n_samples=200).fit(obs, seed=0)
    assert isinstance(fitted, ConditionalDistribution)
    grid = pd.DataFrame({"x": np.linspace(0.1, 1.0, 20)})
    sd, mean = fitted.sd(grid), fitted.mean(grid)
    true_sd = truth.sd(grid)
    assert np.sqrt(np.mean((sd - true_sd) ** 2)) < 0.1  # a constant sd gives ~0.27
    assert np.corrcoef(sd, true_sd)[0, 1] > 0.95  # spread grows with x
    assert sd[-3:].mean() > 4 * sd[:3].mean()  # true ratio ~9
    assert np.sqrt(np.mean((mean - truth.mean(grid)) ** 2)) < 0.15


def test_two_mode_mixture_keeps_both_modes():
    obs, _ = load_generator("two_mode_mixture", n=1500, n_test=0).sample(0)
    fitted = Diffusion(**SMALL).fit(obs, seed=0)
    X = pd.DataFrame({"x": [0.3, 0.8]})
    s = fitted.sample(X, 400, np.random.default_rng(0))
    assert s.shape == (2, 400)
    for row, x in zip(s, X["x"]):
        narrow = np.mean(np.abs(row - x) < 0.1)  # truth: ~0.5 (a single Normal: < 0.15)
        below = np.mean(row < 0)  # truth: ~0.4 (the wide mode around -x)
        assert 0.3 < narrow < 0.7 and 0.2 < below < 0.6, (x, narrow, below)


def test_joint_beats_multivariate_normal_on_energy_distance():
    obs, truth = load_generator("two_mode_mixture", n=1500, n_test=0).sample(0)
    fitted = DiffusionJoint(**SMALL).fit(obs, seed=0)
    assert isinstance(fitted, JointSampler)
    rows = fitted.sample_rows(500, np.random.default_rng(0))
    assert list(rows.columns) == ["x", "y"] and all(pd.api.types.is_float_dtype(t) for t in rows.dtypes)
    fresh = truth.sample_rows(500, np.random.default_rng(1)).to_numpy(float)
    data = obs.frame[["x", "y"]].to_numpy(float)
    mvn = np.random.default_rng(2).multivariate_normal(data.mean(0), np.cov(data.T), 500)
    mu, sd = fresh.mean(0), fresh.std(0)
    ed_model = energy_distance((rows.to_numpy(float) - mu) / sd, (fresh - mu) / sd)
    ed_mvn = energy_distance((mvn - mu) / sd, (fresh - mu) / sd)
    assert ed_model < 0.75 * ed_mvn, (ed_model, ed_mvn)  # seeds 0-3: 0.33-0.53


def test_joint_rows_keep_columns_and_dtypes():
    obs = mixed_observed()
    fitted = DiffusionJoint(epochs=30, batch_size=0, hidden=16, steps=20).fit(obs, seed=0)
    rows = fitted.sample_rows(50, np.random.default_rng(0))
    frame = obs.frame[obs.roles.columns()]
    assert set(rows.columns) == set(frame.columns)
    assert rows.dtypes.to_dict() == frame[rows.columns].dtypes.to_dict()
    assert set(rows["t"]) <= {0, 1} and set(rows["cls"]) <= {"a", "b", "c"}
    assert set(rows["b01"]) <= {0.0, 1.0} and set(rows["g"]) <= set(frame["g"])


def test_joint_keeps_relations_next_to_a_many_level_group():
    """85 groups as one-hot (before analog bits) gave y sd 2.5 and no treatment effect."""
    rng = np.random.default_rng(0)
    n = 1000
    t = (rng.random(n) < 0.2).astype(int)
    frame = pd.DataFrame({"g": rng.integers(0, 85, n), "t": t, "y": 1.5 - 0.7 * t + rng.normal(0, 0.8, n)})
    obs = Observed(frame, Roles("y", ("t",), group="g"), np.array(["train"] * n))
    rows = DiffusionJoint(**{**SMALL, "epochs": 150}).fit(obs, seed=0).sample_rows(2000, np.random.default_rng(0))
    effect = rows.y[rows.t == 1].mean() - rows.y[rows.t == 0].mean()
    assert 0.1 < rows.t.mean() < 0.3 and rows.y.std() < 1.1 and effect < -0.25, (rows.t.mean(), rows.y.std(), effect)
    assert rows.g.nunique() > 60


def test_potential_outcomes_by_setting_the_treatment():
    obs = mixed_observed(n=800)
    fitted = Diffusion(**SMALL, n_samples=50).fit(obs, seed=0)
    assert isinstance(fitted, PotentialOutcomes)
    X = obs.frame.drop(columns=["y"]).iloc[:100]
    effect = fitted.mu1(X) - fitted.mu0(X)
    assert abs(effect.mean() - 2.0) < 0.3, effect.mean()


def test_one_pool_of_draws_per_row_serves_every_question():
    """A row's draws depend on the fitted model and the row alone, so mean, sd, sample and the
    potential outcomes read one pool per row, whichever query drew it and in whatever company."""
    obs = mixed_observed(n=300)
    fitted = Diffusion(**{**SMALL, "epochs": 20}, n_samples=30).fit(obs, seed=0)
    X = obs.frame.drop(columns=["y"]).iloc[:40]
    mean, sd = fitted.mean(X), fitted.sd(X)
    fresh = pickle.loads(pickle.dumps(fitted))  # no cached pools
    np.testing.assert_array_equal(fresh.mean(X.iloc[[7, 3]]), mean[[7, 3]])
    np.testing.assert_array_equal(fresh.sd(X.iloc[::-1]), sd[::-1])
    treated = (X["t"] == 1).to_numpy()
    np.testing.assert_array_equal(fresh.mu1(X)[treated], mean[treated])
    np.testing.assert_array_equal(fresh.mu0(X)[~treated], mean[~treated])
    whole = fitted.sample(X, 30, np.random.default_rng(0))  # the whole pool, shuffled per row
    np.testing.assert_allclose(np.sort(whole, axis=1), np.sort(fitted.sample(X, 30, np.random.default_rng(1)), axis=1))
    np.testing.assert_allclose(whole.mean(axis=1), mean, rtol=1e-9)
    part = fitted.sample(X, 5, np.random.default_rng(2))
    assert part.shape == (40, 5) and all(np.isin(p, w).all() for p, w in zip(part, whole))
    assert fitted.sample(X, 31, np.random.default_rng(3)).shape == (40, 31)  # beyond the pool: fresh draws


def test_scoring_reads_the_pool_not_a_second_draw():
    """The metrics' samples are each row's pool (``n_samples`` draws, below the harness's
    N_SAMPLES here), so scoring draws one chain per row -- not the pool plus N_SAMPLES fresh."""
    from dgpbench.benchmarks.scoring.context import N_SAMPLES, CellData, ScoringContext

    gen = load_generator("heteroscedastic", n=300, n_test=30)
    obs, truth = gen.sample(0)
    model = Diffusion(**{**SMALL, "epochs": 5}, n_samples=20)
    fitted = model.fit(obs, seed=0)
    ctx = ScoringContext(CellData(gen, obs, truth, 0), fitted, model.capabilities, "model")
    assert N_SAMPLES > 20 and ctx.samples.shape == (30, 20)
    pools = fitted.__dict__["_cache_pools"]
    assert len(pools) == 30  # the evaluation rows' pools, nothing else drawn
    np.testing.assert_allclose(ctx.samples.mean(axis=1), fitted.mean(ctx.X_eval), rtol=1e-9)


def test_torch_env_leaves_the_compiler_stack_unimported():
    """``torch.use_deterministic_algorithms`` imports TorchInductor (about 4 s once per
    worker); the fit and sampler set the kernels' flag without it, and restore it."""
    import subprocess
    import sys

    code = (
        "import sys, torch\n"
        "from dgpbench.models.torch._nets import torch_env\n"
        "with torch_env():\n"
        "    assert torch.are_deterministic_algorithms_enabled()\n"
        "assert not torch.are_deterministic_algorithms_enabled()\n"
        "print('torch._inductor' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_potential_outcomes_share_their_normals():
    """Common random numbers: the Monte Carlo error of mu1 - mu0 is far below that of two
    independent means (measured against the same network with other normals)."""
    obs = mixed_observed(n=400)
    f = Diffusion(**{**SMALL, "epochs": 40}, n_samples=30).fit(obs, seed=0)
    g = pickle.loads(pickle.dumps(f))
    g.seed += 1  # same weights, other normals
    X = obs.frame.drop(columns=["y"]).iloc[:60]
    mc_mean = np.std(f.mu0(X) - g.mu0(X))  # sqrt(2) x the Monte Carlo sd of one mean
    mc_effect = np.std((f.mu1(X) - f.mu0(X)) - (g.mu1(X) - g.mu0(X)))
    assert mc_effect < 0.7 * mc_mean, (mc_effect, mc_mean)  # 0.40 here; independent normals: 1.24 (sqrt(2) expected)


def test_early_stopping_keeps_the_spread_of_rarely_seen_groups():
    """Without it the denoiser memorises rows: a county seen once or twice gets about half
    its spread (0.37 against a true 0.76 in this draw; 0.55 for counties of 3-5 homes)."""
    obs, truth = load_generator("radon_like").sample(0)
    fitted = Diffusion(hidden=32, steps=50, n_samples=100).fit(obs, seed=0)
    assert 0 < fitted.history["updates"] < 2000 and fitted.history["valid"]
    size = obs.frame.groupby("county")["county"].transform("size").to_numpy()
    X = obs.frame.loc[size <= 5].drop(columns=["log_radon"])
    assert fitted.sd(X).mean() > 0.6, fitted.sd(X).mean()  # true 0.756


def test_same_seed_same_draws_and_pickle_round_trip():
    obs, _ = load_generator("heteroscedastic", n=200, n_test=0).sample(0)
    model = Diffusion(**Diffusion.smoke_params)
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    state = torch.random.get_rng_state()
    a, b, c = model.fit(obs, seed=3), model.fit(obs, seed=3), model.fit(obs, seed=4)
    assert torch.equal(torch.random.get_rng_state(), state)  # global stream untouched
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == (threads, det)
    X = obs.frame[["x"]].iloc[:30]

    def outputs(f):
        return f.mean(X), f.sd(X), f.sample(X, 5, np.random.default_rng(7))

    for u, v in zip(outputs(a), outputs(b)):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(outputs(a)[2], outputs(c)[2])
    assert not np.array_equal(a.sample(X, 5, np.random.default_rng(7)), a.sample(X, 5, np.random.default_rng(8)))
    clone = pickle.loads(pickle.dumps(a))
    for u, v in zip(outputs(clone), outputs(a)):
        np.testing.assert_array_equal(u, v)


def test_supports_says_why():
    panel, _ = load_generator("did_panel", n_units=6, n_periods=4, adoption_period=2).sample(0)
    ok, reason = DiffusionJoint().supports(panel)
    assert not ok and "panel" in reason
    assert Diffusion().supports(panel)[0]
    obs = mixed_observed()
    frame = obs.frame.assign(t=obs.frame["t"] + 1)
    ok, reason = Diffusion().supports(Observed(frame, obs.roles, obs.split))
    assert not ok and "treatment" in reason
    assert DiffusionJoint().supports(Observed(frame, obs.roles, obs.split))[0]
