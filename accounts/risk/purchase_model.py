"""The purchase model: how likely a customer is to order again soon, from its own rhythm
(docs/risk-method.md, "Purchase trend").

A modified BG/NBD model (Batislam, Denizel & Filiztekin 2007, after Fader, Hardie & Lee 2005):

- while a customer is still buying, it orders at its own rate λ (a Poisson process); the rates
  across the book follow a gamma distribution (shape ``r``, rate ``alpha`` in days);
- right after its first order and after each further order day, a customer may stop buying for
  good with its own probability p; the p across the book follow a beta distribution (``a``, ``b``).

From a customer's own history as of a date D — its repeat order days x, the days tx from its first
to its last order day, and the days T from its first order day to D — the model gives the
probability that it orders at least once in the next ``horizon`` days. A frequent buyer is judged
against its own high rate, but the more orders it has placed the more it has shown it does not
simply stop, so a long silence is not read the same way for a customer with three orders and one
with three hundred. No cap, no fixed "usual gap".

The four parameters are fitted by maximum likelihood on the order histories of the whole book as
of D (every customer with an order on or before D): what is learned reads no record after D and no
churn label, so it is as-of by construction and adapts to each company's rhythm. With too few
histories to fit, the model version's ``purchase_trend.purchase_model`` parameters are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

# Below this many customers with a repeat order the fit is not trusted: the defaults are used.
MIN_REPEAT_CUSTOMERS = 30
# Parameters are fitted on their logarithms within these bounds (e^-7 to e^9), which keeps every
# term finite whatever the data.
LOG_BOUNDS = (-7.0, 9.0)


@dataclass(frozen=True, slots=True)
class PurchaseModel:
    r: float
    alpha: float
    a: float
    b: float
    # Customers the parameters were fitted on (0: the version's defaults were used).
    fitted_on: int = 0

    def as_dict(self) -> dict:
        return {
            "r": round(self.r, 6),
            "alpha": round(self.alpha, 6),
            "a": round(self.a, 6),
            "b": round(self.b, 6),
            "fitted_on": self.fitted_on,
        }


def histories(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, tx, T) arrays from rows of (order days, days first→last order, days first order→D)."""
    data = np.asarray(list(rows), dtype=float).reshape(-1, 3)
    return data[:, 0] - 1.0, data[:, 1], data[:, 2]


def _negative_log_likelihood(log_params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> float:
    r, alpha, a, b = np.exp(log_params)
    rx = r + x
    common = (
        gammaln(rx)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x + 1)
        - gammaln(b)
        - gammaln(a + b + x + 1)
    )
    alive = -rx * np.log(alpha + t)
    dropped = np.log(a) - np.log(b + x) - rx * np.log(alpha + tx)
    return -float(np.mean(common + np.logaddexp(alive, dropped)))


def fit(x: np.ndarray, tx: np.ndarray, t: np.ndarray, *, default: PurchaseModel) -> PurchaseModel:
    """The maximum-likelihood parameters for these histories, or ``default`` when there are too few."""
    if int(np.count_nonzero(x > 0)) < MIN_REPEAT_CUSTOMERS:
        return default
    start = np.log([default.r, default.alpha, default.a, default.b])
    result = minimize(
        _negative_log_likelihood,
        np.clip(start, *LOG_BOUNDS),
        args=(x, tx, t),
        method="L-BFGS-B",
        bounds=[LOG_BOUNDS] * 4,
    )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        return default
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    return PurchaseModel(r=r, alpha=alpha, a=a, b=b, fitted_on=len(x))


def chance_of_order(model: PurchaseModel, x, tx, t, horizon_days: float) -> np.ndarray:
    """P(at least one order in the next ``horizon_days``), element-wise over the histories."""
    x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
    rx = model.r + x
    # P(alive) = 1 / (1 + a/(b+x) * ((alpha+T)/(alpha+tx))^(r+x)), computed in logs.
    log_odds_dropped = np.log(model.a) - np.log(model.b + x) + rx * (np.log(model.alpha + t) - np.log(model.alpha + tx))
    alive = 1.0 / (1.0 + np.exp(np.minimum(log_odds_dropped, 700.0)))
    # Still buying: the rate's posterior is gamma(r+x, alpha+T); P(no order in the horizon).
    silent = np.exp(rx * (np.log(model.alpha + t) - np.log(model.alpha + t + horizon_days)))
    return alive * (1.0 - silent)


def expected_gap_days(model: PurchaseModel, x, t) -> np.ndarray:
    """The customer's expected days between orders while it buys: (alpha + T) / (r + x)."""
    return (model.alpha + np.asarray(t, dtype=float)) / (model.r + np.asarray(x, dtype=float))
