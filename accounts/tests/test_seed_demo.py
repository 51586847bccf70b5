"""The seed_demo command: deterministic demo data that tells the stories the risk pages look for."""

import hashlib
import math
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Max, OuterRef, Subquery, Sum

from accounts.demo.seeder import business_models
from accounts.demo.users import demo_users
from accounts.models import (
    ChurnReason,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Order,
    PurchaseCriterion,
    RiskSnapshot,
    Tier,
)
from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_ADMIN, ROLE_EXECUTIVE, ROLE_SERVICE_DESK
from accounts.risk.engine import risk_recompute
from complaints.models import ComplaintMonth, SlaPolicy, Ticket, TicketEvent
from keyaccounts.clock import add_days, day_start, project_zone
from keyaccounts.tests import factories as f
from relationships.models import Cadence, Contact, Interaction

TODAY = date(2026, 3, 1)
CUSTOMERS = 60

pytestmark = pytest.mark.django_db


def seed(*, seed: int = 7, customers: int = CUSTOMERS, flush: bool = False, orders_only: bool = False) -> None:
    args = ["--customers", str(customers), "--seed", str(seed), "--today", TODAY.isoformat()]
    args += [*(["--flush"] if flush else []), *(["--orders-only"] if orders_only else [])]
    call_command("seed_demo", *args, verbosity=0)


def data_digest() -> str:
    """A fingerprint of the rows of several tables (users by name: their ids are not reused)."""
    tables = [
        Customer.objects.order_by("code").values_list(
            "code", "name", "industry", "region", "owner__username", "backup_owner__username",
            "relationship_level", "status", "customer_since", "churned_on", "churn_reason", "tier",
            "revenue_12m", "peak_months",
        ),
        Order.objects.order_by("number").values_list("number", "customer__code", "ordered_on", "amount"),
        DeliveryLine.objects.order_by("order__number", "line_no").values_list(
            "order__number", "line_no", "product__sku", "quantity_ordered", "quantity_delivered", "promised_on",
            "delivered_on",
        ),
        Contact.objects.order_by("id").values_list(
            "customer__code", "name", "title", "department", "buying_role", "trust", "internal_owner__username",
            "joined_on", "left_on",
        ),
        Interaction.objects.order_by("id").values_list("customer__code", "occurred_on", "kind", "subject"),
        Interaction.contacts.through.objects.order_by("id").values_list("interaction_id", "contact__name"),
        Ticket.objects.order_by("id").values_list(
            "customer__code", "kind", "category", "severity", "status", "opened_at", "first_response_at",
            "resolved_at", "closed_at", "assigned_to__username", "satisfaction",
        ),
        TicketEvent.objects.order_by("id").values_list("ticket_id", "at", "kind", "from_status", "to_status"),
        PurchaseCriterion.objects.order_by("id").values_list(
            "customer__code", "criterion", "importance", "we_meet", "competitor_meets", "competitor__name",
            "assessed_on",
        ),
    ]  # fmt: skip
    digest = hashlib.sha256()
    for rows in tables:
        for row in rows:
            digest.update(repr(row).encode())
        digest.update(b"|")
    return digest.hexdigest()


def test_same_seed_and_today_rebuild_the_same_data():
    seed(seed=7)
    first = data_digest()
    seed(seed=7, flush=True)
    assert Order.objects.exists()
    assert data_digest() == first


def test_a_different_seed_builds_different_data():
    seed(seed=7)
    first = data_digest()
    seed(seed=8, flush=True)
    assert data_digest() != first


def test_every_churn_reason_has_churned_customers():
    seed()
    reasons = set(Customer.objects.filter(status=CustomerStatus.CHURNED).values_list("churn_reason", flat=True))
    assert reasons == set(ChurnReason.values)


