"""Difference-in-differences panel: the source's two-way DGP, vectorised, with options.

    y_it = a_i + c*t + 1.1*x_it + D_it * effect_it + e_it,   D_it = treated_i * [t >= A_i]

a_i ~ N(0, 1), x_it ~ N(0, 1), treated_i ~ Bernoulli(treat_prob), A_i the adoption period
(``adoption_period``, T0 = 50 of 100 periods by default; drawn per unit from
T0..T-1 when ``staggered``). The effect is ``tau`` (+ ``tau_x``*x, + ``tau_growth`` per
period since adoption); ``trend_gap`` adds a linear trend to the treated units only,
breaking parallel trends. Both potential outcomes share the row's noise e_it, so
y1 - y0 = mu1 - mu0 is the row's effect.

Two framings of the same draw (``framing``):

* ``all_rows`` (default): every row is fitted on, ``d`` is the treatment role, and the
  counterfactual face scores the potential outcomes a model gives for every row.
* ``pre_period``: the source's own question -- fit on the rows not (yet) treated (d = 0:
  all never-treated rows and the treated units' pre-adoption rows, split ``train``) and
  forecast the no-intervention outcome Y(0) of every post-adoption row (d = 1, split
  ``test``). The frame has no ``d`` column and the roles no treatment: d is 0 on every
  fitted row, so it could teach a model nothing, and on the test rows it would only say
  "this row is held out". The outcome column holds Y(0) on every row -- observed on the
  fitted rows, the held-out forecast target on the test rows (no model reads a test row's
  outcome: ``Model.fit`` cuts them, and the scored rows reach a model without it). The
  truth's conditional law is then the law of Y(0), so the distribution face scores the
  forecast's whole distribution; the treated post-adoption outcome stays in ``Truth.y1``,
  which the imputation estimate of the ATT (y1 - forecast, averaged over the test rows)
  is scored with. ``Truth.coefficients`` has ``x`` only: the fitted rows hold no treated
  row, so no coefficient table fitted on them can carry ``tau``; the ATT is scored as the
  counterfactual face's ``att_forecast_abs_error`` instead.

Units are numbered 0..N-1 and periods 0..T-1. The panel is built column-wise
(``np.repeat``/``np.tile``, in-place arithmetic on the N x T grid): 10^6 rows with their
truth take well under a tenth of a second (``benchmarks/perf/generators_perf.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dgpbench.generators.analyses import twfe
from dgpbench.generators.base import Generator, Observed, Roles, Truth
from dgpbench.generators.laws import NormalLaw, column, read_only
from dgpbench.params import param

BETA_X = 1.1  # slope of x in the source
FRAMINGS = ("all_rows", "pre_period")


@dataclass(frozen=True)
class Params:
    n_units: int = param(100, "number of units N", ge=2, le=10_000_000)
    n_periods: int = param(100, "number of periods T (t = 0..T-1)", ge=2, le=1_000_000)
    tau: float = param(0.5, "treatment effect (its baseline when the effect varies)")
    trend: float = param(0.01, "common linear time trend c per period")
    treat_prob: float = param(0.5, "probability that a unit is ever treated", gt=0.0, lt=1.0)
    adoption_period: int | None = param(None, "T0, first treated period (1..T-1); default T // 2 (50 of 100)", ge=1)
    staggered: bool = param(False, "treated units adopt at a period drawn uniformly from T0..T-1")
    tau_x: float = param(0.0, "effect heterogeneity: effect changes by tau_x per unit of x")
    tau_growth: float = param(0.0, "dynamic effect: change of the effect per period since adoption")
    trend_gap: float = param(0.0, "parallel-trends violation: extra trend per period of treated units")
    noise_sd: float = param(1.0, "sd of the idiosyncratic noise e (0 reproduces the source, which had none)", ge=0.0)
    framing: str = param(
        "all_rows",
        "all_rows: fit on every row, d the treatment; pre_period: fit on the rows with d = 0 "
        "and forecast Y(0) of the post-adoption rows (held out as test rows)",
        choices=FRAMINGS,
    )

    def __post_init__(self) -> None:
        if self.adoption_period is not None and self.adoption_period >= self.n_periods:
            raise ValueError(
                f"parameter 'adoption_period' = {self.adoption_period} must be below "
                f"n_periods = {self.n_periods} (valid: 1..{self.n_periods - 1}) so that "
                "some periods are treated"
            )
        if self.n_units * self.n_periods > 100_000_000:
            raise ValueError(
                f"n_units x n_periods = {self.n_units * self.n_periods:,} rows is over the limit of 100,000,000 rows"
            )

    @property
    def t0(self) -> int:
        return self.n_periods // 2 if self.adoption_period is None else self.adoption_period


class PanelLaw(NormalLaw):
    """y | (unit, time, x, d): Normal(a_unit + c*t + gap*treated*t + 1.1*x + d*effect, noise_sd).

    Holds one number per unit (a_i, treated_i, A_i) and the scalars -- never the panel.
    ``d`` is read from the query, so the same law answers counterfactual queries. In the
    ``pre_period`` framing the query has no ``d``: the law is that of Y(0) (d = 0).
    """

    def __init__(self, params: Params, a: np.ndarray, treated: np.ndarray, adopt: np.ndarray):
        self.p = params
        self.a, self.treated, self.adopt = a, treated, adopt

    def mu0(self, unit: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
        p = self.p
        out = self.a[unit] + p.trend * t + BETA_X * x
        if p.trend_gap:
            out += p.trend_gap * self.treated[unit] * t
        return out

    def effect(self, unit: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Effect of treating the row: tau + tau_x*x + tau_growth*max(t - A_unit, 0)."""
        p = self.p
        out = np.full(len(t), p.tau)
        if p.tau_x:
            out += p.tau_x * x
        if p.tau_growth:
            out += p.tau_growth * np.maximum(t - self.adopt[unit], 0)
        return out

    def mean(self, X: pd.DataFrame) -> np.ndarray:
        unit, t, x = column(X, "unit", np.int64), column(X, "time"), column(X, "x")
        if self.p.framing == "pre_period":
            return self.mu0(unit, t, x)
        return self.mu0(unit, t, x) + column(X, "d") * self.effect(unit, t, x)

    def sd(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.p.noise_sd)


