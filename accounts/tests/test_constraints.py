"""Every database constraint of the accounts app, broken one at a time.

Each case starts from a valid row made by the factories and breaks exactly one invariant. The
database must refuse it (IntegrityError) and so must `full_clean()`, with the constraint's own
message, so that forms and imports report the problem before it reaches the database.

`assert_constraint_enforced` and the meta-test at the bottom serve the relationships and
complaints apps too: a constraint added to any of the three apps without a case here fails.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import (
    MAX_OVERRIDE_DAYS,
    Alert,
    AlertKind,
    ChurnReason,
    CustomerStatus,
    ParetoSnapshot,
    RiskBand,
    RiskOverride,
    RiskRun,
    RiskSnapshot,
)
from keyaccounts.tests import factories as f

CONSTRAINED_APPS = ("accounts", "relationships", "complaints")

# constraint name -> (build a row that breaks it, field whose own validation speaks first or None)
Case = tuple[Callable[[], models.Model], str | None]


def case_registry() -> tuple[dict[str, Case], Callable]:
    """A table of cases and the decorator that fills it; each app's constraint tests keep one."""
    cases: dict[str, Case] = {}

    def breaks(constraint_name: str, *, field: str | None = None):
        """Register a builder of a row that breaks `constraint_name` and nothing else.

        `field` names the field whose own validation (choices, blank) reports the problem first;
        Django then skips the constraint in `full_clean()`, so the user sees the field's message.
        """

        def register(build: Callable[[], models.Model]) -> Callable[[], models.Model]:
            assert constraint_name not in cases, f"two cases for {constraint_name}"
            cases[constraint_name] = (build, field)
            return build

        return register

    return cases, breaks


CASES, breaks = case_registry()


def constraint_named(model: type[models.Model], name: str) -> models.BaseConstraint:
    return next(c for c in model._meta.constraints if c.name == name)


def expected_message(obj: models.Model, constraint: models.BaseConstraint) -> str:
    """The message `full_clean()` should show for this constraint."""
    if (
        isinstance(constraint, models.UniqueConstraint)
        and constraint.condition is None
        and constraint.violation_error_message == constraint.default_violation_error_message
    ):
        # Django keeps the classic "… with this X and Y already exists." for plain unique fields.
        return ValidationError(obj.unique_error_message(type(obj), constraint.fields)).messages[0]
    return str(constraint.get_violation_error_message())


def assert_constraint_enforced(obj: models.Model, constraint_name: str, field: str | None = None) -> None:
    """`obj` breaks exactly `constraint_name`: full_clean and the database both refuse it."""
    model = type(obj)
    constraint = constraint_named(model, constraint_name)

    with pytest.raises(ValidationError) as invalid:
        obj.full_clean()
    if field is None:
        assert invalid.value.messages == [expected_message(obj, constraint)]
    else:
        assert set(invalid.value.message_dict) == {field}

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        obj.save()
    error = str(refused.value)
    if isinstance(constraint, models.CheckConstraint):
        assert constraint_name in error
    else:
        # PostgreSQL names the index; SQLite names the columns (or the partial index).
        columns = [model._meta.get_field(name).column for name in constraint.fields]
        assert constraint_name in error or all(column in error for column in columns)


# Customer ---------------------------------------------------------------------------------------


@breaks("customer_churn_fields_match_status")
def churned_customer_without_date_or_reason():
    customer = f.CustomerFactory()
    customer.status = CustomerStatus.CHURNED
    return customer


@breaks("customer_churned_after_since")
def customer_churned_before_it_became_one():
    customer = f.CustomerFactory(customer_since=date(2020, 1, 1))
    customer.status = CustomerStatus.CHURNED
    customer.churn_reason = ChurnReason.COMPETITOR_PRICE
    customer.churned_on = date(2019, 12, 31)
    return customer


@breaks("backtestrun_end_after_start")
def model_quality_run_ending_before_it_starts():
    run = f.BacktestRunFactory()
    run.start, run.end = date(2026, 5, 31), date(2025, 5, 31)
    return run


@breaks("customer_backup_owner_not_owner")
def customer_backed_up_by_its_owner():
    customer = f.CustomerFactory()
    customer.backup_owner = customer.owner
    return customer


@breaks("customer_relationship_level_range", field="relationship_level")
def customer_with_relationship_level_four():
    customer = f.CustomerFactory()
    customer.relationship_level = 4
    return customer


@breaks("customer_churn_reason_valid", field="churn_reason")
def customer_churned_for_an_unknown_reason():
    customer = f.CustomerFactory()
    customer.status = CustomerStatus.CHURNED
    customer.churned_on = date(2025, 6, 30)
    customer.churn_reason = "bad_luck"
    return customer


