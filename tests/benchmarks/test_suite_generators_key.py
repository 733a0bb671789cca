"""A model entry's `generators` key: labels name one entry, a bare name every entry of it."""

import pytest

from dgpbench.benchmarks.runner import plan
from dgpbench.benchmarks.suite import parse
from dgpbench.errors import BadInput

SUITE = """
name: t
seeds: [0]
generators:
  - {name: radon_like}
  - {name: radon_like, label: radon_pois, params: {family: poisson, intercept: 1.0}}
  - {name: ihdp, label: ihdp_1, params: {replication: 1}}
  - {name: ihdp, label: ihdp_2, params: {replication: 2}}
models:
  - {name: linear_gaussian, generators: [radon_like]}
  - {name: diff_in_means, generators: [ihdp]}
"""


def test_label_names_one_entry_and_bare_name_names_all():
    cells = plan(parse(SUITE)).cells
    pairs = {(c.model_label, c.generator_label) for c in cells}
    assert pairs == {("linear_gaussian", "radon_like"), ("diff_in_means", "ihdp_1"), ("diff_in_means", "ihdp_2")}


def test_unknown_generator_in_model_entry_is_bad_input():
    with pytest.raises(BadInput, match=r"models\[0\]\.generators\[0\]"):
        parse(SUITE.replace("generators: [radon_like]", "generators: [radon]"))
