"""The benchmark tests itself: the small sensitivity suite through the real runner, into a
temporary store, must catch every deliberately broken model, and a "broken" model that
breaks nothing must not be called caught."""

import textwrap

import numpy as np
import pytest

from dgpbench.benchmarks import runner
from dgpbench.benchmarks.store import Store
from dgpbench.benchmarks.suite import load, validate
from dgpbench.generators.registry import load_generator
from dgpbench.models.registry import load_model
from dgpbench.registry import import_plugin
from dgpbench.reports.data import RunData
from dgpbench.reports.html import render_report
from dgpbench.reports.sensitivity import checks


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("sensitivity") / "s.sqlite"
    runner.run("sensitivity_small", str(path), workers=2, progress=False, echo=lambda s: None)
    store = Store(path, create=False)
    yield store
    store.close()


def test_every_broken_variant_is_caught_on_its_face(small_run):
    data = RunData.load(small_run, None, figures=False)
    found = checks(data.suite, data.faces, data.info)
    declared = {e["label"]: e["breaks"] for e in data.suite["models"] if "breaks" in e}
    assert {c.variant for c in found} == set(declared)  # each breakage was measured
    for c in found:
        assert c.face == declared[c.variant]["face"]
        assert len(set(c.broken) & set(c.reference)) == len(data.suite["seeds"]), c.variant
        if c.catch == "worse":
            assert c.worse, f"{c.variant} is not worse than {c.correct} beyond 2 se: {c.summary()}"
            assert c.variant not in c.ranking or c.correct in c.beaten_by
        else:
            assert c.suspect, f"{c.variant} was not flagged as better than the truth: {c.summary()}"
        assert c.caught


def test_the_leak_is_flagged_and_no_correct_model_is(small_run):
    data = RunData.load(small_run, None, figures=False)
    found = checks(data.suite, data.faces, data.info)
    suspects = {c.variant for c in found if c.suspect}
    assert suspects == {"outcome_leak"}
    leak = next(c for c in found if c.variant == "outcome_leak")
    assert leak.face == "distribution" and leak.metric == "crps"


def test_the_pairing_is_read_from_the_stored_suite(small_run):
    suite = RunData.load(small_run, None, figures=False).suite
    leak = next(e for e in suite["models"] if e["label"] == "outcome_leak")
    assert leak["breaks"] == {
        "model": "scale_gaussian",
        "face": "distribution",
        "catch": "suspect",
        "what": "reads leaked test outcomes (regenerates the public generator)",
    }
    assert "breaks" not in next(e for e in suite["models"] if e["label"] == "scale_gaussian")


def test_report_has_the_section(small_run):
    page = render_report(small_run)
    assert "Does the benchmark catch these?" in page
    assert "t_learner_constant_effect" in page and "suspect" in page


NO_OP_VARIANT = textwrap.dedent('''
    """A "broken" variant from outside that breaks nothing: it must not be called caught."""
    from dgpbench.models.registry import MODELS
    from dgpbench.models.sensitivity import Breakage, SensitivityOnly
    from dgpbench.models.sensitivity.references import ScaleGaussian


    class Unbroken(SensitivityOnly, ScaleGaussian):
        name = "unbroken_plugin"
        description = "scale_gaussian, unchanged, claiming a breakage"
        breakage = Breakage("nothing at all", "distribution")


    MODELS.register("unbroken_plugin", Unbroken)
''')


def test_a_variant_that_breaks_nothing_is_not_caught(tmp_path):
    plugin = tmp_path / "unbroken_variant.py"
    plugin.write_text(NO_OP_VARIANT)
    import_plugin(str(plugin))
    suite = validate(
        {
            "name": "no_op",
            "seeds": [0, 1, 2, 3, 4],
            "generators": [{"name": "heteroscedastic", "params": {"n": 1000, "n_test": 500}}],
            "models": [{"name": "scale_gaussian"}, {"name": "unbroken_plugin", "breaks": {"model": "scale_gaussian"}}],
            "metrics": ["crps"],
        }
    )
    path = tmp_path / "s.sqlite"
    runner.run(suite, str(path), workers=1, plugins=(str(plugin),), progress=False, echo=lambda s: None)
    store = Store(path, create=False)
    data = RunData.load(store, None, figures=False)
    (check,) = checks(data.suite, data.faces, data.info)
    store.close()
    assert check.what == "nothing at all" and check.face == "distribution"
    assert check.versus_correct is not None and check.versus_correct.mean == 0.0
    assert not check.worse and not check.suspect and not check.caught


def test_shipped_suites_other_than_sensitivity_run_no_sensitivity_model():
    from dgpbench.models.registry import MODELS
    from dgpbench.models.sensitivity import is_sensitivity_only

    for name in ("quick", "default", "full"):
        assert not any(is_sensitivity_only(MODELS.get(m.name)) for m in load(name).models), name
    variants = [m for m in load("sensitivity").models if is_sensitivity_only(MODELS.get(m.name))]
    assert variants and all(
        m.breaks or any(v.breaks and v.breaks["model"] == m.label for v in variants) for m in variants
    )


def test_t_learner_recovers_heterogeneous_effects_on_ihdp():
    """Out-of-sample sqrt(PEHE) by the hand formula, five splits of replication 1: the
    T-learner's effect varies with the covariates and must beat difference in means."""
    pehe: dict[str, list[float]] = {"t_learner": [], "diff_in_means": []}
    for seed in range(5):
        observed, truth = load_generator("ihdp", replication=1).sample(seed)
        test = observed.mask("test")
        X = observed.frame.loc[test].drop(columns=[observed.roles.outcome])
        true_effect = (truth.mu1 - truth.mu0)[test]
        for name in pehe:
            fitted = load_model(name).fit(observed, seed)
            effect = fitted.mu1(X) - fitted.mu0(X)
            pehe[name].append(float(np.sqrt(np.mean((effect - true_effect) ** 2))))
    gain = np.array(pehe["diff_in_means"]) - np.array(pehe["t_learner"])
    assert gain.mean() > 2 * gain.std(ddof=1) / np.sqrt(len(gain)), pehe
