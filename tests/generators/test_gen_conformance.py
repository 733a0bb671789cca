"""One conformance suite for every registered generator (and a few option variants).

Each check is a small function; pytest ids read ``test_<check>[<case>]``. A third-party
generator registered through the entry point runs the same checks with its defaults.
"""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pandas as pd
import pytest

from dgpbench.generators.base import COEFFICIENT_COLUMNS, SPLITS, Generator, Truth
from dgpbench.generators.registry import GENERATORS, generator_class, load_generator

# small configurations so the whole suite runs in seconds; anything unnamed uses defaults
SMALL = {
    "did_panel": {"n_units": 40, "n_periods": 25},
    "heteroscedastic": {"n": 2000, "n_test": 500},
    "two_mode_mixture": {"n": 2000, "n_test": 500},
    "linear": {"n": 2000, "n_test": 500},
    "nie_wager": {"n": 2000, "n_test": 500},
}
VARIANTS = [
    (
        "did_panel",
        {
            "n_units": 40,
            "n_periods": 25,
            "staggered": True,
            "tau_x": 0.5,
            "tau_growth": 0.05,
            "trend_gap": 0.02,
            "noise_sd": 0.5,
        },
    ),
    ("did_panel", {"n_units": 40, "n_periods": 25, "noise_sd": 0.0}),
    ("did_panel", {"n_units": 40, "n_periods": 25, "framing": "pre_period", "staggered": True, "tau_growth": 0.05}),
    ("heteroscedastic", {"n": 2000, "n_test": 500, "hetero": 0.0}),
    ("heteroscedastic", {"n": 2000, "n_test": 500, "hetero": 2.5}),
    ("two_mode_mixture", {"n": 2000, "n_test": 500, "weight": 0.3, "separation": 0.0}),
    ("two_mode_mixture", {"n": 2000, "n_test": 500, "separation": 3.0}),
    ("radon_like", {"family": "bernoulli"}),
    ("radon_like", {"family": "poisson"}),
    ("two_mode_mixture", {"n": 2000, "n_test": 0, "weight": 0.2}),
    ("nie_wager", {"n": 2000, "n_test": 500, "setup": "B", "d": 12, "sigma": 0.5}),
    ("nie_wager", {"n": 2000, "n_test": 500, "setup": "C", "overlap": 0.5}),
    ("nie_wager", {"n": 2000, "n_test": 0, "setup": "D", "sigma": 4.0}),
]
CASES = [(name, SMALL.get(name, {})) for name in GENERATORS.names()] + VARIANTS
IDS = [
    name
    + (
        "(" + ",".join(f"{k}={v}" for k, v in p.items() if k not in SMALL.get(name, {})) + ")"
        if any(k not in SMALL.get(name, {}) for k in p)
        else ""
    )
    for name, p in CASES
]
TRUTH_COLUMNS = {"mu0", "mu1", "y0", "y1", "y_cfactual", "y_factual", "ite", "cate"}
ROW_ARRAYS = ("mu0", "mu1", "y0", "y1")

case = pytest.mark.parametrize("name, params", CASES, ids=IDS)


def _truth_equal(a, b) -> None:
    assert a.kind == b.kind and a.source == b.source
    assert a.coefficients == b.coefficients
    assert a.variance_components == b.variance_components
    for f in ROW_ARRAYS:
        assert (getattr(a, f) is None) == (getattr(b, f) is None), f
        if getattr(a, f) is not None:
            assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert (a.group_effects is None) == (b.group_effects is None)
    if a.group_effects is not None:
        pd.testing.assert_series_equal(a.group_effects, b.group_effects, check_exact=True)


def _inputs(obs) -> pd.DataFrame:
    """What the harness passes to conditional callables: the frame without the outcome."""
    return obs.frame.drop(columns=[obs.roles.outcome])


@case
def test_same_seed_same_result(name, params):
    gen = load_generator(name, **params)
    (o1, t1), (o2, t2) = gen.sample(3), gen.sample(3)
    pd.testing.assert_frame_equal(o1.frame, o2.frame, check_exact=True)
    assert np.array_equal(o1.split, o2.split) and o1.roles == o2.roles
    _truth_equal(t1, t2)
    if t1.has("mean"):
        X = _inputs(o1)
        assert np.array_equal(t1.mean(X), t2.mean(X))
        assert np.array_equal(t1.sample_y(X, np.random.default_rng(0)), t2.sample_y(X, np.random.default_rng(0)))


@case
def test_built_by_name_by_class_and_after_pickle_agree(name, params):
    by_name = load_generator(name, **params)
    by_class = generator_class(name)(**params)
    unpickled = pickle.loads(pickle.dumps(by_name))
    ref_obs, ref_truth = by_name.sample(1)
    for gen in (by_class, unpickled):
        obs, truth = gen.sample(1)
        pd.testing.assert_frame_equal(obs.frame, ref_obs.frame, check_exact=True)
        _truth_equal(truth, ref_truth)


