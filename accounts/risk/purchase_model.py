"""The purchase model: how likely a customer is to order in the coming months, from its own
rhythm and how long it has been silent (docs/risk-method.md, "Purchase trend").

A renewal model of the gaps between order days, with drop-out:

- while a customer buys, the gaps between its order days follow a gamma distribution with the
  customer's own mean gap μ and a shape k shared by the book (its *regularity*: k = 1 is the
  memoryless rhythm of a Poisson process, a large k a metronome);
- μ is the mean of the customer's last ``recent_gaps`` gaps, shrunk towards the book's typical
  gap μ₀ by ``prior_gaps`` gaps' worth (a customer with one order is judged by μ₀);
- after each order day a customer stops buying for good with a probability p shared by the book.

With s days since the last order and S(t) the probability that a gap lasts longer than t, the
chance of no order in the next H days is

    P(no order in H) = (p + (1 − p)·S(s + H)) / (p + (1 − p)·S(s))

— a monthly buyer silent for three months is very likely gone, an occasional buyer silent as long
is not; a frequent, regular buyer who has never stopped in a hundred orders has a small p working
for it; and a customer who ordered yesterday on a six-monthly rhythm will, rightly, place no order
for a while. There is no cap and no fixed "usual gap".

k, p and μ₀ are fitted on the order histories of the whole book as of the date (every customer
with an order on or before it): k from the spread of the customers' recent gaps, μ₀ as the
median of their mean gaps, p by maximum likelihood. Nothing after the date and no churn label is
read, so the model is as-of by construction and adapts to each company's rhythm. With too few
histories the model version's ``purchase_trend.purchase_model`` values are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import gammaincc

# Fewer customers than this with three or more recent gaps: regularity and drop-out are not fitted.
MIN_HISTORIES = 30
REGULARITY_BOUNDS = (0.3, 25.0)
DROPOUT_BOUNDS = (1e-5, 0.999)


@dataclass(frozen=True, slots=True)
class PurchaseModel:
    """The book's parameters: regularity k, drop-out p, typical gap μ₀ (days), shrinkage."""

    regularity: float
    dropout: float
    typical_gap_days: float
    prior_gaps: float
    # Customers the regularity and drop-out were fitted on (0: the version's values were used).
    fitted_on: int = 0


@dataclass(frozen=True, slots=True)
class Histories:
    """The book's order histories as of a date, one entry per customer with an order."""

    order_days: np.ndarray  # distinct order days
    silent_days: np.ndarray  # days since the last order day
    gaps: np.ndarray  # recent gaps counted (at most recent_gaps)
    gap_sum: np.ndarray  # their sum, days
    gap_squares: np.ndarray  # the sum of their squares

    @classmethod
    def of(cls, rows) -> Histories:
        """From rows of (order days, silent days, recent gaps, their sum, their sum of squares)."""
        data = np.asarray(list(rows), dtype=float).reshape(-1, 5)
        return cls(*(data[:, i] for i in range(5)))


def fit(
    h: Histories, *, default_gap_days: float, prior_gaps: float, regularity: float, dropout: float
) -> PurchaseModel:
    """The book's model as of the date; the given values stand in for what cannot be fitted."""
    with_gaps = h.gaps > 0
    typical = float(np.median(h.gap_sum[with_gaps] / h.gaps[with_gaps])) if with_gaps.any() else default_gap_days
    typical = max(typical, 1.0)
    spread = h.gaps >= 3
    if int(spread.sum()) < MIN_HISTORIES:
        return PurchaseModel(regularity, dropout, typical, prior_gaps)
    n, total, squares = h.gaps[spread], h.gap_sum[spread], h.gap_squares[spread]
    mean = total / n
    variance = np.maximum(squares - n * mean**2, 0.0) / (n - 1)
    cv2 = float(np.mean(variance / np.maximum(mean, 1.0) ** 2))
    k = float(np.clip(1.0 / cv2, *REGULARITY_BOUNDS)) if cv2 > 0 else REGULARITY_BOUNDS[1]
    survival = _survival(k, mean_gap(h, typical, prior_gaps), h.silent_days)
    continued = h.order_days - 1

    def negative_log_likelihood(p: float) -> float:
        return -float(np.sum(continued * np.log1p(-p) + np.log(p + (1 - p) * survival)))

    result = minimize_scalar(negative_log_likelihood, bounds=DROPOUT_BOUNDS, method="bounded")
    p = float(result.x) if np.isfinite(result.fun) else dropout
    return PurchaseModel(k, p, typical, prior_gaps, fitted_on=len(h.order_days))


def mean_gap(h: Histories, typical_gap_days: float, prior_gaps: float) -> np.ndarray:
    """Each customer's mean gap: its recent gaps, shrunk towards the book's typical gap."""
    return (h.gap_sum + prior_gaps * typical_gap_days) / (h.gaps + prior_gaps)


def _survival(k: float, mu: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(a gap lasts longer than t) for gamma gaps of shape k and mean mu."""
    return gammaincc(k, np.maximum(t, 0.0) * k / np.maximum(mu, 1.0))


def chance_of_no_order(model: PurchaseModel, h: Histories, horizon_days: float) -> np.ndarray:
    """P(no order in the next ``horizon_days``) for each customer."""
    mu = mean_gap(h, model.typical_gap_days, model.prior_gaps)
    p = model.dropout
    now = p + (1 - p) * _survival(model.regularity, mu, h.silent_days)
    later = p + (1 - p) * _survival(model.regularity, mu, h.silent_days + horizon_days)
    return np.clip(later / np.maximum(now, 1e-12), 0.0, 1.0)
