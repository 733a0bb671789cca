"""Scoring a cell: the metrics read arrays from a context, the score step compares the model
with the oracle and the naive baselines, the figure step keeps small arrays for the report.

Calls go one way: metrics -> context; score step -> metrics + context; figure step -> context.
"""

from dgpbench.benchmarks.scoring.cell_scores import score_cell
from dgpbench.benchmarks.scoring.context import CellData
from dgpbench.benchmarks.scoring.figure_arrays import figure_data

__all__ = ["CellData", "figure_data", "score_cell"]