@breaks("customer_tier_valid", field="tier")
def customer_in_an_unknown_tier():
    customer = f.CustomerFactory()
    customer.tier = "gold"
    return customer


@breaks("customer_revenue_12m_non_negative")
def customer_with_negative_revenue():
    customer = f.CustomerFactory()
    customer.revenue_12m = Decimal("-0.01")
    return customer


# Orders and deliveries --------------------------------------------------------------------------


@breaks("order_amount_non_negative")
def order_with_negative_amount():
    order = f.OrderFactory()
    order.amount = Decimal("-1.00")
    return order


@breaks("deliveryline_unique_line_no")
def second_delivery_line_with_the_same_number():
    first = f.DeliveryLineFactory(line_no=1)
    second = f.DeliveryLineFactory(order=first.order, line_no=2)
    second.line_no = 1
    return second


@breaks("deliveryline_quantity_ordered_positive")
def delivery_line_ordering_nothing():
    line = f.DeliveryLineFactory(quantity_delivered=Decimal("0"))
    line.quantity_ordered = Decimal("0")
    return line


@breaks("deliveryline_quantity_delivered_non_negative")
def delivery_line_with_negative_delivery():
    line = f.DeliveryLineFactory()
    line.quantity_delivered = Decimal("-1")
    return line


@breaks("deliveryline_delivered_quantity_needs_date")
def delivery_line_delivered_without_a_date():
    line = f.DeliveryLineFactory(quantity_delivered=Decimal("100"))
    line.delivered_on = None
    return line


# Price benchmarks and purchase criteria ---------------------------------------------------------


@breaks("pricebenchmark_unique_per_day")
def second_benchmark_for_the_same_product_and_day():
    first = f.PriceBenchmarkFactory(observed_on=date(2026, 1, 1))
    second = f.PriceBenchmarkFactory(customer=first.customer, product=first.product, observed_on=date(2026, 1, 2))
    second.observed_on = first.observed_on
    return second


@breaks("pricebenchmark_our_price_positive")
def benchmark_with_free_price():
    benchmark = f.PriceBenchmarkFactory()
    benchmark.our_price = Decimal("0")
    return benchmark


@breaks("pricebenchmark_market_price_positive")
def benchmark_with_free_market():
    benchmark = f.PriceBenchmarkFactory()
    benchmark.market_average_price = Decimal("0")
    return benchmark


@breaks("pricebenchmark_quote_needs_competitor")
def benchmark_with_an_anonymous_quote():
    benchmark = f.PriceBenchmarkFactory()
    benchmark.competitor_quote = Decimal("90.00")
    return benchmark


@breaks("purchasecriterion_unique_assessment")
def second_assessment_of_a_criterion_on_the_same_day():
    first = f.PurchaseCriterionFactory(criterion="Lead time ≤ 2 weeks", assessed_on=date(2026, 1, 1))
    second = f.PurchaseCriterionFactory(
        customer=first.customer, criterion=first.criterion, assessed_on=date(2026, 2, 1)
    )
    second.assessed_on = first.assessed_on
    return second


@breaks("purchasecriterion_importance_range", field="importance")
def criterion_of_importance_six():
    criterion = f.PurchaseCriterionFactory()
    criterion.importance = 6
    return criterion


@breaks("purchasecriterion_competitor_named")
def criterion_met_by_an_unnamed_competitor():
    criterion = f.PurchaseCriterionFactory()
    criterion.competitor_meets = True
    return criterion


# Strategy, needs, incentives --------------------------------------------------------------------


@breaks("accountplan_next_review_after_review")
def plan_reviewed_again_the_same_day():
    plan = f.AccountPlanFactory(reviewed_on=date(2026, 1, 1))
    plan.next_review_on = plan.reviewed_on
    return plan


@breaks("productneed_met_on_matches_status")
def need_met_without_a_date():
    need = f.ProductNeedFactory()
    need.status = "met"
    return need


@breaks("productneed_met_after_identified")
def need_met_before_it_was_identified():
    need = f.ProductNeedFactory(identified_on=date(2026, 1, 1))
    need.status = "met"
    need.met_on = date(2025, 12, 31)
    return need


@breaks("productneed_status_valid", field="status")
def need_in_an_unknown_status():
    need = f.ProductNeedFactory()
    need.status = "forgotten"
    return need


@breaks("competitorintel_kind_valid", field="kind")
def intel_of_an_unknown_kind():
    intel = f.CompetitorIntelFactory()
    intel.kind = "gossip"
    return intel


