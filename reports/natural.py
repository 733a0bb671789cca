"""Labels in the order a reader counts them: ``ihdp_2`` before ``ihdp_10`` (a plain string
sort puts ``ihdp_10`` second). One key for every table and page that lists generators or
models by label."""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def natural_key(label: Any) -> tuple[tuple[Any, ...], str]:
    """Sort key of a label: its numbers (runs of digits, with a decimal part where there is
    one: a swept ``noise_sd=0.25`` before ``noise_sd=0.5``) compared by value, the rest as
    text without regard to case; the label itself breaks ties (``ihdp_01`` and ``ihdp_1``
    keep one order).

    The parts alternate text, number, text, ... from the start (``re.split`` with a captured
    group begins with the text before the first digit, "" if none), so two keys always
    compare a number with a number and a text with a text.
    """
    text = str(label)
    parts = tuple(float(p) if i % 2 else p.casefold() for i, p in enumerate(_NUMBER.split(text)))
    return parts, text