@case
def test_truth_pickles_with_its_callables(name, params):
    obs, truth = load_generator(name, **params).sample(0)
    back = pickle.loads(pickle.dumps(truth))
    _truth_equal(truth, back)
    X = _inputs(obs)
    for f in ("mean", "sd"):
        if truth.has(f):
            assert np.array_equal(getattr(truth, f)(X), getattr(back, f)(X))
    if truth.has("logpdf"):
        assert np.array_equal(truth.logpdf(X, obs.y), back.logpdf(X, obs.y))


@case
def test_declares_name_description_version(name, params):
    gen = load_generator(name, **params)
    assert isinstance(gen, Generator) and gen.name == name
    assert gen.description and "\n" not in gen.description
    assert gen.version
    spec = gen.spec()
    assert spec["name"] == name and set(params) <= set(spec["params"])


@case
def test_roles_name_existing_columns(name, params):
    obs, _ = load_generator(name, **params).sample(0)
    cols = obs.roles.columns()
    assert set(cols) <= set(obs.frame.columns)
    assert obs.roles.outcome in cols and len(obs.frame) > 0
    assert not obs.frame[cols].isna().any().any()
    assert np.issubdtype(obs.frame[obs.roles.outcome].dtype, np.number)


@case
def test_no_truth_column_in_observed_frame(name, params):
    obs, _ = load_generator(name, **params).sample(0)
    assert not TRUTH_COLUMNS & set(obs.frame.columns)


@case
def test_split_labels_valid(name, params):
    obs, _ = load_generator(name, **params).sample(0)
    assert len(obs.split) == len(obs.frame)
    assert np.isin(obs.split, SPLITS).all()
    assert obs.mask("train").any()


@case
def test_row_arrays_align_with_frame(name, params):
    obs, truth = load_generator(name, **params).sample(0)
    for f in ROW_ARRAYS:
        if truth.has(f):
            a = getattr(truth, f)
            assert a.shape == (len(obs.frame),) and np.isfinite(a).all(), f


@case
def test_observed_outcome_is_the_realised_potential_outcome(name, params):
    obs, truth = load_generator(name, **params).sample(0)
    if not (truth.has("y0") and truth.has("y1")):
        pytest.skip("truth has no potential outcomes")
    if obs.roles.treatment is None:  # a forecast framing: every row's outcome is Y(0)
        assert np.array_equal(obs.y, truth.y0)
        return
    t = obs.frame[obs.roles.treatment].to_numpy()
    assert set(np.unique(t)) <= {0, 1}
    assert np.array_equal(obs.y, np.where(t == 1, truth.y1, truth.y0))


@case
def test_sample_does_not_mutate_or_share_state(name, params):
    gen = load_generator(name, **params)
    before = pickle.dumps(gen)
    obs, truth = gen.sample(5)
    expected = obs.frame.copy(deep=True)
    assert pickle.dumps(gen) == before
    # edit everything that came back; the next sample must not see it
    for col in obs.frame.columns:
        obs.frame[col] = obs.frame[col].iloc[::-1].to_numpy()
    obs.frame.loc[obs.frame.index[0], obs.roles.outcome] = -1
    for f in ROW_ARRAYS:
        a = getattr(truth, f)
        if a is not None and a.flags.writeable:
            a[:] = 0.0
    again, _ = gen.sample(5)
    pd.testing.assert_frame_equal(again.frame, expected, check_exact=True)
    assert pickle.dumps(gen) == before


def _alive_truths() -> int:
    return sum(isinstance(o, Truth) for o in gc.get_objects())


def _arrays_reachable_from(root) -> list[np.ndarray]:
    """Every ndarray reachable from ``root`` through the garbage collector's referents,
    with the base of each view (what a model could walk to from what it is given)."""
    seen: set[int] = set()
    todo, found = [root], []
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            found.append(obj)
            if obj.base is not None:
                todo.append(obj.base)
            continue
        if isinstance(obj, type | str | bytes) or type(obj).__module__ == "builtins" and callable(obj):
            continue
        todo.extend(gc.get_referents(obj))
    return found


@case
def test_observe_is_the_sample_without_its_truth(name, params):
    """``observe`` draws what ``sample`` draws, leaves no Truth alive, and the observed data
    holds no memory of a truth array: the harness fits on it with no truth in reach."""
    gen = load_generator(name, **params)
    gc.collect()
    before = _alive_truths()
    observed = gen.observe(4)
    assert _alive_truths() == before, "observe() left a Truth alive (a reference cycle?)"
    again, truth = gen.sample(4)
    pd.testing.assert_frame_equal(observed.frame, again.frame, check_exact=True)
    assert np.array_equal(observed.split, again.split)
    assert observed.fingerprint() == again.fingerprint()
    rows = [np.asarray(getattr(truth, f)) for f in ROW_ARRAYS if getattr(truth, f) is not None]
    for held in _arrays_reachable_from(observed):
        assert not any(np.shares_memory(held, a) for a in rows), "the observed data shares memory with the truth"
    for value in (truth.mean, truth.sd, truth.logpdf, truth.sample_y, truth.sample_rows):
        assert value is None or getattr(value, "__self__", None) is not observed, "the truth points at the data"