@breaks("competitorintel_confidence_valid", field="confidence")
def intel_of_an_unknown_confidence():
    intel = f.CompetitorIntelFactory()
    intel.confidence = "certain"
    return intel


@breaks("competitorintel_note_not_empty", field="note")
def intel_without_a_note():
    intel = f.CompetitorIntelFactory()
    intel.note = ""
    return intel


@breaks("incentive_value_non_negative")
def incentive_of_negative_value():
    incentive = f.IncentiveFactory()
    incentive.value = Decimal("-1")
    return incentive


@breaks("incentive_ends_after_start")
def incentive_ending_before_it_starts():
    incentive = f.IncentiveFactory(starts_on=date(2026, 1, 1))
    incentive.ends_on = date(2025, 12, 31)
    return incentive


@breaks("incentive_kind_valid", field="kind")
def incentive_of_unknown_kind():
    incentive = f.IncentiveFactory()
    incentive.kind = "gift"
    return incentive


# Risk model, snapshots, overrides ---------------------------------------------------------------


def make_snapshot(**overrides) -> RiskSnapshot:
    values = {
        "customer": f.CustomerFactory(),
        "as_of": date(2026, 1, 1),
        "model_version": f.RiskModelVersionFactory(),
        "score": 42.0,
        "computed_band": RiskBand.AMBER,
        "band": RiskBand.AMBER,
        "completeness": 0.8,
    } | overrides
    return RiskSnapshot.objects.create(**values)


def make_override(**overrides) -> RiskOverride:
    customer = overrides.pop("customer", None) or f.CustomerFactory()
    values = {
        "customer": customer,
        "band": RiskBand.RED,
        "reason": "Their purchasing director just resigned",
        "set_by": customer.owner,
        "starts_on": date(2026, 1, 31),
        "expires_on": date(2026, 3, 2),
    } | overrides
    return RiskOverride.objects.create(**values)


@breaks("riskmodelversion_one_active")
def second_active_risk_model_version():
    f.RiskModelVersionFactory(is_active=True)
    second = f.RiskModelVersionFactory(is_active=False)
    second.is_active = True
    return second


@breaks("risksnapshot_one_per_day")
def second_snapshot_for_the_same_day():
    first = make_snapshot(as_of=date(2026, 1, 1))
    second = make_snapshot(customer=first.customer, model_version=first.model_version, as_of=date(2026, 1, 2))
    second.as_of = first.as_of
    return second


@breaks("risksnapshot_score_range")
def snapshot_scoring_above_100():
    snapshot = make_snapshot()
    snapshot.score = 100.5
    return snapshot


@breaks("risksnapshot_completeness_range")
def snapshot_more_than_complete():
    snapshot = make_snapshot()
    snapshot.completeness = 1.2
    return snapshot


@breaks("risksnapshot_band_valid", field="band")
def snapshot_in_an_unknown_band():
    snapshot = make_snapshot()
    snapshot.band = "purple"
    return snapshot


@breaks("riskoverride_reason_required", field="reason")
def override_without_a_reason():
    override = make_override()
    override.reason = ""
    return override


@breaks("riskoverride_expiry_within_90_days")
def override_expiring_after_91_days():
    override = make_override()
    override.expires_on = override.starts_on + timedelta(days=MAX_OVERRIDE_DAYS + 1)
    return override


@breaks("riskoverride_band_valid")
def override_to_insufficient_data():
    # Grey is a valid band for a computed snapshot, but nobody may set it by hand.
    override = make_override()
    override.band = RiskBand.GREY
    return override


@breaks("riskoverride_one_open_per_customer")
def second_open_override_for_a_customer():
    first = make_override()
    second = make_override(customer=first.customer, ended_on=date(2026, 2, 1))
    second.ended_on = None
    return second


# Alerts and nightly runs ------------------------------------------------------------------------


def make_alert(**overrides) -> Alert:
    values = {"customer": f.CustomerFactory(), "kind": AlertKind.NEW_RED, "as_of": date(2026, 1, 1)} | overrides
    return Alert.objects.create(**values)


@breaks("alert_one_open_per_kind")
def second_open_alert_of_a_kind():
    first = make_alert()
    second = make_alert(customer=first.customer, closed_at=timezone.now())
    second.closed_at = None
    return second


@breaks("alert_kind_valid", field="kind")
def alert_of_unknown_kind():
    alert = make_alert()
    alert.kind = "gossip"
    return alert


@breaks("riskrun_finished_after_start")
def run_finishing_before_it_started():
    started = timezone.now()
    run = RiskRun.objects.create(job=RiskRun.Job.NIGHTLY, as_of=date(2026, 1, 1), started_at=started)
    run.finished_at = started - timedelta(minutes=1)
    return run


