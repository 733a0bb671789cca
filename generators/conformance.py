"""The conformance checks a generator passes (the ``check_estimator`` idea, for generators).

Each check is a small named function ``check_*(case)`` that returns quietly when the
generator keeps that part of the contract (``generators/base.py``, ``docs/contracts.md``),
raises ``AssertionError`` with the reason when it does not, and :class:`NotApplicable` when
the generator's truth defines nothing the check reads (no potential outcomes, no law).
:func:`outcomes` runs them all on one generator and says, per check, pass, fail or n/a with
the reason: what ``dgpbench check --plugin`` prints for a third party's generator, and the
same shape it prints for the model checks of :mod:`dgpbench.models.conformance`.

Only what the contract promises is checked: bit-identical draws per seed; a simulated truth
whose seed changes something; roles naming numeric, complete columns; valid split labels;
row arrays that align with the frame's rows (a ``RangeIndex``, one value per row); the
observed outcome being the realised potential outcome; a conditional law, sampler, density
and joint sampler that agree with the data and with each other; finite coefficients named
as the canonical analysis names them; and no truth in, or reachable from, the observed data.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from dgpbench.generators.base import COEFFICIENT_COLUMNS, SPLITS, Generator, Observed, Truth
from dgpbench.params import as_dict, validate

ROW_ARRAYS = ("mu0", "mu1", "y0", "y1")
# Column names under which a truth would leak into the observed frame.
TRUTH_COLUMNS = {"mu0", "mu1", "y0", "y1", "y_cfactual", "y_factual", "ite", "cate"}
CALLABLES = ("mean", "sd", "logpdf", "sample_y", "sample_rows")


class NotApplicable(Exception):
    """The generator defines nothing this check reads (said with the reason, never silently)."""


@dataclass
class GeneratorCase:
    """One registered generator class, its parameters and its draw of seed 0 (made once)."""

    name: str  # the name it is registered under
    generator_cls: type[Generator]
    params: dict[str, Any] = field(default_factory=dict)
    _draw: tuple[Observed, Truth] | None = field(default=None, repr=False)

    def generator(self) -> Generator:
        return self.generator_cls(**self.params)

    @property
    def draw(self) -> tuple[Observed, Truth]:
        if self._draw is None:
            self._draw = self.generator().sample(0)
        return self._draw


def _law(truth: Truth, name: str) -> Callable[..., Any]:
    """A callable field of the truth that the caller has checked is defined."""
    value = getattr(truth, name)
    assert value is not None, f"the truth defines no {name}"
    return value


def _inputs(observed: Observed) -> pd.DataFrame:
    """What the harness passes to the truth's conditional callables: the frame without the outcome."""
    return observed.frame.drop(columns=[observed.roles.outcome])


def _same_truth(a: Truth, b: Truth) -> None:
    assert a.kind == b.kind and a.source == b.source, "kind or source differs"
    assert a.coefficients == b.coefficients, f"coefficients differ: {a.coefficients} vs {b.coefficients}"
    assert a.variance_components == b.variance_components, "variance_components differ"
    for f in ROW_ARRAYS:
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f"{f} is defined in one draw only"
        assert x is None or np.array_equal(x, y), f"{f} differs"
    ea, eb = a.group_effects, b.group_effects
    assert (ea is None) == (eb is None), "group_effects defined in one draw only"
    if ea is not None and eb is not None:
        assert ea.equals(eb) and ea.name == eb.name, "group_effects differ"


def _same_observed(a: Observed, b: Observed) -> None:
    assert list(a.frame.columns) == list(b.frame.columns), "columns differ"
    assert a.frame.equals(b.frame), "the frames differ"
    assert np.array_equal(a.split, b.split), "the split labels differ"
    assert a.roles == b.roles, "the roles differ"


def check_declares_name_description_version(case: GeneratorCase) -> None:
    cls = case.generator_cls
    assert issubclass(cls, Generator), f"{cls.__name__} does not subclass dgpbench.generators.base.Generator"
    assert cls.name == case.name, f"registered as {case.name!r} but its name attribute is {cls.name!r}"
    assert cls.description and "\n" not in cls.description, "description must be one non-empty line"
    assert cls.version, "version must be set (change it when the draws change)"
    spec = case.generator().spec()  # what a run records of the generator
    assert spec["name"] == case.name, f"spec() names it {spec['name']!r}, registered as {case.name!r}"
    unrecorded = set(case.params) - set(spec["params"])
    assert not unrecorded, f"spec() leaves out the parameters {sorted(unrecorded)}"


