"""The rows a model holds out for early stopping (numpy only: the TFP and PyTorch models
both use it without importing each other's backend).

The rule every trained model follows: the data's own ``valid`` rows where it has some
(and other fit rows to train on); otherwise rows the model draws itself, each model with
its own seeded draw (a fraction, a stratified fraction, none on small data), so that
each keeps the random stream its results were measured with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dgpbench.generators.base import Observed


def held_out(observed: Observed, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """Boolean mask of the held-out rows: those labelled ``valid`` when the fit rows hold
    both valid and other rows, else the positions ``draw(n_rows)`` returns. ``draw`` is
    called only in the second case, so a model's random stream is untouched in the first."""
    valid = observed.mask("valid")
    if valid.any() and (~valid).any():
        return valid
    held = np.zeros(len(valid), dtype=bool)
    held[draw(len(valid))] = True
    return held
