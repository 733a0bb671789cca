"""One number format for every table a user reads, the terminal's and the HTML pages' alike.

Why these rules (issue 14: ``3.71e-05``, ``-0.000`` and ``± 5.6e-17`` in one table):

- **A lone value shows 3 significant digits** (``0.0142``, ``1.23``, ``12.3``, ``123``),
  fixed-point from 1e-4 up to 1e4, scientific outside it (``1.23e+04``, ``3.71e-05``), so a
  genuinely small value keeps its digits instead of reading ``0.000``. Trailing zeros stay
  (``0.500``): they say how many digits are meant.
- **A mean with its standard error is written as papers write it**: the se to 2 significant
  digits, the mean to the same decimal place (``0.01400 ± 0.00023``), so neither claims
  digits the other denies. Where that would need more than :data:`MAX_DECIMALS` decimals, or
  the mean is past the fixed-point range, each is written on its own (3 and 2 significant
  digits).
- **Floating-point noise is zero**: an se below :data:`NEGLIGIBLE` of its mean's scale
  (``max(|mean|, 1)``) is the rounding left by averaging identical values, not spread, and a
  lone value below :data:`NOISE` in size is such a residue too; both read ``0``. A value
  that rounds to zero at the decimals shown reads ``0``, never ``-0.000``.
- **The same value on every seed is said in words** (:func:`same_every_seed`): a
  deterministic fit on fixed data (radon_mn) has no spread over seeds, and ``± 0.00``
  suggests a measured one.

Missing values (None) are the caller's to word: each table says why it has none; a NaN or
an infinity that reaches :func:`number` prints as ``nan``/``inf``, never as a made-up digit.
"""

from __future__ import annotations

import math

SIGNIFICANT = 3  # digits of a lone value
SE_SIGNIFICANT = 2  # digits of a standard error
NOISE = 1e-12  # a lone value smaller than this is floating-point residue: "0"
NEGLIGIBLE = 1e-9  # an se below this times max(|mean|, 1) is no spread at all
FIXED_EXPONENTS = range(-4, 4)  # fixed-point from 1e-4 up to (not including) 1e4, scientific outside
MAX_DECIMALS = 6  # more decimals than this and a mean ± se is written as two lone values


def _exponent(v: float, digits: int) -> int:
    """The decimal exponent of ``v`` once rounded to ``digits`` significant digits (9.996 -> 1)."""
    return int(f"{abs(v):.{digits - 1}e}".split("e")[1])


def _fixed(v: float, decimals: int) -> str:
    """``v`` rounded to ``decimals`` places (negative: to tens, hundreds); ``0`` where it rounds to zero."""
    r = round(v, decimals)
    if r == 0:
        return "0"
    return f"{r:.{max(decimals, 0)}f}"


def number(v: float, digits: int = SIGNIFICANT) -> str:
    """A lone value to ``digits`` significant digits (module docstring): ``0.0142``, ``1.23``,
    ``1234``, ``1.23e+04``, ``3.71e-05``; ``0`` for zero and floating-point residue; ``inf``,
    ``-inf`` or ``nan`` as such."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0 or abs(v) < NOISE:
        return "0"
    e = _exponent(v, digits)
    if e not in FIXED_EXPONENTS:
        return f"{v:.{digits - 1}e}"
    return _fixed(v, max(digits - 1 - e, 0))  # 1234, not 1230: no digit made up


def negligible(se: float, mean: float | None) -> bool:
    """Whether ``se`` is no spread at all: below :data:`NEGLIGIBLE` of ``max(|mean|, 1)``."""
    return abs(se) <= NEGLIGIBLE * max(abs(mean or 0.0), 1.0)


def same_every_seed(mean: float | None, se: float | None) -> bool:
    """Whether a mean over seeds had the same value on every seed: its se exists (two seeds
    or more, :func:`dgpbench.reports.stats.mean_se`) and is negligible."""
    return se is not None and mean is not None and math.isfinite(se) and negligible(se, mean)


def mean_se(mean: float, se: float | None) -> tuple[str, str | None]:
    """``(mean, se)`` as text: the se to 2 significant digits and the mean to the same decimal
    place (``0.01400``, ``0.00023``); ``se`` None (one seed) gives the mean's 3 significant
    digits and None; a negligible se gives ``"0"``."""
    if se is None or not math.isfinite(se):
        return number(mean), None
    if negligible(se, mean):
        return number(mean), "0"
    se = abs(se)
    decimals = SE_SIGNIFICANT - 1 - _exponent(se, SE_SIGNIFICANT)
    outside = _exponent(mean, SIGNIFICANT) >= FIXED_EXPONENTS.stop or se >= 10.0**FIXED_EXPONENTS.stop
    if decimals > MAX_DECIMALS or outside:
        fixed_se = decimals <= MAX_DECIMALS and _exponent(se, SE_SIGNIFICANT) in FIXED_EXPONENTS
        return number(mean), _fixed(se, decimals) if fixed_se else f"{se:.{SE_SIGNIFICANT - 1}e}"
    return _fixed(mean, decimals), _fixed(se, decimals)


def signed(text: str, v: float) -> str:
    """A difference's text (from :func:`number` or :func:`mean_se`) with ``+`` on a positive
    one; never ``+0``."""
    return ("+" if text != "0" and v > 0 else "") + text