def check_params_declared_and_validated(case: GeneratorCase) -> None:
    """Params is a frozen dataclass whose defaults pass its own validation, an unknown
    parameter is refused, and ``size_param`` (where set) names an integer parameter."""
    cls = case.generator_cls
    Params = cls.Params
    assert dataclasses.is_dataclass(Params), "Params must be a dataclass of dgpbench.params.param fields"
    assert Params.__dataclass_params__.frozen, "Params must be frozen (@dataclass(frozen=True))"  # type: ignore[attr-defined]
    validate(Params, f"generator {case.name!r}", as_dict(Params()))  # its defaults, written out in a suite
    try:
        cls(__no_such_parameter__=1)
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown parameter was accepted (let Generator.__init__ validate)")
    if cls.size_param is not None:
        names = {f.name: f for f in dataclasses.fields(Params)}
        assert cls.size_param in names, f"size_param {cls.size_param!r} is none of its parameters {sorted(names)}"
        value = getattr(Params(), cls.size_param)
        assert isinstance(value, int) and not isinstance(value, bool), f"size_param {cls.size_param!r} is no integer"


def check_same_seed_same_result(case: GeneratorCase) -> None:
    gen = case.generator()
    (o1, t1), (o2, t2) = gen.sample(3), gen.sample(3)
    _same_observed(o1, o2)
    _same_truth(t1, t2)
    if t1.has("mean"):
        X = _inputs(o1)
        assert np.array_equal(_law(t1, "mean")(X), _law(t2, "mean")(X)), (
            "truth.mean differs between two draws of one seed"
        )
    if t1.has("sample_y"):
        X = _inputs(o1)
        a = _law(t1, "sample_y")(X, np.random.default_rng(0))
        b = _law(t2, "sample_y")(X, np.random.default_rng(0))
        assert np.array_equal(a, b), "truth.sample_y draws differently from the same rng"


def check_seeds_differ(case: GeneratorCase) -> None:
    """A simulated truth (``kind="truth"``) draws other data or another split per seed;
    fixed real data (``kind="reference"``) may give the same draw every seed."""
    gen = case.generator()
    (o0, t0), (o1, _) = gen.sample(0), gen.sample(1)
    if t0.kind == "reference":
        raise NotApplicable("real data (kind='reference') may be the same for every seed")
    same = o0.frame.equals(o1.frame) and np.array_equal(o0.split, o1.split)
    assert not same, "seeds 0 and 1 give the same data and split: the seed is ignored"


def check_built_by_class_and_after_pickle_agree(case: GeneratorCase) -> None:
    """What worker processes do: build it anew from its class, or receive it pickled."""
    gen = case.generator()
    ref_obs, ref_truth = gen.sample(1)
    for how, other in (
        ("built anew from its class", case.generator()),
        ("after a pickle", pickle.loads(pickle.dumps(gen))),
    ):
        obs, truth = other.sample(1)
        try:
            _same_observed(obs, ref_obs)
            _same_truth(truth, ref_truth)
        except AssertionError as exc:
            raise AssertionError(f"{how}: {exc}") from None


def check_truth_pickles_with_its_callables(case: GeneratorCase) -> None:
    obs, truth = case.draw
    back = pickle.loads(pickle.dumps(truth))
    _same_truth(truth, back)
    X = _inputs(obs)
    for f in ("mean", "sd"):
        if truth.has(f):
            assert np.array_equal(getattr(truth, f)(X), getattr(back, f)(X)), f"truth.{f} changes after a pickle"
    if truth.has("logpdf"):
        assert np.array_equal(_law(truth, "logpdf")(X, obs.y), _law(back, "logpdf")(X, obs.y)), (
            "truth.logpdf changes after a pickle"
        )