class DidPanel(Generator):
    """Panel for difference-in-differences and two-way fixed effects.

    ``noise_sd`` defaults to 1.0, not the source's 0: with no noise y is an exact function
    of (unit, time, x, d), so the TWFE residuals and standard errors are identically zero
    and every likelihood-based score (NLL, CRPS, calibration) is degenerate -- the oracle's
    density is a point mass. sd 1 matches the scale of the unit effects and of x, so the
    effect tau = 0.5 is detectable but not trivial. ``noise_sd=0`` reproduces the source.
    """

    name = "did_panel"
    description = "Unit x period panel with a treatment adopted at T0 (DID / two-way fixed effects)"
    version = "1"
    Params = Params
    size_param = "n_units"

    roles = Roles(outcome="y", covariates=("x",), treatment="d", unit="unit", time="time")
    forecast_roles = Roles(outcome="y", covariates=("x",), unit="unit", time="time")  # pre_period: no treatment

    def _sample(self, rng: np.random.Generator) -> tuple[Observed, Truth]:
        p = self.params
        N, T, t0 = p.n_units, p.n_periods, p.t0
        a = rng.standard_normal(N)
        treated_u = rng.random(N) < p.treat_prob
        adopt = rng.integers(t0, T, size=N) if p.staggered else np.full(N, t0, dtype=np.int64)
        x = rng.standard_normal(N * T)
        e = rng.standard_normal(N * T) if p.noise_sd > 0 else None
        periods = np.arange(T)
        law = PanelLaw(p, a, treated_u.astype(np.int64), adopt)

        # mu0 on the N x T grid, in place: 1.1*x + a_i + c*t (+ gap*treated_i*t)
        mu0 = np.multiply(x, BETA_X)
        grid = mu0.reshape(N, T)
        grid += a[:, None]
        grid += p.trend * periods
        if p.trend_gap:
            grid[treated_u] += p.trend_gap * periods
        d = (treated_u[:, None] & (periods >= adopt[:, None])).reshape(-1)

        if p.tau_x or p.tau_growth:
            effect = np.full(N * T, p.tau)
            if p.tau_x:
                effect += p.tau_x * x
            if p.tau_growth:
                effect += p.tau_growth * np.maximum(periods - adopt[:, None], 0).reshape(-1)
            att = float(effect[d].mean()) if d.any() else p.tau
        else:
            effect, att = p.tau, p.tau
        mu1 = mu0 + effect
        if e is None:
            y0, y1 = mu0, mu1
        else:  # in place: e becomes y0, the same shock in both potential outcomes
            if p.noise_sd != 1.0:
                e *= p.noise_sd
            y0 = np.add(e, mu0, out=e)
            y1 = y0 + effect
        columns = {
            "unit": np.repeat(np.arange(N, dtype=np.int32), T),
            "time": np.tile(np.arange(T, dtype=np.int32), N),
            "x": x,
            "treated": np.repeat(treated_u.astype(np.int32), T),
        }
        read_only(mu0, mu1, y0, y1)
        if p.framing == "pre_period":
            # y is Y(0) on every row (a copy: the frame shares no memory with the truth)
            frame = pd.DataFrame({**columns, "y": np.array(y0)}, copy=False)
            split = np.where(d, "test", "train")
            truth = Truth(coefficients={"x": BETA_X}, mu0=mu0, mu1=mu1, y0=y0, y1=y1, **self._law_fields(law))
            return Observed(frame, self.forecast_roles, split), truth

        frame = pd.DataFrame({**columns, "d": d.astype(np.int32), "y": np.where(d, y1, y0)}, copy=False)
        truth = Truth(
            coefficients={"tau": att, "x": BETA_X},
            mu0=mu0,
            mu1=mu1,
            y0=y0,
            y1=y1,
            **self._law_fields(law),
        )
        # one label broadcast over all rows: 0 bytes instead of 20 per row, checked in O(1)
        split = np.broadcast_to(np.array("train"), (N * T,))
        return Observed(frame, self.roles, split), truth

    def _law_fields(self, law: PanelLaw) -> dict:
        """The conditional law's truth fields; none without noise (a point mass has no density)."""
        return law.truth_fields() if self.params.noise_sd > 0 else {}

    def canonical_analysis(self, frame: pd.DataFrame, roles: Roles) -> pd.DataFrame:
        """TWFE: y ~ d + x + unit FE + time FE, unit-clustered se; rows ``tau``, ``x``. Without
        a treatment role (the ``pre_period`` framing) y ~ x + unit FE + time FE: row ``x``."""
        req = roles.required
        return twfe(frame, roles.outcome, roles.treatment, list(roles.covariates), req("unit"), req("time"))
