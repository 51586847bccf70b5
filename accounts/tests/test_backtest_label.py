"""The backtest's label and baselines on hand-made histories (docs/risk-method.md, "Backtest")."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from accounts.models import ChurnReason, CustomerStatus
from accounts.risk import purchase_model
from accounts.risk.backtest import (
    COLLAPSE,
    LAPSE,
    RECORDED_CHURN,
    Sample,
    bootstrap_auc,
    customers_with_churn,
    labels_as_of,
    lift_curve,
    roc_auc,
    roc_points,
)
from accounts.risk.evaluation import rfm_baseline, split_dates
from keyaccounts.tests import factories as f

AS_OF = date(2025, 6, 30)
HORIZON = 180


def days(n: int) -> date:
    """n days after the as-of date (before it when negative)."""
    return AS_OF + timedelta(days=n)


def orders(customer, *offsets, amount=10000):
    for n in offsets:
        f.OrderFactory(customer=customer, ordered_on=days(n), amount=Decimal(amount))


def label(customer):
    return labels_as_of(as_of=AS_OF, horizon_days=HORIZON, churn=customers_with_churn()).get(customer.pk)


@pytest.fixture
def make(alice):
    return lambda **fields: f.CustomerFactory(owner=alice, **{"customer_since": date(2020, 1, 1), **fields})


def test_a_customer_that_bought_and_then_stopped_has_lapsed(make):
    lapsed = make()
    orders(lapsed, -150, -90, -30)
    assert label(lapsed) == (1, LAPSE)


def test_a_customer_that_keeps_buying_is_retained(make):
    steady = make()
    orders(steady, -150, -90, -30, 30, 90, 150)
    assert label(steady) == (0, "")


def test_revenue_collapse_counts_only_for_a_customer_regular_enough_to_judge(make):
    regular = make()
    orders(regular, -150, -90, -30, amount=100000)
    orders(regular, 60, amount=10000)
    lumpy = make()
    orders(lumpy, -100, amount=300000)
    orders(lumpy, 60, amount=10000)

    assert label(regular) == (1, COLLAPSE)
    # One big order and then a small one: no rhythm to judge a collapse by.
    assert label(lumpy) == (0, "")


def test_a_customer_with_no_order_in_the_look_back_is_left_out_not_retained(make):
    dormant = make()
    orders(dormant, -400, -300)
    recovered = make()
    orders(recovered, -400, 40)

    assert label(dormant) is None
    assert label(recovered) is None


def test_a_new_customer_is_judged_from_its_first_order(make):
    new = make(customer_since=days(-20))
    orders(new, -20)
    returning = make(customer_since=days(-20))
    orders(returning, -20, 100)

    assert label(new) == (1, LAPSE)
    assert label(returning) == (0, "")


def test_recorded_churn_within_the_horizon_is_lost_unless_the_reason_is_uncontrollable(make):
    won_by_rival = make(status=CustomerStatus.CHURNED, churned_on=days(100), churn_reason=ChurnReason.COMPETITOR_PRICE)
    orders(won_by_rival, -60, 30, 60)
    moved_upstream = make(status=CustomerStatus.CHURNED, churned_on=days(100), churn_reason=ChurnReason.MOVED_UPSTREAM)
    orders(moved_upstream, -60)
    fading_before_upstream = make(
        status=CustomerStatus.CHURNED, churned_on=days(300), churn_reason=ChurnReason.MOVED_UPSTREAM
    )
    orders(fading_before_upstream, -60)
    later_controllable = make(
        status=CustomerStatus.CHURNED, churned_on=days(300), churn_reason=ChurnReason.COMPETITOR_PRICE
    )
    orders(later_controllable, -60, 30)

    assert label(won_by_rival) == (1, RECORDED_CHURN)
    assert label(moved_upstream) is None
    # Its orders fade before an uncontrollable churn within twice the horizon: not the score's to predict.
    assert label(fading_before_upstream) is None
    # A controllable churn past the horizon: what happened within it decides.
    assert label(later_controllable) == (0, "")


# Splitting the dates ---------------------------------------------------------------------------


def test_fitting_dates_end_their_horizon_before_the_first_test_date():
    split = split_dates(
        start=date(2024, 1, 1), end=date(2025, 12, 31), horizon_days=180, test_from=None, data_end=date(2026, 6, 1)
    )
    assert split.dropped == [date(2025, 12, 31)]
    assert split.test[0] >= date(2024, 12, 1)
    assert all(day + timedelta(days=180) < split.test[0] for day in split.fit)
    assert split.fit and split.fit[0] == date(2024, 1, 31)


# Measures and baselines ------------------------------------------------------------------------


def sample(customer_id, label, *, recency, orders, revenue, tenure, as_of=AS_OF):
    return Sample(
        as_of=as_of,
        customer_id=customer_id,
        score=0.0,
        band="green",
        factor_risks={},
        signal_risks={},
        tripwires=[],
        label=label,
        component=LAPSE if label else "",
        revenue_12m=revenue,
        churned_on=None,
        recency_days=recency,
        orders_12m=orders,
        revenue_12m_orders=revenue,
        tenure_days=tenure,
    )


def test_the_rfm_baseline_learns_on_earlier_samples_what_long_silence_means():
    # Earlier: the silent ones were lost. Later: the same pattern is read with the earlier fit.
    fit = [sample(i, 1, recency=200 + i, orders=1, revenue=1000, tenure=700) for i in range(10)]
    fit += [sample(100 + i, 0, recency=5 + i, orders=12, revenue=90000, tenure=700) for i in range(10)]
    test = [
        sample(1, 0, recency=3, orders=11, revenue=80000, tenure=900),
        sample(2, 1, recency=250, orders=1, revenue=900, tenure=900),
    ]

    risk = rfm_baseline(fit, test)

    assert risk[1] > risk[0]
    assert rfm_baseline(fit[:10], test) is None  # one class only: nothing to fit


def test_roc_points_and_lift_on_a_hand_worked_ranking():
    scores, labels = [0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]
    assert roc_auc(scores, labels) == 0.75
    assert roc_points(scores, labels) == [[0.0, 0.0], [0.0, 0.5], [0.5, 0.5], [0.5, 1.0], [1.0, 1.0]]
    # Top half: 1 of 2 lost, as the base rate; top quarter: 1 of 1, twice the base rate.
    assert lift_curve([(scores, labels)], steps=4) == [[0.25, 2.0], [0.5, 1.0], [0.75, 1.333], [1.0, 1.0]]


def test_the_bootstrap_interval_brackets_the_auc_and_resamples_whole_customers():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    scores = labels + rng.normal(0, 1, 400)
    clusters = np.arange(400) // 4  # four samples per customer
    low, high = bootstrap_auc(scores, labels, clusters, rounds=100)
    assert low < roc_auc(scores, labels) < high
    assert high - low < 0.2


# The purchase model ----------------------------------------------------------------------------


def histories(rows):
    return purchase_model.Histories.of(rows)


def test_a_long_silence_means_more_for_a_frequent_buyer_than_for_an_occasional_one():
    model = purchase_model.PurchaseModel(regularity=4.0, dropout=0.02, typical_gap_days=60, prior_gaps=1)
    # (order days, silent days, recent gaps, their sum, sum of squares)
    monthly = (13, 120, 12, 360, 12 * 30**2)
    half_yearly = (5, 120, 4, 720, 4 * 180**2)
    just_ordered = (13, 2, 12, 360, 12 * 30**2)

    no_order = purchase_model.chance_of_no_order(model, histories([monthly, half_yearly, just_ordered]), 180)

    assert no_order[0] > 0.9
    assert no_order[1] < 0.5
    assert no_order[2] < 0.05


def test_regular_rhythms_are_fitted_as_regular_and_drop_out_is_learned_from_those_who_stopped():
    rng = np.random.default_rng(3)
    rows = []
    for i in range(200):
        gaps = rng.gamma(9.0, 30 / 9.0, 12)  # regular monthly buyers (shape 9)
        stopped = i < 40
        silence = 400.0 if stopped else float(rng.uniform(0, 30))
        rows.append((13, silence, 12, float(gaps.sum()), float((gaps**2).sum())))

    model = purchase_model.fit(histories(rows), default_gap_days=90, prior_gaps=1, regularity=1.0, dropout=0.05)

    assert 5 < model.regularity < 15
    assert 0.005 < model.dropout < 0.05  # 40 stops over 2,600 order days
    assert model.fitted_on == 200
    few = purchase_model.fit(histories(rows[:10]), default_gap_days=90, prior_gaps=1, regularity=1.0, dropout=0.05)
    assert (few.regularity, few.dropout, few.fitted_on) == (1.0, 0.05, 0)