@case
def test_fingerprint_sees_a_changed_value_or_split(name, params):
    observed = load_generator(name, **params).observe(4)
    base = observed.fingerprint()
    assert observed.fingerprint() == base  # stable within a process
    frame = observed.frame.copy()
    column = observed.roles.outcome
    frame.loc[frame.index[-1], column] = frame[column].iloc[-1] + 1
    assert type(observed)(frame, observed.roles, observed.split).fingerprint() != base
    split = np.array(observed.split, copy=True)
    split[0] = "valid" if split[0] != "valid" else "train"
    assert type(observed)(observed.frame, observed.roles, split).fingerprint() != base


def test_observe_checks_the_seed_like_sample():
    gen = load_generator("heteroscedastic", n=10, n_test=0)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            gen.observe(bad)


@case
def test_sample_moments_match_the_conditional_law(name, params):
    """Standardised outcomes (y - mean(x)) / sd(x) have mean 0 and sd 1."""
    obs, truth = load_generator(name, **params).sample(2)
    if not (truth.has("mean") and truth.has("sd")):
        pytest.skip("truth defines no conditional law")
    X = _inputs(obs)
    z = (obs.y - truth.mean(X)) / truth.sd(X)
    n = len(z)
    assert abs(z.mean()) < 5.0 / np.sqrt(n)
    # standard error of a sample sd: sqrt((kurtosis - 1) / 4n)
    kurtosis = np.mean((z - z.mean()) ** 4) / z.var() ** 2
    assert abs(z.std() - 1.0) < 5.0 * np.sqrt((kurtosis - 1.0) / (4 * n))


@case
def test_sample_y_matches_mean_and_sd(name, params):
    """Many draws of sample_y for a few rows reproduce the truth's mean and sd there."""
    obs, truth = load_generator(name, **params).sample(0)
    if not truth.has("sample_y"):
        pytest.skip("truth has no sampler")
    X = _inputs(obs).iloc[np.linspace(0, len(obs.frame) - 1, 4).astype(int)]
    reps = 4000
    big = X.loc[X.index.repeat(reps)]
    draws = truth.sample_y(big, np.random.default_rng(11)).reshape(len(X), reps)
    mean, sd = truth.mean(X), truth.sd(X)
    assert np.all(np.abs(draws.mean(axis=1) - mean) < 5 * sd / np.sqrt(reps) + 1e-12)
    assert np.allclose(draws.std(axis=1), sd, rtol=0.1, atol=1e-12)


@case
def test_logpdf_is_a_density_with_the_truth_moments(name, params):
    """exp(logpdf) sums (integer outcomes) or integrates (real outcomes) to 1, with the
    truth's mean and sd -- an independent route to the same numbers."""
    obs, truth = load_generator(name, **params).sample(0)
    if not truth.has("logpdf"):
        pytest.skip("truth has no log-density")
    X = _inputs(obs).iloc[np.linspace(0, len(obs.frame) - 1, 3).astype(int)]
    mean, sd = truth.mean(X), truth.sd(X)
    discrete = np.issubdtype(obs.frame[obs.roles.outcome].dtype, np.integer)
    for i in range(len(X)):
        row = X.iloc[[i]]
        if discrete:
            grid = np.arange(0.0, np.ceil(mean[i] + 20 * sd[i] + 20))
            w = np.ones_like(grid)
        else:
            grid = np.linspace(mean[i] - 12 * sd[i], mean[i] + 12 * sd[i], 40001)
            w = np.full_like(grid, grid[1] - grid[0])
        dens = np.exp(truth.logpdf(row.loc[row.index.repeat(len(grid))], grid)) * w
        assert dens.sum() == pytest.approx(1.0, abs=1e-4)
        m = (grid * dens).sum()
        assert m == pytest.approx(mean[i], abs=1e-4 * max(1.0, sd[i]))
        assert np.sqrt(((grid - m) ** 2 * dens).sum()) == pytest.approx(sd[i], rel=1e-3)


@case
def test_sample_rows_look_like_the_data(name, params):
    obs, truth = load_generator(name, **params).sample(0)
    if not truth.has("sample_rows"):
        pytest.skip("truth has no joint sampler")
    rows = truth.sample_rows(len(obs.frame), np.random.default_rng(9))
    assert list(rows.columns) == list(obs.frame.columns)
    # a reference of real data hands out its held-out rows, and has no more of them to give
    assert len(rows) == len(obs.frame) or (truth.kind == "reference" and 0 < len(rows) < len(obs.frame))
    for col in rows.select_dtypes("number").columns:
        a, b = rows[col].to_numpy(), obs.frame[col].to_numpy()
        assert abs(a.mean() - b.mean()) < 6 * np.sqrt((a.var() + b.var()) / len(a))


@case
def test_canonical_analysis_names_the_truth_coefficients(name, params):
    gen = load_generator(name, **params)
    obs, truth = gen.sample(0)
    table = gen.canonical_analysis(obs.frame, obs.roles)
    assert list(table.columns) == COEFFICIENT_COLUMNS
    assert list(table["name"]) == list(truth.coefficients)
    assert np.isfinite(table["estimate"]).all() and (table["se"] >= 0).all()
    assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()
