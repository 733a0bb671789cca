"""One colour and one marker per model name, the same in every report.

Why this set: the colours are Paul Tol's *muted* qualitative scheme (nine colours chosen to
stay distinguishable from each other under the common colour-vision deficiencies and
against a white page; none is black, which the figures keep for the truth, and none is a
mid grey, which they keep for naive baselines and true samples). Nine colours cannot tell
twenty models apart, so each style is a *(colour, marker)* pair: nine colours times four
markers (circle, square, triangle, diamond) is 36 distinct pairs, and every figure that
draws a model's points or lines draws both, so two models that share a colour still differ
in shape (and in print, where colour is lost, in shape alone).

Why fixed: a style chosen by a model's position among the page's sorted labels changes from
one report to the next (``twfe`` brown in one report, purple in the next) and repeats once
there are more models than colours. Here every built-in model name has its own pair in
:data:`FIXED`, independent of which other models a page shows; models that share a colour
are ones that never meet in one figure of the bundled suites (``twfe`` runs on panels,
``tarnet`` on IHDP), and the common ones take the circle in nine different colours. Any
other label (a plugin, or a suite label such as ``mdn_k2``) gets a slot chosen by a hash of
its name, probing for the next slot no other label of the page uses -- first among the
slots no built-in owns in a colour the page does not show yet, then among any slot no
built-in owns (so a plugin rarely takes the pair a reader knows as a built-in's), then
among all. The result depends only on the set of labels: the same set always gets the same
styles, and up to 36 labels on one page never share a pair.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from typing import NamedTuple

# Paul Tol's muted scheme (https://personal.sron.nl/~pault/#sec:qualitative), in his order.
COLOURS = (
    "#332288",  # indigo
    "#88CCEE",  # cyan
    "#44AA99",  # teal
    "#117733",  # green
    "#999933",  # olive
    "#DDCC77",  # sand
    "#CC6677",  # rose
    "#882255",  # wine
    "#AA4499",  # purple
)
MARKERS = ("o", "s", "^", "D")
# Every (colour, marker) pair, as indices; a slot is a position in this list.
SLOTS = tuple((c, m) for m in range(len(MARKERS)) for c in range(len(COLOURS)))

# Built-in model name -> (colour index, marker index). The nine common models take the
# circle in nine colours; a shared colour pairs models that no bundled suite draws together
# (causal nets on IHDP with panel / multilevel / generative models); the sensitivity suite's
# broken variants differ in colour from the correct model they break.
FIXED: dict[str, tuple[int, int]] = {
    "ols": (0, 0),
    "linear_gaussian": (1, 0),
    "twfe": (2, 0),
    "mixedlm": (3, 0),
    "glmm_vi": (4, 0),
    "diff_in_means": (5, 0),
    "mdn": (6, 0),
    "diffusion": (7, 0),
    "s_learner": (8, 0),
    "scale_gaussian": (1, 1),
    "diffusion_joint": (2, 1),
    "tarnet": (3, 1),
    "t_learner": (4, 1),
    "dragonnet": (6, 1),
    "dcn_pd": (7, 1),
    "two_mode_family": (0, 2),
    "outcome_leak": (3, 2),
    "scale_gaussian_wide_sd": (6, 2),
    "ols_shifted_2se": (7, 2),
    "scale_gaussian_permuted": (8, 2),
    "t_learner_constant_effect": (0, 3),
    "twfe_wide_sd": (6, 3),
    "twfe_shifted_2se": (7, 3),
    "two_mode_one_mode": (8, 3),
}
_RESERVED = frozenset(SLOTS.index(s) for s in FIXED.values())
_FREE = tuple(i for i in range(len(SLOTS)) if i not in _RESERVED)


class Style(NamedTuple):
    """How one model is drawn: its colour and its matplotlib marker."""

    colour: str
    marker: str


def _style(slot: int) -> Style:
    c, m = SLOTS[slot % len(SLOTS)]
    return Style(COLOURS[c], MARKERS[m])


def _hash(label: str) -> int:
    """A stable hash (Python's ``hash`` of a str changes between processes)."""
    return int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "big")


def _probe(label: str, taken: set[int]) -> int:
    """The label's hashed slot, or the next one not taken: first among the slots no built-in
    owns whose colour the page does not use yet, then among the slots no built-in owns, then
    among all; past 36 labels on one page, pairs repeat."""
    colours = {SLOTS[t][0] for t in taken}
    fresh = tuple(i for i in _FREE if SLOTS[i][0] not in colours)
    for pool in (fresh, _FREE, tuple(range(len(SLOTS)))):
        start = _hash(label) % max(1, len(pool))
        for k in range(len(pool)):
            if pool[(start + k) % len(pool)] not in taken:
                return pool[(start + k) % len(pool)]
    return _hash(label) % len(SLOTS)


class Palette:
    """Model label -> :class:`Style` for one page (see the module's docstring for why)."""

    def __init__(self, labels: Iterable[str]):
        names = sorted(set(labels))
        slots = {m: SLOTS.index(FIXED[m]) for m in names if m in FIXED}
        taken = set(slots.values())
        for m in names:
            if m not in FIXED:
                slots[m] = _probe(m, taken)
                taken.add(slots[m])
        self._slots = slots

    def __call__(self, label: str) -> Style:
        """The label's style; a label the page did not list gets the style it would have alone."""
        slot = self._slots.get(label)
        if slot is None:
            slot = SLOTS.index(FIXED[label]) if label in FIXED else _probe(label, set())
        return _style(slot)


# -- the score scale --------------------------------------------------------------------------

# Normalised scores (1 = oracle, 0 = naive baseline, < 0 worse than naive) as a diverging
# blue-neutral-orange scale, saturating at -1 and 1. Blue and orange differ along the
# blue-yellow axis that deuteranopes and protanopes keep, so the two ends stay apart under a
# deuteranopia simulation where the former red-green scale merged them
# (tests/reports/test_palette.py). Both ends are light enough for the page's ink
# (#1d2433) to keep a contrast above 5:1 on them. The CSS ``.scale .bar`` gradient of
# page.css uses the same three colours (a test keeps them equal).
SCORE_WORSE = (224, 130, 20)  # #e08214: -1 and below
SCORE_NEUTRAL = (247, 247, 247)  # #f7f7f7: 0, the naive baseline
SCORE_BETTER = (94, 158, 214)  # #5e9ed6: 1 (the oracle) and above


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def score_colour(s: float | None) -> str:
    """1 (oracle) blue, 0 (naive) near white, -1 orange, straight lines in sRGB between;
    saturates beyond -1 and 1; "" for no score."""
    if s is None or not math.isfinite(s):
        return ""
    return _mix(SCORE_NEUTRAL, SCORE_BETTER, min(s, 1.0)) if s >= 0 else _mix(SCORE_NEUTRAL, SCORE_WORSE, min(-s, 1.0))
