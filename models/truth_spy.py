"""A spy model that looks for the truth where a dishonest model would: on the call stack
and among every object the garbage collector can hand out.

``TruthSpy.supports`` and ``TruthSpy._fit`` walk ``sys._getframe()`` up to the outermost
caller (every frame's locals) and ``gc.get_objects()`` (every tracked container and what it
holds, down through untracked dicts, lists and tuples), looking for any
:class:`~dgpbench.generators.base.Truth` and for any float array equal to one of the
truth's row arrays (``mu0``, ``mu1``, ``y0``, ``y1``) -- a whole array, a column or a row
of a 2-D one (a shipped table or a frame's block). The arrays are recognised by digests
taken before the cell runs (:func:`row_digests`), so the spy itself holds no copy of them.
What it finds makes ``supports`` decline and ``_fit`` raise :class:`TruthReachable`, so the
cell records a ``skipped`` or ``error`` row naming where the truth was; a clean cell is ``ok``.
"""

from __future__ import annotations

import gc
import hashlib
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

import numpy as np

from dgpbench.generators.base import Observed, Truth
from dgpbench.models.base import Capabilities, Fitted, Model

SPY_NAME = "truth_spy"
ROW_FIELDS = ("mu0", "mu1", "y0", "y1")
_MAX_LINES = 64  # columns (or rows) of a 2-D array compared with the truth's rows


class TruthReachable(AssertionError):
    """The spy found a ``Truth`` or a truth array while a model was running."""


@dataclass(frozen=True)
class RowDigests:
    """sha256 of each of a truth's float row arrays, and their common length."""

    n: int
    digests: frozenset[bytes]

    def matches(self, values: np.ndarray) -> bool:
        if values.shape != (self.n,) or values.dtype.kind not in "fiu":
            return False
        return _digest(values) in self.digests


def _digest(values: np.ndarray) -> bytes:
    return hashlib.sha256(np.ascontiguousarray(values, dtype=np.float64).view(np.uint8).data).digest()


def row_digests(truth: Truth) -> RowDigests:
    """Digests of the truth's row arrays (none where the generator defines none)."""
    rows = [np.asarray(getattr(truth, f)) for f in ROW_FIELDS if getattr(truth, f) is not None]
    return RowDigests(len(rows[0]) if rows else 0, frozenset(_digest(r) for r in rows))


def _holds_truth_rows(values: np.ndarray, rows: RowDigests) -> bool:
    """``values`` or the array it views is (has a column or row) equal to a truth array."""
    for a in (values, values.base):
        if not isinstance(a, np.ndarray) or not rows.n or a.dtype.kind not in "fiu":
            continue
        if a.ndim == 1 and rows.matches(a):
            return True
        if a.ndim == 2:
            lines = [a[:, j] for j in range(min(a.shape[1], _MAX_LINES))] if a.shape[0] == rows.n else []
            lines += [a[j] for j in range(min(a.shape[0], _MAX_LINES))] if a.shape[1] == rows.n else []
            if any(rows.matches(line) for line in lines):
                return True
    return False


def _what(value: Any, rows: RowDigests) -> str | None:
    if isinstance(value, Truth):
        return "a Truth"
    if isinstance(value, np.ndarray) and _holds_truth_rows(value, rows):
        return "an array of the truth's potential outcomes"
    return None


def search_stack(rows: RowDigests, start: FrameType | None) -> list[str]:
    """Truths and truth arrays among the locals of ``start`` and every frame above it."""
    found = []
    frame = start
    while frame is not None:
        for name, value in list(frame.f_locals.items()):
            what = _what(value, rows)
            if what:
                found.append(f"{what} in local {name!r} of {frame.f_code.co_name}() ({frame.f_code.co_filename})")
        frame = frame.f_back
    return found


def search_heap(rows: RowDigests) -> list[str]:
    """Truths and truth arrays held by any object the garbage collector tracks."""
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, Truth):
            found.append("a Truth alive in the process")
            continue
        todo = gc.get_referents(obj)
        while todo:
            ref = todo.pop()
            what = _what(ref, rows)
            if what:
                found.append(f"{what} held by a {type(obj).__name__}")
            elif isinstance(ref, dict | list | tuple) and not gc.is_tracked(ref):
                todo.extend(gc.get_referents(ref))  # containers gc does not track on their own
    return found


class TruthSpy(Model):
    """Searches the stack and the heap for the truth in ``supports`` and ``_fit``; fits nothing.

    ``rows`` (a class attribute) holds the digests of the cell's truth arrays; set it with
    :func:`row_digests` before the cell runs.
    """

    name = SPY_NAME
    description = "conformance spy: fails its fit where a Truth or a truth array is reachable"
    capabilities = Capabilities()
    rows: ClassVar[RowDigests] = RowDigests(0, frozenset())
    searches: ClassVar[int] = 0  # how often any spy searched: a cell path that never asks shows

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.found: list[str] = []

    def _search(self, where: str) -> None:
        TruthSpy.searches += 1
        hits = search_stack(self.rows, sys._getframe(1)) + search_heap(self.rows)
        self.found += [f"during {where}: {hit}" for hit in dict.fromkeys(hits)]

    def supports(self, observed: Observed) -> tuple[bool, str]:
        """Declines, naming what it found, where the truth is reachable (so a planner that
        only asks ``supports`` records the finding as the skip reason)."""
        self._search("supports()")
        return (False, "; ".join(self.found)) if self.found else (True, "")

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        self._search("fit()")
        if self.found:
            raise TruthReachable("; ".join(dict.fromkeys(self.found)))
        return Fitted()
