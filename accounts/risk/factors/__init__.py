"""The seven factors: pure functions from a customer's raw data to risks (docs/risk-method.md, "Factors").

Each factor turns its signals into risks of 0-100 through the grids of the model's parameters and
combines them as a weighted mean over the signals that have data. A factor none of whose signals
has data returns ``risk=None`` ("missing"): the engine leaves it out of the score and counts it
against data completeness. Each signal at or above ``reasons.min_signal_risk`` proposes a reason,
with the points of factor risk it accounts for so the engine can rank reasons across factors.

- ``mix``: ``FactorResult`` and ``SignalMix``, the weighted mean of a factor's signals.
- ``purchase_trend``, ``relationship``, ``criteria``, ``quality``, ``supply``, ``price``,
  ``strategy``: one module per factor, each with its ``score`` function.
"""

from datetime import date

from ..parameters import RiskParameters
from ..signals import CustomerData
from . import criteria, price, purchase_trend, quality, relationship, strategy, supply
from .mix import MISSING, FactorResult

__all__ = ["MISSING", "FactorResult", "score_factors"]


def score_factors(d: CustomerData, as_of: date, parameters: RiskParameters) -> dict[str, FactorResult]:
    """Every factor of the model for one customer, in the order of ``FACTORS``."""
    reasons = parameters.reasons
    min_signal = reasons.min_signal_risk
    max_items = reasons.max_items
    return {
        "purchase_trend": purchase_trend.score(d, as_of, parameters.purchase_trend, min_signal),
        "relationship": relationship.score(d, as_of, parameters.relationship, min_signal, max_items),
        "criteria": criteria.score(d, as_of, parameters.criteria, max_items),
        "quality": quality.score(d, as_of, parameters.quality, min_signal),
        "supply": supply.score(d, as_of, parameters.supply, min_signal),
        "price": price.score(d, as_of, parameters.price, min_signal),
        "strategy": strategy.score(d, as_of, parameters.strategy, min_signal, max_items),
    }
