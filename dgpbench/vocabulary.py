"""The words every layer shares, defined once: the faces of recovery, the statuses of a cell
and the default store path. Reports, the store, the runner and the command line import them
from here, so a new face or status is one edit."""

from __future__ import annotations

# The three faces of recovery, in the order every table and figure shows them.
FACES = ("coefficients", "counterfactuals", "distribution")

# What became of a cell: one row each, whatever the model did.
STATUSES = ("ok", "error", "diverged", "timeout", "crashed", "skipped")
# The statuses that count as a failure of the model (``skipped`` is a pair it cannot serve).
FAILED_STATUSES = ("error", "diverged", "timeout", "crashed")

DEFAULT_STORE = "results/dgpbench.sqlite"


def face_order(face: str) -> int:
    """Sort key: the faces in their order, anything else after them."""
    return FACES.index(face) if face in FACES else len(FACES)
