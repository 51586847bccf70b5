"""Purchase trend: revenue against a year earlier, and how overdue the next order is."""

from datetime import date

from ..parameters import PurchaseTrendParameters
from ..reasons import make_reason
from ..signals import CustomerData
from .mix import MISSING, FactorResult, SignalMix, iso


def score(d: CustomerData, as_of: date, p: PurchaseTrendParameters, min_signal_risk: float) -> FactorResult:
    orders = d.orders
    if not orders or not orders["order_count"]:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    recent, year_ago = float(orders["revenue_recent"]), float(orders["revenue_year_ago"])
    if year_ago > 0 and orders["orders_year_ago"] >= p.min_orders_year_ago:
        ratio = recent / year_ago
        mix.add(
            "revenue_trend",
            round(ratio, 3),
            p.revenue_ratio_grid.risk(ratio),
            lambda: make_reason(
                "revenue_down",
                window_days=p.window_days,
                revenue_recent=round(recent),
                revenue_year_ago=round(year_ago),
                change_pct=round((ratio - 1) * 100),
            ),
        )
    else:
        mix.add("revenue_trend", None, None)

    last_order_on = orders["last_order_on"]
    days_since = (as_of - last_order_on).days
    gap = d.order_gap
    assumed = not gap or gap["gaps"] < p.min_order_gaps
    usual_gap = max(float(p.default_order_gap_days if assumed else gap["median_days"]), 1.0)
    recency = days_since / usual_gap
    mix.add(
        "order_recency",
        round(recency, 2),
        p.order_recency_grid.risk(recency),
        lambda: make_reason(
            "order_overdue",
            days_since_last_order=days_since,
            usual_gap_days=round(usual_gap),
            last_order_on=iso(last_order_on),
            assumed_gap=assumed,
        ),
    )
    return mix.result()
