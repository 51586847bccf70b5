"""The 2/8 rule: key accounts by trailing-12-month revenue, pins, monthly hysteresis, Pareto figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Customer, ParetoSnapshot, Tier
from accounts.risk.tiering import TierChange, tiering_run
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

JUNE_1 = date(2026, 6, 1)
JULY_1 = date(2026, 7, 1)


def customer_with_revenue(owner, amount: int, *, on: date = date(2026, 5, 1), **kwargs) -> Customer:
    customer = f.CustomerFactory(owner=owner, **kwargs)
    if amount:
        f.OrderFactory(customer=customer, ordered_on=on, amount=Decimal(amount))
    return customer


@pytest.fixture
def ten_customers(alice):
    """Ten customers with revenue 1,000 to 10,000: the top two are the key tier."""
    return [customer_with_revenue(alice, 1000 * (i + 1)) for i in range(10)]


def tiers(customers) -> list[str]:
    return [Customer.objects.get(pk=c.pk).tier for c in customers]


def test_the_top_20_percent_by_revenue_become_key_accounts(ten_customers):
    result = tiering_run(as_of=JUNE_1)

    assert tiers(ten_customers) == [Tier.REGULAR] * 8 + [Tier.KEY] * 2
    assert sorted(result.changes) == sorted(TierChange(c.pk, Tier.REGULAR, Tier.KEY) for c in ten_customers[8:])


def test_the_key_count_rounds_up(alice):
    customers = [customer_with_revenue(alice, 1000 * (i + 1)) for i in range(11)]

    assert tiering_run(as_of=JUNE_1).key_customers == 3
    assert tiers(customers).count(Tier.KEY) == 3


def test_revenue_counts_only_orders_in_the_trailing_12_months(alice, ten_customers):
    stale = customer_with_revenue(alice, 50000, on=JUNE_1 - timedelta(days=365))
    f.OrderFactory(customer=stale, ordered_on=JUNE_1 + timedelta(days=1), amount=Decimal(50000))

    tiering_run(as_of=JUNE_1)

    stale.refresh_from_db()
    assert (stale.tier, stale.revenue_12m) == (Tier.REGULAR, Decimal(0))


def test_a_pinned_customer_stays_key_whatever_its_revenue(alice, ten_customers):
    pinned = customer_with_revenue(alice, 10, tier=Tier.KEY, tier_pinned=True)

    result = tiering_run(as_of=JUNE_1)

    assert tiers([pinned]) == [Tier.KEY]
    assert all(change.customer_id != pinned.pk for change in result.changes)


def test_a_key_account_below_the_cut_off_stays_key_after_one_monthly_run(alice, ten_customers):
    slipping = customer_with_revenue(alice, 500, tier=Tier.KEY)

    result = tiering_run(as_of=JUNE_1)

    slipping.refresh_from_db()
    assert (slipping.tier, slipping.tier_months_below_cutoff) == (Tier.KEY, 1)
    assert all(change.customer_id != slipping.pk for change in result.changes)


def test_a_key_account_leaves_after_two_consecutive_monthly_runs_below(alice, ten_customers):
    slipping = customer_with_revenue(alice, 500, tier=Tier.KEY)
    tiering_run(as_of=JUNE_1)

    result = tiering_run(as_of=JULY_1)

    slipping.refresh_from_db()
    assert (slipping.tier, slipping.tier_months_below_cutoff) == (Tier.REGULAR, 2)
    assert TierChange(slipping.pk, Tier.KEY, Tier.REGULAR) in result.changes


def test_runs_within_the_same_month_count_only_once(alice, ten_customers):
    slipping = customer_with_revenue(alice, 500, tier=Tier.KEY)
    tiering_run(as_of=JUNE_1)
    tiering_run(as_of=JUNE_1)

    tiering_run(as_of=date(2026, 6, 20))

    slipping.refresh_from_db()
    assert (slipping.tier, slipping.tier_months_below_cutoff) == (Tier.KEY, 1)


def test_a_month_without_a_run_breaks_the_chain_of_months_below(alice, ten_customers):
    slipping = customer_with_revenue(alice, 500, tier=Tier.KEY)
    tiering_run(as_of=date(2026, 5, 1))

    tiering_run(as_of=JULY_1)

    slipping.refresh_from_db()
    assert (slipping.tier, slipping.tier_months_below_cutoff) == (Tier.KEY, 1)


def test_a_key_account_back_above_the_cut_off_resets_its_count(alice, ten_customers):
    recovering = customer_with_revenue(alice, 500, tier=Tier.KEY)
    tiering_run(as_of=JUNE_1)
    f.OrderFactory(customer=recovering, ordered_on=date(2026, 6, 15), amount=Decimal(20000))

    tiering_run(as_of=JULY_1)

    recovering.refresh_from_db()
    assert (recovering.tier, recovering.tier_months_below_cutoff) == (Tier.KEY, 0)


def test_running_a_date_twice_changes_nothing_the_second_time(ten_customers):
    tiering_run(as_of=JUNE_1)

    assert tiering_run(as_of=JUNE_1).changes == []
    assert ParetoSnapshot.objects.count() == 1


def test_the_pareto_snapshot_holds_the_cut_off_and_the_key_tiers_revenue_share(ten_customers):
    tiering_run(as_of=JUNE_1)

    pareto = ParetoSnapshot.objects.get(as_of=JUNE_1)
    assert (pareto.customers, pareto.key_customers) == (10, 2)
    assert (pareto.cutoff_revenue, pareto.total_revenue) == (Decimal(9000), Decimal(55000))
    assert pareto.key_revenue_share == pytest.approx(19000 / 55000, abs=1e-6)


def test_the_pareto_curve_runs_from_the_largest_customer_to_everyone(ten_customers):
    tiering_run(as_of=JUNE_1)

    curve = ParetoSnapshot.objects.get(as_of=JUNE_1).curve
    assert (curve[0], curve[-1]) == ([0.0, 0.0], [1.0, 1.0])
    assert [0.2, pytest.approx(19000 / 55000, abs=1e-4)] in curve
    assert all(a[1] <= b[1] for a, b in zip(curve, curve[1:], strict=False))


def test_a_customer_without_revenue_is_never_key_by_rank(alice):
    earning = customer_with_revenue(alice, 1000)
    idle = [customer_with_revenue(alice, 0) for _ in range(9)]

    tiering_run(as_of=JUNE_1)

    assert tiers([earning, *idle]) == [Tier.KEY] + [Tier.REGULAR] * 9


def test_a_future_date_is_rejected_for_tiering(db):
    with pytest.raises(ValidationError, match="after today"):
        tiering_run(as_of=business_today() + timedelta(days=1))