def check_roles_name_existing_columns(case: GeneratorCase) -> None:
    obs, _ = case.draw
    cols = obs.roles.columns()
    missing = set(cols) - set(obs.frame.columns)
    assert not missing, f"roles name columns missing from the frame: {sorted(missing)}"
    assert len(obs.frame) > 0, "the frame has no rows"
    gaps = [c for c in cols if obs.frame[c].isna().any()]
    assert not gaps, f"missing values in role columns {gaps}"
    outcome = obs.frame[obs.roles.outcome]
    assert pd.api.types.is_numeric_dtype(outcome) and not pd.api.types.is_bool_dtype(outcome), (
        f"outcome {obs.roles.outcome!r} is not numeric ({outcome.dtype}; a binary outcome is 0/1 integers)"
    )


def check_no_truth_column_in_observed_frame(case: GeneratorCase) -> None:
    obs, _ = case.draw
    leaked = TRUTH_COLUMNS & set(obs.frame.columns)
    assert not leaked, f"the observed frame holds truth columns {sorted(leaked)}"


def check_split_labels_valid(case: GeneratorCase) -> None:
    obs, _ = case.draw
    assert len(obs.split) == len(obs.frame), "one split label per row"
    assert np.isin(obs.split, SPLITS).all(), f"split labels outside {SPLITS}"
    assert obs.mask("train").any(), "no train row: nothing to fit on"


def check_row_arrays_align_with_frame(case: GeneratorCase) -> None:
    """The truth's per-row arrays are positional: row i of ``mu0`` is ``frame.iloc[i]``, and
    the harness (the oracle) looks rows up by the frame's index, so it must be 0..n-1."""
    obs, truth = case.draw
    present = [f for f in ROW_ARRAYS if truth.has(f)]
    if not present:
        raise NotApplicable("the truth has no per-row arrays (mu0, mu1, y0, y1)")
    n = len(obs.frame)
    assert obs.frame.index.equals(pd.RangeIndex(n)), f"the frame's index is not 0..{n - 1} (reset_index(drop=True))"
    for f in present:
        a = np.asarray(getattr(truth, f))
        assert a.shape == (n,), f"truth.{f} has shape {a.shape}, the frame has {n} rows"
        assert np.isfinite(a.astype(float)).all(), f"truth.{f} has non-finite values"
    for pair in (("mu0", "mu1"), ("y0", "y1")):
        assert truth.has(pair[0]) == truth.has(pair[1]), f"the truth defines one of {pair} without the other"


def check_observed_outcome_is_the_realised_potential_outcome(case: GeneratorCase) -> None:
    """y = y1 where treated and y0 where not; in a forecast framing (no treatment role) y = y0."""
    obs, truth = case.draw
    if not (truth.has("y0") and truth.has("y1")):
        raise NotApplicable("the truth has no realised potential outcomes (y0, y1)")
    y0, y1 = np.asarray(truth.y0, float), np.asarray(truth.y1, float)
    if obs.roles.treatment is None:
        bad = np.flatnonzero(obs.y != y0)
        assert not len(bad), f"no treatment role, yet y != y0 on {len(bad)} rows (first: row {bad[:1].tolist()})"
        return
    t = obs.frame[obs.roles.treatment].to_numpy()
    assert set(np.unique(t)) <= {0, 1}, f"treatment {obs.roles.treatment!r} is not 0/1"
    bad = np.flatnonzero(obs.y != np.where(t == 1, y1, y0))
    assert not len(bad), (
        f"y is not y1 where treated and y0 where not on {len(bad)} rows (first: row {bad[:1].tolist()})"
    )


def check_coefficients_finite(case: GeneratorCase) -> None:
    _, truth = case.draw
    coefs = {**truth.coefficients, **truth.variance_components}
    if not coefs:
        raise NotApplicable("the truth has no coefficients or variance components")
    bad = {k: v for k, v in coefs.items() if not (isinstance(v, int | float) and math.isfinite(v))}
    assert not bad, f"non-finite or non-numeric coefficients {bad}"
    negative = {k: v for k, v in truth.variance_components.items() if v < 0}
    assert not negative, f"negative variance components {negative}"


