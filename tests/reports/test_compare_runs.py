"""compare on real runs, under noise and under breakage.

Noise: the same reference models on the same small suite, seeds 0-4 against seeds 5-9,
changed nothing; compare must flag at most 5 % of the deltas (one combined standard error as
the threshold used to flag 49 of 114). Breakage: a plugin written here, outside the package,
wraps ``s_learner`` and degrades one thing -- its predictive sd x 1.5, or its treatment
effect shifted -- and runs under the original's label on the original's seeds; compare must
flag that model on the face the breakage concerns, and nothing else.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from dgpbench.benchmarks import runner
from dgpbench.benchmarks.store import Store
from dgpbench.cli import main as cli
from dgpbench.reports.compare import compare_runs
from dgpbench.reports.data import RunData

PLUGIN = textwrap.dedent('''
    """s_learner made worse on purpose: the same fit, its sd scaled or its effect shifted."""
    from dataclasses import dataclass

    import numpy as np
    from scipy import stats

    from dgpbench.models.base import Fitted, Model
    from dgpbench.models.registry import load_model
    from dgpbench.params import param


    @dataclass(frozen=True)
    class Params:
        sd_factor: float = param(1.0, "multiplies the predictive sd", gt=0.0)
        effect_shift: float = param(0.0, "added to the predicted treated outcome", ge=-10.0, le=10.0)


    class Degraded(Fitted):
        def __init__(self, inner, sd_factor, effect_shift):
            self.inner, self.sd_factor, self.effect_shift = inner, sd_factor, effect_shift

        def mean(self, X):
            return self.inner.mean(X)

        def sd(self, X):
            return self.inner.sd(X) * self.sd_factor

        def sample(self, X, n_samples, rng):
            return self.mean(X)[:, None] + self.sd(X)[:, None] * rng.standard_normal((len(X), n_samples))

        def logpdf(self, X, y):
            return stats.norm.logpdf(y, self.mean(X), self.sd(X))

        def mu0(self, X):
            return self.inner.mu0(X)

        def mu1(self, X):
            return self.inner.mu1(X) + self.effect_shift


    class DegradedSLearner(Model):
        name = "degraded_s_learner"
        description = "s_learner with its sd scaled or its effect shifted (a broken plugin)"
        Params = Params
        capabilities = load_model("s_learner").capabilities

        def supports(self, observed):
            return load_model("s_learner").supports(observed)

        def _fit(self, observed, seed):
            inner = load_model("s_learner")._fit(observed, seed)
            return Degraded(inner, self.params.sd_factor, self.params.effect_shift)


    from dgpbench.models.registry import MODELS

    MODELS.register("degraded_s_learner", DegradedSLearner)
''')

SUITE = """
name: compare-{tag}
seeds: {seeds}
time_limit: 120
generators:
  - {{name: heteroscedastic, params: {{n: 400, n_test: 300}}}}
  - {{name: did_panel, params: {{n_units: 16, n_periods: 10, adoption_period: 5}}}}
  - {{name: ihdp, params: {{replication: 1}}}}
models:
  - {{name: ols}}
  - {{name: linear_gaussian}}
  - {{name: twfe}}
  - {{name: diff_in_means}}
  - {s_learner}
metrics: all
"""
# The degraded runs need only the data with a treatment, and one untouched model beside it.
BROKEN_SUITE = """
name: compare-{tag}
seeds: [0, 1, 2, 3, 4]
time_limit: 120
generators:
  - {{name: did_panel, params: {{n_units: 16, n_periods: 10, adoption_period: 5}}}}
  - {{name: ihdp, params: {{replication: 1}}}}
models:
  - {{name: linear_gaussian}}
  - {s_learner}
metrics: all
"""
CORRECT = "{name: s_learner}"
WIDE = "{name: degraded_s_learner, label: s_learner, params: {sd_factor: 1.5}}"
SHIFTED = "{name: degraded_s_learner, label: s_learner, params: {effect_shift: 1.0}}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Four runs in one store: the reference models on seeds 0-4 and on seeds 5-9, and on
    seeds 0-4 again s_learner replaced by a degraded copy (two ways) beside linear_gaussian."""
    root = tmp_path_factory.mktemp("compare-runs")
    (root / "degrade.py").write_text(PLUGIN)
    store = root / "store.sqlite"
    out = {"store": store}
    for tag, text in (
        ("a", SUITE.format(tag="a", seeds=[0, 1, 2, 3, 4], s_learner=CORRECT)),
        ("b", SUITE.format(tag="b", seeds=[5, 6, 7, 8, 9], s_learner=CORRECT)),
        ("wide", BROKEN_SUITE.format(tag="wide", s_learner=WIDE)),
        ("shifted", BROKEN_SUITE.format(tag="shifted", s_learner=SHIFTED)),
    ):
        suite = root / f"{tag}.yaml"
        suite.write_text(text)
        summary = runner.run(
            str(suite),
            str(store),
            workers=1,
            plugins=(str(root / "degrade.py"),),
            rerun=True,
            progress=False,
            echo=lambda s: None,
        )
        out[tag] = summary.run_id
    return out