def make_pareto(**overrides) -> ParetoSnapshot:
    values = {
        "as_of": date(2026, 1, 1),
        "customers": 100,
        "key_customers": 20,
        "cutoff_revenue": Decimal("1000000"),
        "total_revenue": Decimal("50000000"),
        "key_revenue_share": 0.8,
    } | overrides
    return ParetoSnapshot.objects.create(**values)


@breaks("paretosnapshot_share_range")
def pareto_share_above_one():
    pareto = make_pareto()
    pareto.key_revenue_share = 1.01
    return pareto


@breaks("paretosnapshot_key_within_customers")
def pareto_with_more_key_accounts_than_customers():
    pareto = make_pareto()
    pareto.key_customers = 101
    return pareto


# Portfolio summaries and digest sends ----------------------------------------------------------


@breaks("portfoliosummary_grain_valid", field="grain")
def summary_with_an_unknown_grain():
    return f.PortfolioSummaryFactory.build(grain="galaxy")


@breaks("portfoliosummary_tier_valid", field="tier")
def summary_with_an_unknown_tier():
    return f.PortfolioSummaryFactory.build(tier="platinum")


@breaks("portfoliosummary_bands_add_up")
def summary_whose_bands_do_not_add_up():
    return f.PortfolioSummaryFactory.build(customers=4, green=1, amber=1, red=1, grey=0)


@breaks("digestsend_one_per_user_and_week")
def second_digest_for_the_same_week():
    first = f.DigestSendFactory()
    return f.DigestSendFactory.build(user=first.user, week=first.week, as_of=first.as_of)


@breaks("purchasecriterion_unique_external_id")
def second_criterion_with_the_same_external_id():
    f.PurchaseCriterionFactory(external_id="PC-1")
    return f.PurchaseCriterionFactory.build(
        customer=f.CustomerFactory(), competitor=None, competitor_meets=False, external_id="PC-1"
    )


# Account data: level changes, churn records, handovers -----------------------------------------


@breaks("level_change_strategic_has_lock_in")
def strategic_level_without_lock_in():
    return f.RelationshipLevelChangeFactory.build(
        customer=f.CustomerFactory(), recorded_by=f.UserFactory(), to_level=3, lock_in=""
    )


@breaks("churn_event_reason_matches_kind")
def win_back_with_a_churn_reason():
    return f.ChurnEventFactory.build(
        customer=f.CustomerFactory(), recorded_by=f.UserFactory(), kind="recovered", reason=ChurnReason.COMPETITOR_PRICE
    )


@breaks("churn_event_lost_revenue_non_negative")
def churn_with_negative_lost_revenue():
    return f.ChurnEventFactory.build(
        customer=f.CustomerFactory(), recorded_by=f.UserFactory(), lost_revenue=Decimal("-1")
    )


@breaks("handover_item_unique")
def the_same_customer_twice_in_a_handover():
    first = f.HandoverItemFactory()
    return f.HandoverItemFactory.build(handover=first.handover, customer=first.customer, successor=first.successor)


# Tests ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("constraint_name", CASES)
def test_constraint_refuses_a_row_that_breaks_it(constraint_name):
    build, field = CASES[constraint_name]
    assert_constraint_enforced(build(), constraint_name, field)


@pytest.mark.django_db
def test_risk_override_may_expire_exactly_90_days_after_it_starts():
    # The expiry check adds 90 days to a date inside the database: the boundary must hold there too.
    override = make_override()
    override.expires_on = override.starts_on + timedelta(days=MAX_OVERRIDE_DAYS)
    override.full_clean()
    override.save()
    override.refresh_from_db()
    assert override.expires_on == date(2026, 5, 1)


@pytest.mark.django_db
def test_risk_override_may_not_expire_the_day_it_starts():
    override = make_override()
    override.expires_on = override.starts_on
    assert_constraint_enforced(override, "riskoverride_expiry_within_90_days")


def test_every_database_constraint_has_a_test_case():
    from complaints.tests.test_constraints import CASES as COMPLAINTS_CASES
    from relationships.tests.test_constraints import CASES as RELATIONSHIPS_CASES

    declared = {
        constraint.name
        for app_label in CONSTRAINED_APPS
        for model in apps.get_app_config(app_label).get_models()
        for constraint in model._meta.constraints
    }
    covered = set(CASES) | set(RELATIONSHIPS_CASES) | set(COMPLAINTS_CASES)

    assert declared - covered == set(), "constraints without a test case"
    assert covered - declared == set(), "test cases for constraints that no longer exist"
