"""A plugin written outside the repository is listed, validated and run like a built-in."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

BIN = Path(sys.executable).parent

PLUGIN = textwrap.dedent('''
    """A third-party model: y | x ~ Normal(a + b x, s), fitted by least squares."""
    from dataclasses import dataclass

    import numpy as np
    from scipy import stats

    from dgpbench.models.base import Capabilities, Fitted, Model
    from dgpbench.models.registry import MODELS
    from dgpbench.params import param


    @dataclass(frozen=True)
    class Params:
        shrink: float = param(1.0, "multiplies the slope", ge=0.0, le=1.0)


    class Line(Fitted):
        def __init__(self, a, b, s, x):
            self.a, self.b, self.s, self.x = a, b, s, x
        def mean(self, X):
            return self.a + self.b * X[self.x].to_numpy(float)
        def sd(self, X):
            return np.full(len(X), self.s)
        def sample(self, X, n_samples, rng):
            return self.mean(X)[:, None] + self.s * rng.standard_normal((len(X), n_samples))
        def logpdf(self, X, y):
            return stats.norm.logpdf(y, self.mean(X), self.s)


    class ThirdParty(Model):
        name = "third_party_line"
        description = "least-squares line with a constant sd (a plugin)"
        Params = Params
        capabilities = Capabilities(conditional=True, log_density=True)

        def supports(self, observed):
            return (len(observed.roles.covariates) == 1, "needs exactly one covariate")

        def _fit(self, observed, seed):
            x = observed.roles.covariates[0]
            xs, y = observed.frame[x].to_numpy(float), observed.y
            b, a = np.polyfit(xs, y, 1)
            b *= self.params.shrink
            return Line(a, b, float(np.std(y - a - b * xs)), x)


    MODELS.register("third_party_line", ThirdParty)
''')

SUITE = """
name: plugin-suite
seeds: [0]
time_limit: 60
generators:
  - {name: heteroscedastic, params: {n: 500, n_test: 200}}
models:
  - {name: third_party_line, params: {shrink: 0.5}}
"""


def run(args, cwd):
    return subprocess.run(
        [str(BIN / "dgpbench"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
        env={**os.environ, "PYTHONPATH": ""},
    )


def test_outside_plugin_is_listed_validated_and_run(tmp_path):
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    (tmp_path / "suite.yaml").write_text(SUITE)
    listed = run(["list", "models", "--format", "json", "--plugin", "my_plugin"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    entry = [m for m in json.loads(listed.stdout) if m["name"] == "third_party_line"][0]
    assert entry["parameters"][0]["name"] == "shrink" and entry["capabilities"] == ["conditional", "log_density"]

    (tmp_path / "bad.yaml").write_text(SUITE.replace("shrink: 0.5", "shrink: 3.0"))
    bad = run(["run", "bad.yaml", "--plugin", "my_plugin", "--store", "s.sqlite"], tmp_path)
    assert bad.returncode == 2 and "shrink" in bad.stderr

    done = run(["run", "suite.yaml", "--plugin", "my_plugin", "--store", "s.sqlite", "--no-progress"], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(run(["results", "--store", "s.sqlite", "--format", "json"], tmp_path).stdout)
    metrics = {r["metric"]: r for r in rows}
    assert {r["status"] for r in rows} == {"ok"}
    assert metrics["nll_excess"]["value"] > 0.05  # a shrunk homoscedastic line is visibly worse than the truth


def test_unknown_plugin_is_bad_input(tmp_path):
    out = run(["list", "--plugin", "no_such_plugin_module"], tmp_path)
    assert out.returncode == 2 and "no_such_plugin_module" in out.stderr