def check_group_effects_cover_the_groups(case: GeneratorCase) -> None:
    obs, truth = case.draw
    if truth.group_effects is None:
        raise NotApplicable("the truth has no group effects")
    group = obs.roles.group
    assert group is not None, "the truth has group_effects but the roles name no group"
    assert isinstance(truth.group_effects, pd.Series), "group_effects must be a pandas Series indexed by group"
    missing = set(obs.frame[group].unique()) - set(truth.group_effects.index)
    assert not missing, f"groups without an effect: {sorted(missing)[:5]}"


def check_sample_does_not_mutate_or_share_state(case: GeneratorCase) -> None:
    gen = case.generator()
    before = pickle.dumps(gen)
    obs, truth = gen.sample(5)
    expected = obs.frame.copy(deep=True)
    assert pickle.dumps(gen) == before, "sample() changed the generator"
    for col in obs.frame.columns:  # edit everything that came back; the next draw must not see it
        obs.frame[col] = obs.frame[col].iloc[::-1].to_numpy()
    first = obs.frame.index[0]  # and in place, into whatever memory the reversal may share
    obs.frame.loc[first, obs.roles.outcome] = obs.frame.loc[first, obs.roles.outcome] + 1
    for f in ROW_ARRAYS:
        a = getattr(truth, f)
        if a is not None and a.flags.writeable:
            a[:] = 0.0
    again, _ = gen.sample(5)
    assert again.frame.equals(expected), "editing one draw changed the next draw of the same seed"
    assert pickle.dumps(gen) == before, "sample() changed the generator"


def _alive_truths() -> int:
    return sum(isinstance(o, Truth) for o in gc.get_objects())


def _arrays_reachable_from(root: object) -> list[np.ndarray]:
    """Every ndarray reachable from ``root`` through the garbage collector's referents, with
    the base of each view (what a model could walk to from what it is given)."""
    seen: set[int] = set()
    todo: list[object] = [root]
    found: list[np.ndarray] = []
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


def check_observe_is_the_sample_without_its_truth(case: GeneratorCase) -> None:
    """``observe`` draws what ``sample`` draws, leaves no Truth alive, and the observed data
    holds no memory of a truth array (the harness fits on it with no truth in reach)."""
    gen = case.generator()
    collecting = gc.isenabled()
    gc.disable()  # no collection may free, before it is counted, a Truth that observe() left in a cycle
    try:
        before = _alive_truths()
        observed = gen.observe(4)
        assert _alive_truths() == before, "observe() left a Truth alive (a reference cycle?)"
    finally:
        if collecting:
            gc.enable()
    again, truth = gen.sample(4)
    _same_observed(observed, again)
    assert observed.fingerprint() == again.fingerprint(), "observe() and sample() draws differ in fingerprint"
    rows = [np.asarray(getattr(truth, f)) for f in ROW_ARRAYS if getattr(truth, f) is not None]
    for held in _arrays_reachable_from(observed):
        assert not any(np.shares_memory(held, a) for a in rows), "the observed data shares memory with the truth"
    for name in CALLABLES:
        value = getattr(truth, name)
        assert value is None or getattr(value, "__self__", None) is not observed, f"truth.{name} points at the data"


def check_sample_moments_match_the_conditional_law(case: GeneratorCase) -> None:
    """Standardised outcomes (y - mean(x)) / sd(x) have mean 0 and sd 1 (5-se bounds)."""
    obs, truth = case.draw
    if not (truth.has("mean") and truth.has("sd")):
        raise NotApplicable("the truth defines no conditional mean and sd")
    X = _inputs(obs)
    mean, sd = np.asarray(_law(truth, "mean")(X), float), np.asarray(_law(truth, "sd")(X), float)
    n = len(obs.frame)
    assert mean.shape == (n,) and sd.shape == (n,), f"mean/sd shapes {mean.shape}, {sd.shape}; expected ({n},)"
    assert np.isfinite(mean).all() and (sd > 0).all(), "mean must be finite and sd positive on every row"
    z = (obs.y - mean) / sd
    bound = 5.0 / np.sqrt(n)
    assert abs(z.mean()) < bound, (
        f"the data disagree with truth.mean: mean of (y - mean) / sd is {z.mean():.3g}, beyond +-{bound:.2g}"
    )
    kurtosis = np.mean((z - z.mean()) ** 4) / z.var() ** 2  # se of a sample sd: sqrt((kurtosis - 1) / 4n)
    bound = 5.0 * np.sqrt((kurtosis - 1.0) / (4 * n))
    assert abs(z.std() - 1.0) < bound, (
        f"the data disagree with truth.sd: sd of (y - mean) / sd is {z.std():.3g}, beyond 1 +- {bound:.2g}"
    )


