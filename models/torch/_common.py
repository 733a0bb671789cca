"""Tabular preprocessing shared by the PyTorch models (numpy and pandas only).

:class:`TabularCodec` turns role columns into a float matrix and back: numeric columns
standardised; categorical ones (bool/object/category, forced ones such as group and unit
ids, integer-valued columns -- int dtype, or floats such as 0.0/1.0 -- with at most
``MAX_LEVELS`` levels) one-hot encoded and decoded by argmax back to the column's dtype;
other int columns standardised and rounded back. Categoricals with many levels can be
coded in analog bits instead (``bits_above``), for models that generate them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_LEVELS = 20  # an integer-valued column with at most this many levels is categorical


@dataclass
class _Column:
    name: str
    kind: str  # "numeric" | "integer" (numeric, rounded back) | "categorical"
    dtype: Any
    loc: float = 0.0
    scale: float = 1.0
    levels: tuple = ()
    bits: bool = False  # categorical as +-1 analog bits instead of one-hot

    @property
    def width(self) -> int:
        if self.kind != "categorical":
            return 1
        return max(1, math.ceil(math.log2(len(self.levels)))) if self.bits else len(self.levels)

    def codebook(self) -> np.ndarray:
        """One row per level: the identity (one-hot) or the level's binary code in +-1."""
        k = len(self.levels)
        if not self.bits:
            return np.eye(k)
        return 2.0 * ((np.arange(k)[:, None] >> np.arange(self.width)[None, :]) & 1) - 1.0


def _few_integer_levels(s: pd.Series) -> bool:
    """Integer-valued (int dtype, or floats such as 0.0/1.0) with at most MAX_LEVELS levels."""
    if s.nunique() > MAX_LEVELS:
        return False
    v = s.to_numpy(dtype=float)
    return bool(pd.api.types.is_integer_dtype(s.dtype) or np.all(v == np.round(v)))


class TabularCodec:
    """Frame <-> float matrix: standardised numerics, one-hot categoricals (argmax back).

    With ``bits_above=K``, a categorical with more than K levels is coded in
    ceil(log2 levels) +-1 "analog bits" (Chen et al. 2022, arXiv:2208.04202) and decoded to
    the level whose code is nearest. Diffusion over a wide one-hot block (85 counties) fails:
    the rows it samples lose the other columns' distribution, not only the county's.
    """

    def __init__(self, frame: pd.DataFrame, columns: list[str], force_categorical=(), bits_above: int | None = None):
        self.columns: list[_Column] = []
        for name in columns:
            s = frame[name]
            dtype = s.dtype
            cat = (
                name in force_categorical
                or pd.api.types.is_bool_dtype(dtype)
                or not pd.api.types.is_numeric_dtype(dtype)
                or _few_integer_levels(s)
            )
            if cat:
                levels = tuple(pd.unique(s.sort_values()))
                bits = bits_above is not None and len(levels) > bits_above
                self.columns.append(_Column(name, "categorical", dtype, levels=levels, bits=bits))
            else:
                v = s.to_numpy(dtype=float)
                sd = float(v.std())
                kind = "integer" if pd.api.types.is_integer_dtype(dtype) else "numeric"
                self.columns.append(_Column(name, kind, dtype, float(v.mean()), sd if sd > 0 else 1.0))

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for c in self.columns:
            s = frame[c.name]
            if c.kind == "categorical":
                idx = pd.Index(c.levels).get_indexer(s)  # unseen level -> -1 -> all zeros
                code = np.zeros((len(s), c.width))
                ok = idx >= 0
                code[ok] = c.codebook()[idx[ok]]
                parts.append(code)
            else:
                parts.append(((s.to_numpy(dtype=float) - c.loc) / c.scale)[:, None])
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(frame), 0))

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        out, j = {}, 0
        for c in self.columns:
            block = Z[:, j : j + c.width]
            j += c.width
            if c.kind == "categorical":
                nearest = (block @ c.codebook().T).argmax(axis=1)  # = argmax of a one-hot block
                out[c.name] = pd.Series(np.asarray(c.levels, dtype=object)[nearest]).astype(c.dtype)
            elif c.kind == "integer":
                out[c.name] = np.rint(block[:, 0] * c.scale + c.loc).astype(c.dtype)
            else:
                out[c.name] = (block[:, 0] * c.scale + c.loc).astype(c.dtype)
        return pd.DataFrame(out)

    def decode_outcome(self, Z: np.ndarray) -> np.ndarray:
        """Decode a single-column codec's matrix to a float vector (the outcome's values)."""
        return self.decode(Z).iloc[:, 0].to_numpy(dtype=float)
