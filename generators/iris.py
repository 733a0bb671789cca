"""Fisher's (1936) Iris measurements: real data for joint generative models.

150 flowers, 50 of each species, four measurements in cm; public domain, shipped in the
package. Real data has no truth, so the **reference** is the held-out rows themselves:
each seed draws 50 rows as ``test`` (the rest ``train``), and ``Truth.sample_rows`` hands
out those rows, never the training ones. A model's synthetic rows are then scored as real
data is, by their energy distance to the held-out rows and by a classifier two-sample test
(``c2st_accuracy``): a model that copies its training rows gains nothing, and one that has
learnt the distribution scores as well as a fresh sample of flowers would.

The species is a column with the ``group`` role: a joint model such as ``diffusion_joint``
models it as a categorical (one-hot), while the regressions' inputs are the measurements
alone. Both distribution scores compare the numeric columns, the four measurements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dgpbench.generators.base import SPLITS, Generator, Observed, Roles, Truth, coefficient_table
from dgpbench.generators.shipped import iris_frame

TEST_ROWS = 50
REFERENCE_SOURCE = (
    "Fisher (1936), Annals of Eugenics 7(2): 179-188 (measurements by Anderson 1935); "
    "the reference is the 50 held-out flowers of the seed's split, not a fitted model"
)


class HeldOutRows:
    """The reference sampler of real data: the held-out rows, never more than there are.

    Drawing with replacement would repeat rows, and a repeated row is a pair at distance
    0 that no continuous sample has, which biases the energy distance; so ``n`` larger than
    the held-out set returns all of it, in an order drawn from ``rng``.
    """

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows

    def sample_rows(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        order = rng.permutation(len(self.rows))[: int(n)]
        return self.rows.iloc[order].reset_index(drop=True)


class Iris(Generator):
    """Observed: the 150 flowers; 50 of them, drawn per seed, are ``test``."""

    name = "iris"
    description = "Real Iris measurements (Fisher 1936; 150 flowers, 3 species); reference = 50 held-out flowers"
    version = "1"

    roles = Roles(outcome="sepal_length", covariates=("sepal_width", "petal_length", "petal_width"), group="species")

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        frame = iris_frame()
        split = np.full(len(frame), SPLITS[0])
        split[rng.permutation(len(frame))[:TEST_ROWS]] = SPLITS[2]
        held_out = HeldOutRows(frame.loc[split == SPLITS[2]].reset_index(drop=True))
        truth = Truth(kind="reference", sample_rows=held_out.sample_rows, source=REFERENCE_SOURCE)
        return Observed(frame, self.roles, split), truth

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """None: the reference is a distribution, with no coefficient to recover."""
        return coefficient_table([], [], [])
