"""Deliberately broken models: the benchmark's test of itself (issue 12, item 7).

Each variant is a small subclass of a correct model that breaks one thing and declares, as
a frozen :class:`Breakage`, what it breaks and which face of the verdict must catch it. The
sensitivity suite (``benchmarks/suites/sensitivity.yaml``) runs each beside its correct
version, and the report's section "Does the benchmark catch these?" says whether it was.

These are not ordinary models: ``dgpbench list models`` shows them under their own heading,
and a suite may name one only beside the correct model it breaks (the suite key
``breaks``). :class:`SensitivityOnly` marks them, and the yardsticks that exist only for
them, so that both the listing and the suite validator read a declaration, not a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from dgpbench.vocabulary import FACES

# How a breakage is caught: its face ranks it below its correct version beyond noise
# ("worse"), or the leak alarm flags it for beating the truth itself ("suspect").
CATCHES = ("worse", "suspect")


@dataclass(frozen=True)
class Breakage:
    """What a variant breaks (``what``), the face that must catch it, and how."""

    what: str
    face: str
    catch: str = "worse"

    def __post_init__(self) -> None:
        for name, valid in (("face", FACES), ("catch", CATCHES)):
            value = getattr(self, name)
            if value not in valid:
                raise ValueError(f"breakage {name} must be one of {valid}, got {value!r}")


class SensitivityOnly:
    """Mixin of a model that exists only for the sensitivity suite.

    A broken variant sets ``breakage``; a yardstick (a correct model no ordinary suite
    should rank, e.g. one that knows the generator's family) leaves it None and says in
    ``sensitivity_role`` what it is there for.
    """

    breakage: ClassVar[Breakage | None] = None
    sensitivity_role: ClassVar[str] = ""


def is_sensitivity_only(cls: Any) -> bool:
    """Whether a registered model class is a sensitivity variant or yardstick."""
    return isinstance(cls, type) and issubclass(cls, SensitivityOnly)