def comparison(runs, a, b, correction="bh"):
    s = Store(runs["store"], create=False)
    return compare_runs(RunData.load(s, runs[a], figures=False), RunData.load(s, runs[b], figures=False), correction)


@pytest.mark.parametrize("correction", ["bh", "holm"])
def test_disjoint_seeds_of_unchanged_models_flag_at_most_five_percent(runs, correction):
    c = comparison(runs, "a", "b", correction)
    tested = [d for d in c.deltas if d.p_value is not None]
    assert c.paired is False and len(tested) >= 100  # Welch throughout, a table of real size
    assert {d.level for d in tested} == {"face", "metric"}
    assert len(c.flagged) <= 0.05 * len(tested), [(d.generator, d.model, d.metric, d.p_value) for d in c.flagged]


def test_a_wider_predictive_sd_is_flagged_on_the_distribution_face_only(runs):
    c = comparison(runs, "a", "wide")
    assert c.paired is True
    faces = {(d.generator, d.face): d for d in c.deltas if d.level == "face" and d.model == "s_learner"}
    for generator in ("did_panel", "ihdp"):
        d = faces[(generator, "distribution")]
        assert d.metric == "crps" and d.flagged and d.verdict == "worse"
        assert not faces[(generator, "counterfactuals")].flagged  # its effects are untouched
    assert {d.model for d in c.flagged} == {"s_learner"}  # linear_gaussian, rerun unchanged, is not
    assert {d.face for d in c.flagged} == {"distribution"}
    assert not [d for d in c.deltas if d.model == "linear_gaussian" and d.p_value != 1.0]  # identical values


def test_a_shifted_effect_is_flagged_on_the_counterfactual_face_only(runs):
    c = comparison(runs, "a", "shifted")
    faces = {(d.generator, d.face): d for d in c.deltas if d.level == "face" and d.model == "s_learner"}
    for generator in ("did_panel", "ihdp"):
        d = faces[(generator, "counterfactuals")]
        assert d.metric in ("sqrt_pehe_out", "sqrt_pehe_in") and d.flagged and d.verdict == "worse"
        assert not faces[(generator, "distribution")].flagged  # its predictive distribution is untouched
    assert {d.model for d in c.flagged} == {"s_learner"}
    assert {d.face for d in c.flagged} == {"counterfactuals"}


def test_cli_prints_a_terminal_diff_of_flagged_deltas_first(runs, capsys):
    argv = ["compare", runs["a"], runs["wide"], "--store", str(runs["store"])]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "paired by seed" in out and "Benjamini-Hochberg" in out
    flagged_lines = [line for line in out.splitlines() if line.startswith("+ ↑")]
    assert flagged_lines and all(" s_learner " in line and " worse " in line for line in flagged_lines)
    assert "unchanged (not flagged)" in out.splitlines()[-1]
    assert cli.main([*argv, "--all"]) == 0
    every = capsys.readouterr().out
    assert len(every.splitlines()) > len(out.splitlines()) + 50  # the unflagged rows too


def test_cli_json_and_csv_carry_every_delta(runs, capsys, tmp_path):
    argv = ["compare", runs["a"], runs["b"], "--store", str(runs["store"])]
    assert cli.main([*argv, "--format", "json", "--correction", "none"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["level"] for r in rows} == {"face", "metric"} and all(r["paired"] is False for r in rows)
    assert any(r["flagged"] for r in rows)  # tested alone, some of ~150 unchanged deltas fall below 5 %
    assert cli.main([*argv, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("generator,model,face,metric,a_mean,a_se,b_mean,b_se,delta,se,p_value,paired,n,")
    assert len(lines) == len(rows) + 1
    assert cli.main([*argv, "--format", "csv", "-o", str(tmp_path / "d.csv")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text().splitlines() == lines


@pytest.mark.parametrize(
    "extra",
    [["--correction", "bonferroni"], ["--alpha", "0"], ["--format", "xml"]],
)
def test_cli_refuses_bad_options_with_exit_code_2(runs, extra, capsys):
    assert cli.main(["compare", runs["a"], runs["b"], "--store", str(runs["store"]), *extra]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_names_an_unknown_run(runs, capsys):
    assert cli.main(["compare", runs["a"], "nope", "--store", str(runs["store"])]) == 2
    assert "nope" in capsys.readouterr().err