def check_sample_y_matches_mean_and_sd(case: GeneratorCase) -> None:
    """Many draws of sample_y for a few rows reproduce the truth's mean and sd there."""
    obs, truth = case.draw
    if not truth.has("sample_y"):
        raise NotApplicable("the truth has no sampler (sample_y)")
    assert truth.has("mean") and truth.has("sd"), "a truth with sample_y must define mean and sd too"
    X = _inputs(obs).iloc[np.linspace(0, len(obs.frame) - 1, 4).astype(int)]
    reps = 4000
    big = X.loc[X.index.repeat(reps)]  # repeated index: the callables read columns, not positions
    draws = np.asarray(_law(truth, "sample_y")(big, np.random.default_rng(11)), float).reshape(len(X), reps)
    mean, sd = _law(truth, "mean")(X), _law(truth, "sd")(X)
    assert np.all(np.abs(draws.mean(axis=1) - mean) < 5 * sd / np.sqrt(reps) + 1e-12), (
        "sample_y's draws disagree with truth.mean"
    )
    assert np.allclose(draws.std(axis=1), sd, rtol=0.1, atol=1e-12), "sample_y's draws disagree with truth.sd"


def check_logpdf_is_a_density_with_the_truth_moments(case: GeneratorCase) -> None:
    """exp(logpdf) sums (integer outcomes) or integrates (real outcomes) to 1, with the
    truth's mean and sd: an independent route to the same numbers."""
    obs, truth = case.draw
    if not truth.has("logpdf"):
        raise NotApplicable("the truth has no log-density")
    assert truth.has("mean") and truth.has("sd"), "a truth with logpdf must define mean and sd too"
    X = _inputs(obs).iloc[np.linspace(0, len(obs.frame) - 1, 3).astype(int)]
    mean, sd = _law(truth, "mean")(X), _law(truth, "sd")(X)
    discrete = pd.api.types.is_integer_dtype(obs.frame[obs.roles.outcome])
    for i in range(len(X)):
        row = X.iloc[[i]]
        if discrete:
            grid = np.arange(0.0, np.ceil(mean[i] + 20 * sd[i] + 20))
            w = np.ones_like(grid)
        else:
            grid = np.linspace(mean[i] - 12 * sd[i], mean[i] + 12 * sd[i], 40001)
            w = np.full_like(grid, grid[1] - grid[0])
        dens = np.exp(_law(truth, "logpdf")(row.loc[row.index.repeat(len(grid))], grid)) * w
        total = dens.sum()
        assert abs(total - 1.0) < 1e-4, f"exp(logpdf) integrates to {total:.6g}, not 1, on row {X.index[i]}"
        m = (grid * dens).sum()
        assert abs(m - mean[i]) < 1e-4 * max(1.0, sd[i]), f"logpdf's mean {m:.6g} is not truth.mean {mean[i]:.6g}"
        s = np.sqrt(((grid - m) ** 2 * dens).sum())
        assert abs(s - sd[i]) < 1e-3 * sd[i], f"logpdf's sd {s:.6g} is not truth.sd {sd[i]:.6g}"


def check_sample_rows_look_like_the_data(case: GeneratorCase) -> None:
    obs, truth = case.draw
    if not truth.has("sample_rows"):
        raise NotApplicable("the truth has no joint sampler (sample_rows)")
    rows = _law(truth, "sample_rows")(len(obs.frame), np.random.default_rng(9))
    assert list(rows.columns) == list(obs.frame.columns), "sample_rows' columns are not the frame's"
    # a reference of real data hands out its held-out rows, and has no more of them to give
    assert len(rows) == len(obs.frame) or (truth.kind == "reference" and 0 < len(rows) < len(obs.frame)), (
        f"sample_rows({len(obs.frame)}) gave {len(rows)} rows"
    )
    for col in rows.select_dtypes("number").columns:
        a, b = rows[col].to_numpy(float), obs.frame[col].to_numpy(float)
        bound = 6 * np.sqrt((a.var() + b.var()) / len(a))
        assert abs(a.mean() - b.mean()) < bound, (
            f"sample_rows' mean of {col!r} is {a.mean():.3g}, the data's {b.mean():.3g} (beyond {bound:.2g})"
        )