def test_top_fifth_of_customers_holds_most_of_the_revenue():
    seed(customers=200)
    revenue = sorted(
        (
            r or Decimal(0)
            for r in Customer.objects.annotate(total=Sum("orders__amount")).values_list("total", flat=True)
        ),
        reverse=True,
    )
    top = revenue[: len(revenue) // 5]
    assert sum(top) / sum(revenue) > Decimal("0.65")


def test_key_tier_is_the_top_fifth_of_active_customers_by_trailing_revenue():
    seed()
    active = list(Customer.objects.active().order_by("-revenue_12m", "pk").values_list("tier", "tier_pinned"))
    key_count = math.ceil(len(active) * 0.2)
    assert all(tier == Tier.KEY for tier, _pinned in active[:key_count])
    assert all(tier == Tier.REGULAR for tier, pinned in active[key_count:] if not pinned)


def test_trailing_revenue_matches_the_orders_of_the_last_twelve_months():
    seed()
    customer = Customer.objects.active().order_by("-revenue_12m").first()
    orders = customer.orders.filter(ordered_on__gte=TODAY - timedelta(days=365), ordered_on__lt=TODAY)
    assert customer.revenue_12m == orders.aggregate(total=Sum("amount"))["total"]


def test_churned_customers_order_nothing_after_they_left():
    seed()
    assert Order.objects.filter(customer__status=CustomerStatus.CHURNED).exists()
    assert not Order.objects.filter(customer__status=CustomerStatus.CHURNED, ordered_on__gte=F("customer__churned_on"))


def test_nothing_happens_on_or_after_today():
    seed()
    assert Order.objects.aggregate(last=Max("ordered_on"))["last"] < TODAY
    assert not Ticket.objects.filter(opened_at__date__gte=TODAY).exists()
    assert not Interaction.objects.filter(occurred_on__gte=TODAY).exists()


def test_the_cadences_due_dates_are_stored_as_of_today():
    seed()
    met = {}
    for customer_id, kind, day in Interaction.objects.filter(occurred_on__lte=TODAY).values_list(
        "customer_id", "kind", "occurred_on"
    ):
        met[customer_id, kind] = max(day, met.get((customer_id, kind), day))
    cadences = list(Cadence.objects.all())
    assert cadences
    for c in cadences:
        last = met.get((c.customer_id, c.interaction_kind))
        assert c.last_met_on == last
        assert c.due_on == add_days(max(last or c.starts_on, c.starts_on), c.interval_days)


def test_the_complaint_analytics_monthly_figures_are_built_with_the_book():
    # As the 03:00 task would leave them: the page reads past months from them from the start.
    seed()
    assert Ticket.objects.exists()
    per_customer = ComplaintMonth.objects.filter(customer__isnull=False).aggregate(n=Sum("tickets"))["n"]
    whole_book = ComplaintMonth.objects.filter(customer__isnull=True).aggregate(n=Sum("tickets"))["n"]
    assert per_customer == whole_book == Ticket.objects.filter(customer__isnull=False).count()


def _score(customer: Customer, as_of: date) -> RiskSnapshot:
    risk_recompute(as_of=as_of, customer_ids=[customer.pk])
    return RiskSnapshot.objects.get(customer=customer, as_of=as_of)


def _trust(snapshot: RiskSnapshot) -> float:
    value, _risk = snapshot.factors["relationship"]["signals"]["trust"]
    return value


def test_a_churners_trust_falls_in_its_history_when_the_warning_signs_begin_not_before():
    seed()
    # A churner whose contacts' trust fell: its history records the fall, dated when it happened.
    falls = Contact.history.filter(history_type="~", id__in=Contact.objects.filter(customer__status="churned"))
    fall = (
        falls.filter(trust__lt=Subquery(Contact.history.filter(id=OuterRef("id"), history_type="+").values("trust")))
        .order_by("history_date", "history_id")
        .first()
    )
    assert fall is not None
    customer = Customer.objects.get(pk=fall.customer_id)
    warning_began = fall.history_date.astimezone(project_zone()).date()
    before, at_the_end = warning_began - timedelta(days=1), customer.churned_on - timedelta(days=1)
    contacts = Contact.objects.filter(customer=customer)

    def known_on(day: date):
        return contacts.filter(joined_on__lte=day).exclude(left_on__lte=day)

    # Every contact's first history row is dated the day it was met, at its trust of then.
    for contact in contacts:
        first = Contact.history.filter(id=contact.pk).earliest("history_date", "history_id")
        assert first.history_date.astimezone(project_zone()).date() == contact.joined_on
        assert first.left_on is None

    earlier = [Contact.history.filter(id=c.pk).earliest("history_date", "history_id").trust for c in known_on(before)]
    later = [c.trust for c in known_on(at_the_end)]
    assert _trust(_score(customer, before)) == pytest.approx(sum(earlier) / len(earlier), abs=0.01)
    assert _trust(_score(customer, at_the_end)) == pytest.approx(sum(later) / len(later), abs=0.01)
    assert _trust(_score(customer, before)) > _trust(_score(customer, at_the_end))


def test_a_churners_relationship_level_drops_when_the_warning_signs_begin():
    seed(customers=200)
    drops = Customer.history.filter(history_type="~").exclude(
        relationship_level=Subquery(
            Customer.history.filter(id=OuterRef("id"), history_type="+").values("relationship_level")
        )
    )
    drop = drops.order_by("history_date").first()
    assert drop is not None
    customer = Customer.objects.get(pk=drop.id)
    first = Customer.history.filter(id=customer.pk).earliest("history_date", "history_id")
    assert first.history_date.astimezone(project_zone()).date() == customer.customer_since
    assert (first.status, first.churned_on) == (CustomerStatus.ACTIVE, None)
    warning_began = drop.history_date.astimezone(project_zone()).date()

    def level(day: date) -> int:
        value, _risk = _score(customer, day).factors["strategy"]["signals"]["relationship_level"]
        return value

    assert level(warning_began - timedelta(days=1)) == first.relationship_level
    assert level(customer.churned_on - timedelta(days=1)) == customer.relationship_level < first.relationship_level


def test_the_history_holds_nothing_dated_after_today_and_ends_at_each_records_current_values():
    seed()
    cutoff = day_start(TODAY)
    for model, fields in (
        (Customer, ["relationship_level", "status", "churned_on", "tier", "backup_owner_id"]),
        (Contact, ["trust", "department", "buying_role", "left_on"]),
        (Ticket, ["status", "satisfaction", "resolved_at"]),
    ):
        assert not model.history.filter(history_date__gt=cutoff).exists()
        assert model.history.values("id").distinct().count() == model.objects.count()
        latest = {}
        for row in model.history.order_by("history_date", "history_id").values("id", *fields):
            latest[row.pop("id")] = row
        assert latest == {row.pop("id"): row for row in model.objects.values("id", *fields)}


def _orders() -> list[tuple]:
    return list(Order.objects.order_by("number").values_list("number", "customer__code", "ordered_on", "amount"))


def test_orders_only_writes_customers_and_their_orders_and_nothing_else():
    policies = list(SlaPolicy.objects.values_list())
    seed(orders_only=True)

    written = {m._meta.db_table for m in business_models() if m.objects.exists()}
    assert written == {Customer._meta.db_table, Order._meta.db_table}
    assert list(SlaPolicy.objects.values_list()) == policies
    customers = Customer.objects.all()
    assert customers.count() == CUSTOMERS
    assert customers.filter(owner__in=demo_users()).count() == CUSTOMERS
    assert not customers.exclude(status=CustomerStatus.ACTIVE).exists()
    assert not customers.filter(backup_owner__isnull=False).exists()
    assert not customers.exclude(peak_months=[]).exists()


def test_orders_only_keeps_the_order_rhythms_and_stories_of_the_full_book():
    seed()
    full = _orders()
    churned = dict(Customer.objects.filter(status=CustomerStatus.CHURNED).values_list("code", "churned_on"))
    seed(orders_only=True, flush=True)

    assert _orders() == full
    # The churners are active customers here who simply stopped ordering when they left.
    last_orders = dict(
        Customer.objects.filter(code__in=churned).annotate(last=Max("orders__ordered_on")).values_list("code", "last")
    )
    assert all(last is None or last < churned[code] for code, last in last_orders.items())


def test_each_ticket_status_is_the_last_status_its_history_records():
    seed()
    last_status = {}
    for ticket_id, kind, to_status in TicketEvent.objects.order_by("ticket_id", "at", "id").values_list(
        "ticket_id", "kind", "to_status"
    ):
        if kind in (TicketEvent.Kind.CREATED, TicketEvent.Kind.STATUS):
            last_status[ticket_id] = to_status
    tickets = dict(Ticket.objects.values_list("id", "status"))
    assert tickets
    assert last_status == tickets


def test_ticket_targets_come_from_the_sla_policies():
    seed()
    policies = {(p.tier, p.severity): p for p in SlaPolicy.objects.all()}
    assert len(policies) == 8
    key_ticket = Ticket.objects.filter(customer__tier=Tier.KEY).order_by("-opened_at").first()
    policy = policies[(Tier.KEY, key_ticket.severity)]
    assert policy.response_hours <= 24
    assert key_ticket.response_due_at - key_ticket.opened_at == timedelta(hours=policy.response_hours)


def test_demo_logins_have_their_roles_and_the_demo_password():
    seed()
    users = get_user_model().objects.prefetch_related("groups")
    expected = {"admin": ROLE_ADMIN, "exec": ROLE_EXECUTIVE, "service": ROLE_SERVICE_DESK, "am01": ROLE_ACCOUNT_MANAGER}
    for username, role in expected.items():
        user = users.get(username=username)
        assert [g.name for g in user.groups.all()] == [role]
        assert user.check_password("keyaccounts-demo")
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert users.filter(groups__name=ROLE_ACCOUNT_MANAGER).count() == 8


def test_managers_sets_how_many_account_managers_own_the_customers():
    args = ["--customers", str(CUSTOMERS), "--managers", "20", "--seed", "7", "--today", TODAY.isoformat()]
    call_command("seed_demo", *args, verbosity=0)
    managers = get_user_model().objects.filter(groups__name=ROLE_ACCOUNT_MANAGER)
    assert sorted(managers.values_list("username", flat=True)) == [f"am{n:02d}" for n in range(1, 21)]
    owners = set(Customer.objects.values_list("owner__username", flat=True))
    assert owners <= {f"am{n:02d}" for n in range(1, 21)} and len(owners) > 8


def test_managers_must_be_a_positive_number():
    with pytest.raises(CommandError, match="--managers"):
        call_command("seed_demo", "--customers", "5", "--managers", "0", verbosity=0)
    assert not Customer.objects.exists()


def test_refuses_a_database_with_customers_without_flush():
    seed()
    before = data_digest()
    with pytest.raises(CommandError, match="--flush") as refused:
        seed(seed=8)
    assert refused.value.returncode != 0
    assert data_digest() == before


def test_if_empty_leaves_existing_data_alone_and_lists_the_logins():
    from io import StringIO

    seed()
    before = data_digest()
    out = StringIO()
    call_command("seed_demo", "--if-empty", "--seed", "8", stdout=out)
    assert data_digest() == before
    assert "keyaccounts-demo" in out.getvalue() and "am01" in out.getvalue()


def test_flush_replaces_business_data_but_keeps_real_users():
    real_user = f.account_manager("alice")
    f.CustomerFactory(code="X-1", name="Hand-made customer", owner=real_user)
    seed(flush=True)
    assert not Customer.objects.filter(code="X-1").exists()
    assert Customer.objects.count() == CUSTOMERS
    assert get_user_model().objects.filter(username="alice").exists()


def test_refuses_when_a_demo_username_belongs_to_a_real_user():
    f.executive("exec")
    with pytest.raises(CommandError, match="exec"):
        seed()
    assert not Customer.objects.exists()


def test_rows_added_after_seeding_get_fresh_ids():
    seed()
    customer = Customer.objects.first()
    order = f.OrderFactory(customer=customer, number="SO-AFTER-SEED")
    assert order.pk > Order.objects.exclude(pk=order.pk).aggregate(top=Max("pk"))["top"]


def columns(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_the_login_table_lines_up_in_chinese():
    from io import StringIO

    from django.utils import translation

    out = StringIO()
    args = ["--customers", str(CUSTOMERS), "--seed", "7", "--today", TODAY.isoformat()]
    with translation.override("zh-hans"):
        call_command("seed_demo", *args, stdout=out)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "keyaccounts-demo" in line) + 1
    table = [line.rstrip() for line in lines[start : start + 4]]  # admin, exec, service, am01
    assert [line.split()[0] for line in table] == ["admin", "exec", "service", "am01"]
    # Each line ends with the person's name; the names start in the same terminal column.
    names = [line.rsplit("  ", 1)[-1].strip() for line in table]
    assert len({columns(line) - columns(name) for line, name in zip(table, names, strict=True)}) == 1, table


def test_customers_whose_story_involves_a_competitor_have_competitor_intelligence():
    from accounts.models import CompetitorIntel

    seed()
    intel = CompetitorIntel.objects.select_related("customer", "contact")
    assert intel.exists()
    for entry in intel:
        assert entry.noted_on < TODAY and entry.noted_on >= entry.customer.customer_since
        assert entry.contact is None or entry.contact.customer_id == entry.customer_id
        assert entry.recorded_by_id == entry.customer.owner_id
    # The at-risk accounts (a story, still customers) hear from competitors in their warning months.
    at_risk = Customer.objects.filter(status=CustomerStatus.ACTIVE, competitor_intel__isnull=False).distinct()
    assert at_risk.exists()
    assert CompetitorIntel.objects.filter(noted_on__gt=TODAY - timedelta(days=90)).exists()
