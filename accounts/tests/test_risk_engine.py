"""The risk engine: model versions, completeness, bands, hysteresis, overrides, trend and re-runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import RiskBand, RiskModelVersion, RiskOverride, RiskSnapshot
from accounts.risk.bands import settle_band
from accounts.risk.defaults import DEFAULT_WEIGHTS
from accounts.risk.engine import RiskModelError, active_model_version, risk_recompute, validate_model
from accounts.tests.test_risk_factors import AS_OF, at, days_before, order, score
from complaints.models import Severity
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from relationships.models import BuyingRole, Department

THRESHOLDS = {"amber": 40, "red": 65, "margin": 5}


@pytest.fixture
def customer(customer):
    """The shared customer with an account plan, so that its strategy factor has data."""
    f.AccountPlanFactory(customer=customer, reviewed_on=days_before(180))
    return customer


def fixed_score_model(risk: float, version: int) -> RiskModelVersion:
    """A model whose score is exactly ``risk`` for any customer with an account plan: strategy
    only, one constant signal; bands at 40 and 65."""
    return RiskModelVersion.objects.create(
        version=version,
        weights={"strategy": 100},
        parameters={
            "bands": {"amber": THRESHOLDS["amber"], "red": THRESHOLDS["red"]},
            "strategy": {
                "signal_weights": {"relationship_level": 1, "account_plan": 0, "open_needs": 0, "incentives": 0},
                "relationship_level_risk": {"1": risk, "2": risk, "3": risk},
            },
        },
    )


def populate(customer, *, user) -> None:
    """A record in every table the scorer reads, plus earlier snapshots and an override."""
    rival = f.CompetitorFactory()
    for day in (days_before(400), days_before(200), days_before(40)):
        f.DeliveryLineFactory(order=order(customer, day), promised_on=day + timedelta(days=10))
    f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER, left_on=days_before(60))
    contact = f.ContactFactory(customer=customer, department=Department.TECHNICAL, buying_role=BuyingRole.USER)
    f.InteractionFactory(customer=customer, occurred_on=days_before(20)).contacts.add(contact)
    f.CadenceFactory(customer=customer)
    f.PurchaseCriterionFactory(customer=customer, we_meet=False, competitor_meets=True, competitor=rival, importance=5)
    f.TicketFactory(
        customer=customer, severity=Severity.CRITICAL, opened_at=at(days_before(3)), response_due_at=at(days_before(2))
    )
    f.PriceBenchmarkFactory(customer=customer, observed_on=days_before(5), competitor=rival, competitor_quote=90)
    f.AccountPlanFactory(customer=customer, reviewed_on=days_before(500))
    f.ProductNeedFactory(customer=customer)
    f.IncentiveFactory(customer=customer)
    RiskOverride.objects.create(
        customer=customer,
        band=RiskBand.GREEN,
        reason="Agreed",
        set_by=user,
        starts_on=days_before(3),
        expires_on=AS_OF + timedelta(days=20),
    )


def snapshot_fields(snapshot: RiskSnapshot) -> dict:
    return {
        field.name: getattr(snapshot, field.attname)
        for field in RiskSnapshot._meta.concrete_fields
        if field.name not in ("id", "computed_at")
    }


# Model versions ------------------------------------------------------------------------------


def test_the_first_use_creates_version_1_from_the_defaults(db):
    version = active_model_version()

    assert (version.version, version.is_active, version.weights) == (1, True, DEFAULT_WEIGHTS)


def test_weights_that_do_not_add_up_to_more_than_zero_are_rejected(db):
    with pytest.raises(RiskModelError, match="more than zero"):
        validate_model(weights={"price": 0, "supply": 0}, parameters={})


def test_an_active_version_naming_an_unknown_factor_is_rejected(db):
    RiskModelVersion.objects.create(version=7, is_active=True, weights={"purchase_trend": 50, "gossip": 50})

    with pytest.raises(RiskModelError, match="gossip"):
        active_model_version()


def test_a_grid_with_a_risk_above_100_is_rejected(db):
    with pytest.raises(RiskModelError, match="price_ratio_grid"):
        validate_model(weights=DEFAULT_WEIGHTS, parameters={"price": {"price_ratio_grid": [[1, 0], [2, 150]]}})


def test_a_future_date_is_rejected(customer):
    tomorrow = business_today() + timedelta(days=1)

    with pytest.raises(ValidationError, match="after today"):
        risk_recompute(as_of=tomorrow)
    assert not RiskSnapshot.objects.exists()


# Completeness and grey -----------------------------------------------------------------------


def test_completeness_is_the_weight_of_the_factors_with_data(customer):
    delivered = order(customer, days_before(30))
    f.DeliveryLineFactory(order=delivered, promised_on=days_before(20))
    f.ContactFactory(customer=customer)

    snapshot = score(customer)

    # Purchase trend, relationship, supply and strategy (the plan) have data; quality has none
    # (no ticket ever), criteria and price neither.
    weights = DEFAULT_WEIGHTS
    expected = sum(weights[name] for name in ("purchase_trend", "relationship", "supply", "strategy"))
    assert snapshot.completeness == pytest.approx(expected / sum(weights.values()))
    assert snapshot.factors["criteria"]["risk"] is None
    assert snapshot.factors["quality"]["risk"] is None
    assert snapshot.computed_band != RiskBand.GREY


def test_an_account_without_orders_below_60_percent_completeness_is_grey_but_keeps_its_score(alice):
    contacts_only = f.CustomerFactory(owner=alice)
    f.ContactFactory(customer=contacts_only)

    snapshot = score(contacts_only)

    assert snapshot.completeness < 0.6
    assert snapshot.computed_band == snapshot.band == RiskBand.GREY
    assert snapshot.score is not None


def test_an_account_with_orders_is_banded_whatever_its_completeness(alice):
    orders_only = f.CustomerFactory(owner=alice)
    order(orders_only, days_before(30))

    snapshot = score(orders_only)

    assert snapshot.completeness < 0.6
    assert snapshot.computed_band != RiskBand.GREY


def test_a_customer_with_no_data_at_all_is_grey(alice):
    bare = f.CustomerFactory(owner=alice)

    snapshot = score(bare)

    assert snapshot.band == RiskBand.GREY
    assert snapshot.tripwires == []


def test_a_trip_wire_shows_through_insufficient_data(alice):
    no_orders = f.CustomerFactory(owner=alice)
    f.ContactFactory(customer=no_orders, buying_role=BuyingRole.DECISION_MAKER, left_on=days_before(45))

    snapshot = score(no_orders)

    assert snapshot.completeness < 0.6
    assert snapshot.tripwires == ["decision_maker_gone"]
    assert snapshot.band == RiskBand.AMBER


def test_customers_not_yet_or_no_longer_customers_on_the_date_are_not_scored(alice):
    later = f.CustomerFactory(owner=alice, customer_since=AS_OF + timedelta(days=1))
    gone = f.CustomerFactory(owner=alice, status="churned", churned_on=AS_OF, churn_reason="competitor_price")
    churned_after = f.CustomerFactory(
        owner=alice, status="churned", churned_on=AS_OF + timedelta(days=5), churn_reason="competitor_price"
    )

    result = risk_recompute(as_of=AS_OF)

    assert result.customers_scored == 1
    assert list(RiskSnapshot.objects.values_list("customer_id", flat=True)) == [churned_after.pk]
    assert later.pk != gone.pk


# Bands and hysteresis ------------------------------------------------------------------------


def test_one_night_just_past_a_threshold_keeps_the_band(customer):
    risk_recompute(as_of=AS_OF - timedelta(days=1), customer_ids=[customer.pk], model_version=fixed_score_model(30, 2))
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(42, 3))

    snapshot = RiskSnapshot.objects.get(customer=customer, as_of=AS_OF)
    assert (snapshot.score, snapshot.computed_band) == (42, RiskBand.GREEN)


def test_the_second_night_past_a_threshold_changes_the_band(customer):
    just_past = fixed_score_model(42, 3)
    risk_recompute(as_of=AS_OF - timedelta(days=2), customer_ids=[customer.pk], model_version=fixed_score_model(30, 2))
    risk_recompute(as_of=AS_OF - timedelta(days=1), customer_ids=[customer.pk], model_version=just_past)
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=just_past)

    assert RiskSnapshot.objects.get(customer=customer, as_of=AS_OF).computed_band == RiskBand.AMBER


def test_a_score_past_a_threshold_by_5_points_changes_the_band_at_once(customer):
    risk_recompute(as_of=AS_OF - timedelta(days=1), customer_ids=[customer.pk], model_version=fixed_score_model(30, 2))
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(45, 3))

    assert RiskSnapshot.objects.get(customer=customer, as_of=AS_OF).computed_band == RiskBand.AMBER


def test_a_falling_score_just_below_a_threshold_keeps_the_band_for_a_night():
    assert settle_band(score=62, previous_band=RiskBand.RED, previous_score=70, **THRESHOLDS) == RiskBand.RED
    assert settle_band(score=62, previous_band=RiskBand.RED, previous_score=63, **THRESHOLDS) == RiskBand.AMBER


def test_a_jump_from_green_to_far_past_red_goes_straight_to_red():
    assert settle_band(score=80, previous_band=RiskBand.GREEN, previous_score=20, **THRESHOLDS) == RiskBand.RED


def test_without_a_recent_snapshot_the_score_alone_decides_the_band(customer):
    risk_recompute(as_of=AS_OF - timedelta(days=30), customer_ids=[customer.pk], model_version=fixed_score_model(30, 2))
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(42, 3))

    assert RiskSnapshot.objects.get(customer=customer, as_of=AS_OF).computed_band == RiskBand.AMBER


# Overrides and trend -------------------------------------------------------------------------


def test_an_override_in_force_sets_the_band_while_the_computed_band_stays(customer, alice):
    RiskOverride.objects.create(
        customer=customer,
        band=RiskBand.RED,
        reason="Buyer hinted at a tender",
        set_by=alice,
        starts_on=days_before(5),
        expires_on=AS_OF + timedelta(days=25),
    )
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(10, 2))

    snapshot = RiskSnapshot.objects.get(customer=customer, as_of=AS_OF)
    assert (snapshot.band, snapshot.computed_band) == (RiskBand.RED, RiskBand.GREEN)


def test_an_override_that_expired_by_the_date_no_longer_applies(customer, alice):
    RiskOverride.objects.create(
        customer=customer,
        band=RiskBand.RED,
        reason="Old worry",
        set_by=alice,
        starts_on=days_before(40),
        expires_on=AS_OF,
    )
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(10, 2))

    assert RiskSnapshot.objects.get(customer=customer, as_of=AS_OF).band == RiskBand.GREEN


def test_trend_compares_with_the_snapshots_7_and_30_days_earlier(customer):
    risk_recompute(as_of=AS_OF - timedelta(days=30), customer_ids=[customer.pk], model_version=fixed_score_model(20, 2))
    risk_recompute(as_of=AS_OF - timedelta(days=7), customer_ids=[customer.pk], model_version=fixed_score_model(50, 3))
    risk_recompute(as_of=AS_OF, customer_ids=[customer.pk], model_version=fixed_score_model(45, 4))

    snapshot = RiskSnapshot.objects.get(customer=customer, as_of=AS_OF)
    assert (snapshot.score_change_7d, snapshot.score_change_30d) == (-5, 25)


def test_trend_is_empty_without_earlier_snapshots(customer):
    snapshot = score(customer)

    assert (snapshot.score_change_7d, snapshot.score_change_30d) == (None, None)


# Re-runs and scale ---------------------------------------------------------------------------


def test_running_the_same_date_twice_gives_identical_snapshots(customer, alice):
    populate(customer, user=alice)
    risk_recompute(as_of=AS_OF)
    first = snapshot_fields(RiskSnapshot.objects.get(customer=customer))

    risk_recompute(as_of=AS_OF)

    assert RiskSnapshot.objects.count() == 1
    assert snapshot_fields(RiskSnapshot.objects.get(customer=customer)) == first


def test_a_later_date_leaves_an_earlier_snapshot_alone(customer, alice):
    populate(customer, user=alice)
    earlier = AS_OF - timedelta(days=1)
    risk_recompute(as_of=earlier)
    before = snapshot_fields(RiskSnapshot.objects.get(customer=customer, as_of=earlier))

    f.ContactFactory(customer=customer, buying_role=BuyingRole.DECISION_MAKER, joined_on=AS_OF)
    risk_recompute(as_of=AS_OF)

    assert snapshot_fields(RiskSnapshot.objects.get(customer=customer, as_of=earlier)) == before
    assert RiskSnapshot.objects.filter(customer=customer).count() == 2


def test_the_snapshot_records_the_model_version_tier_and_trailing_revenue(customer):
    order(customer, days_before(100), 3000)
    order(customer, days_before(400), 5000)

    snapshot = score(customer)

    assert snapshot.model_version == active_model_version()
    assert (snapshot.tier, snapshot.revenue_12m) == (customer.tier, Decimal("3000.00"))


def test_the_result_counts_customers_per_displayed_band(customer, oscars_customer, alice):
    result = risk_recompute(as_of=AS_OF)

    assert result.customers_scored == 2
    assert result.bands == {RiskBand.GREY: 2}
    assert result.model_version.version == 1


def test_progress_is_reported_up_to_the_total(customer, oscars_customer):
    calls = []

    risk_recompute(as_of=AS_OF, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (2, 2)


def test_the_number_of_queries_does_not_grow_with_the_number_of_customers(alice):
    def queries_for(count: int) -> int:
        customers = [f.CustomerFactory(owner=alice, peak_months=[5]) for _ in range(count)]
        for customer in customers:
            populate(customer, user=alice)
        ids = [c.pk for c in customers]
        risk_recompute(as_of=AS_OF - timedelta(days=7), customer_ids=ids)
        # A date scored for the first time (the nightly case), then the same date again.
        RiskSnapshot.objects.filter(as_of=AS_OF).delete()
        with CaptureQueriesContext(connection) as first:
            risk_recompute(as_of=AS_OF, customer_ids=ids)
        with CaptureQueriesContext(connection) as again:
            risk_recompute(as_of=AS_OF, customer_ids=ids)
        assert RiskSnapshot.objects.filter(as_of=AS_OF, customer_id__in=ids).count() == count
        return len(first), len(again)

    assert queries_for(5) == queries_for(50)


def test_scoring_in_batches_of_one_stores_the_same_snapshots(
    customer, oscars_customer, alice, monkeypatch, postgres_only
):
    from accounts.risk import engine

    populate(customer, user=alice)
    populate(oscars_customer, user=alice)
    engine.risk_recompute(as_of=AS_OF)
    sequential = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    RiskSnapshot.objects.all().delete()
    monkeypatch.setattr(engine, "BATCH_SIZE", 1)
    engine.risk_recompute(as_of=AS_OF)
    parallel = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    assert parallel == sequential


@pytest.mark.django_db(transaction=True)
def test_reading_over_several_connections_in_one_snapshot_stores_the_same_snapshots(
    customer, oscars_customer, alice, monkeypatch, postgres_only
):
    from accounts.risk import plumbing

    populate(customer, user=alice)
    populate(oscars_customer, user=alice)
    risk_recompute(as_of=AS_OF)
    one_connection = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    RiskSnapshot.objects.all().delete()

    shared = []
    real_run = plumbing.run_on_connections

    def run_and_note(jobs, snapshot_id, connections):
        shared.append((snapshot_id, connections))
        real_run(jobs, snapshot_id, connections)

    monkeypatch.setattr(plumbing, "PARALLEL_READ_MIN_CUSTOMERS", 1)
    monkeypatch.setattr(plumbing, "run_on_connections", run_and_note)
    risk_recompute(as_of=AS_OF)
    several = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    assert len(shared) == 1 and shared[0][0] and shared[0][1] >= 2
    assert several == one_connection and len(several) == 2


@pytest.mark.django_db(transaction=True)
def test_with_more_connections_than_two_no_loader_files_its_rows_before_the_customers_are_read(
    customer, oscars_customer, alice, monkeypatch, postgres_only
):
    """Four connections: while the customers are still being read, the third and fourth take
    later loaders; they wait for the customers instead of filing rows for customers not there."""
    import time

    from accounts.risk import loaders, plumbing

    populate(customer, user=alice)
    populate(oscars_customer, user=alice)
    risk_recompute(as_of=AS_OF)
    one_connection = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    RiskSnapshot.objects.all().delete()

    real_load_customers = loaders.load_customers

    def slow_customers(*args, **kwargs):
        time.sleep(1)  # the other connections have taken their first jobs by now
        return real_load_customers(*args, **kwargs)

    monkeypatch.setattr(plumbing, "PARALLEL_READ_MIN_CUSTOMERS", 1)
    monkeypatch.setattr(plumbing, "read_connections", lambda: 4)
    monkeypatch.setattr(loaders, "load_customers", slow_customers)
    risk_recompute(as_of=AS_OF)
    four = sorted((snapshot_fields(s) for s in RiskSnapshot.objects.all()), key=lambda s: s["customer"])
    assert four == one_connection and len(four) == 2


@pytest.mark.django_db(transaction=True)
def test_a_loader_failing_on_another_connection_fails_the_run_and_writes_nothing(
    customer, alice, monkeypatch, postgres_only
):
    from accounts.risk import loaders, plumbing

    populate(customer, user=alice)

    def broken(*args, **kwargs):
        raise RuntimeError("the contacts could not be read")

    monkeypatch.setattr(plumbing, "PARALLEL_READ_MIN_CUSTOMERS", 1)
    monkeypatch.setattr(loaders, "load_contacts", broken)
    with pytest.raises(RuntimeError, match="contacts could not be read"):
        risk_recompute(as_of=AS_OF)
    assert not RiskSnapshot.objects.exists()


def test_the_snapshot_copy_text_is_what_the_general_copy_writes(customer, alice, monkeypatch):
    from django.utils import timezone

    from accounts.risk import engine, plumbing
    from keyaccounts.bulk import copy_rows

    populate(customer, user=alice)
    # A name with the characters COPY text must escape ends up in a reason.
    f.ProductNeedFactory(customer=customer, description='Tab\there \\ "quoted"\nline')
    silent = f.CustomerFactory(owner=alice)  # next to no data, no trend
    snapshots = [
        {f.attname: getattr(s, f.attname) for f in RiskSnapshot._meta.concrete_fields if not f.primary_key}
        for s in engine.risk_score(as_of=AS_OF, customer_ids=[customer.pk, silent.pk])
    ]
    assert len(snapshots) == 2 and all(s["score_change_7d"] is None for s in snapshots)
    needs = [need for s in snapshots for r in s["reasons"] for need in r["params"].get("needs", [])]
    assert 'Tab\there \\ "quoted"\nline' in needs
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert plumbing.snapshot_copy_rows(snapshots) == copy_rows(RiskSnapshot, snapshots).encode()


@pytest.mark.django_db(transaction=True)
def test_customers_failing_to_load_while_the_deliveries_are_read_fails_the_run_without_waiting(
    customer, alice, monkeypatch, postgres_only
):
    from accounts.risk import loaders

    populate(customer, user=alice)

    def broken(scope, as_of):
        raise RuntimeError("the customers could not be read")

    monkeypatch.setattr(loaders, "load_customers", broken)
    with pytest.raises(RuntimeError, match="customers could not be read"):
        risk_recompute(as_of=AS_OF)
    assert not RiskSnapshot.objects.exists()