def check_canonical_analysis_names_the_truth_coefficients(case: GeneratorCase) -> None:
    obs, truth = case.draw
    try:
        table = case.generator().canonical_analysis(obs.frame, obs.roles)
    except NotImplementedError:
        if truth.coefficients:
            raise AssertionError("the truth has coefficients but canonical_analysis is not implemented") from None
        raise NotApplicable("no coefficients and no canonical analysis") from None
    assert list(table.columns) == COEFFICIENT_COLUMNS, f"columns {list(table.columns)}, expected {COEFFICIENT_COLUMNS}"
    assert list(table["name"]) == list(truth.coefficients), (
        f"names {list(table['name'])} are not the truth's coefficients {list(truth.coefficients)}"
    )
    assert np.isfinite(table["estimate"]).all() and (table["se"] >= 0).all(), "non-finite estimate or negative se"
    assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all(), (
        "an interval does not contain its estimate"
    )


CHECKS: dict[str, Callable[[GeneratorCase], None]] = {
    f.__name__: f
    for f in (
        check_declares_name_description_version,
        check_params_declared_and_validated,
        check_same_seed_same_result,
        check_seeds_differ,
        check_built_by_class_and_after_pickle_agree,
        check_truth_pickles_with_its_callables,
        check_roles_name_existing_columns,
        check_no_truth_column_in_observed_frame,
        check_split_labels_valid,
        check_row_arrays_align_with_frame,
        check_observed_outcome_is_the_realised_potential_outcome,
        check_coefficients_finite,
        check_group_effects_cover_the_groups,
        check_sample_does_not_mutate_or_share_state,
        check_observe_is_the_sample_without_its_truth,
        check_sample_moments_match_the_conditional_law,
        check_sample_y_matches_mean_and_sd,
        check_logpdf_is_a_density_with_the_truth_moments,
        check_sample_rows_look_like_the_data,
        check_canonical_analysis_names_the_truth_coefficients,
    )
}

PASS, FAIL, NOT_APPLICABLE = "pass", "FAIL", "n/a"


@dataclass(frozen=True)
class Outcome:
    """One check on one subject (a generator or a model): pass, FAIL or n/a, and why.

    The one shape of a conformance result, for generators and models alike (this layer is
    left of both, so the model checks' runner can use it too)."""

    check: str
    subject: str
    status: str
    reason: str = ""


def outcome_of(check: str, subject: str, run: Callable[[], None]) -> Outcome:
    """Run one check: ``AssertionError`` is a failure with its message, :class:`NotApplicable`
    an n/a with its reason, any other exception a failure naming it (a crash is a failure)."""
    try:
        run()
    except NotApplicable as exc:
        return Outcome(check, subject, NOT_APPLICABLE, str(exc))
    except AssertionError as exc:
        return Outcome(check, subject, FAIL, str(exc).strip().splitlines()[0] if str(exc).strip() else "assertion")
    except Exception as exc:
        return Outcome(check, subject, FAIL, f"raised {type(exc).__name__}: {exc}")
    return Outcome(check, subject, PASS)


def outcomes(name: str, generator_cls: type[Generator], params: dict[str, Any] | None = None) -> list[Outcome]:
    """Every check on one generator class, registered as ``name``, at ``params`` (default: its defaults)."""
    case = GeneratorCase(name, generator_cls, dict(params or {}))
    return [outcome_of(check, name, partial(fn, case)) for check, fn in CHECKS.items()]


def run_all(name: str, generator_cls: type[Generator], params: dict[str, Any] | None = None) -> None:
    """Raise ``AssertionError`` naming every failed check (for a plugin's own test suite)."""
    failed = [o for o in outcomes(name, generator_cls, params) if o.status == FAIL]
    assert not failed, "; ".join(f"{o.check}: {o.reason}" for o in failed)
