"""Errors that the command line turns into exit code 2 (bad input) rather than a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BadInput(ValueError):
    """Input a user can fix: a suite, a parameter, an argument, a plugin. Exit code 2."""


def closest(name: str, valid: Iterable[str], n: int = 3) -> str:
    """'closest valid: a, b' (or all valid names when nothing is close) for error messages."""
    valid = sorted(str(v) for v in valid)
    near = difflib.get_close_matches(str(name), valid, n=n, cutoff=0.5)
    if near:
        return "closest valid: " + ", ".join(near)
    shown = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
    return "valid: " + (shown or "(none)")
