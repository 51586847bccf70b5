"""Purchase trend: revenue against a year earlier, and the chance the customer orders again soon
(the purchase model, ``accounts/risk/purchase_model.py``)."""

from datetime import date, timedelta

from ..parameters import PurchaseTrendParameters
from ..reasons import make_reason
from ..signals import CustomerData
from .mix import MISSING, FactorResult, SignalMix, iso

# Below this chance of no order in the horizon there is nothing to tell the account manager: the
# signal still counts in the score, but proposes no "no order for n days" reason.
REASON_MIN_LAPSE = 0.25


def score(d: CustomerData, as_of: date, p: PurchaseTrendParameters, min_signal_risk: float) -> FactorResult:
    orders = d.orders
    if not orders or not orders.order_count:
        return MISSING
    mix = SignalMix(p.signal_weights, min_signal_risk)
    recent, year_ago = float(orders.revenue_recent), float(orders.revenue_year_ago)
    purchase = d.purchase
    # The year-earlier window counts only when it lies wholly after the customer's first order:
    # a window before its data begins is no data, not zero revenue.
    year_ago_from = as_of - timedelta(days=365 + p.window_days)
    covered = purchase is not None and purchase.first_order_on <= year_ago_from
    if covered and year_ago > 0 and orders.orders_year_ago >= p.min_orders_year_ago:
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

    if purchase is None:
        mix.add("order_lapse", None, None)
        mix.add("account_size", None, None)
        return mix.result()
    last_order_on = orders.last_order_on
    lapse = purchase.no_order_chance
    mix.add(
        "order_lapse",
        round(lapse, 3),
        p.order_lapse_grid.risk(lapse),
        None
        if lapse < REASON_MIN_LAPSE
        else lambda: make_reason(
            "order_overdue",
            days_since_last_order=(as_of - last_order_on).days,
            usual_gap_days=round(purchase.usual_gap_days),
            last_order_on=iso(last_order_on),
            chance_pct=round((1 - lapse) * 100),
            horizon_days=purchase.horizon_days,
        ),
    )
    typical = purchase.typical_revenue_12m
    if typical > 0:
        size = purchase.revenue_12m / typical
        mix.add(
            "account_size",
            round(size, 3),
            p.account_size_grid.risk(size),
            lambda: make_reason(
                "small_account", revenue_12m=round(purchase.revenue_12m), typical_revenue_12m=round(typical)
            ),
        )
    else:
        mix.add("account_size", None, None)
    return mix.result()
