"""Seeding the demo database: one transaction that builds every table from a seed and a date."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import (
    AccountPlan,
    Competitor,
    CompetitorIntel,
    Customer,
    DeliveryLine,
    Incentive,
    Order,
    PriceBenchmark,
    Product,
    ProductNeed,
    PurchaseCriterion,
    RiskModelVersion,
    Tier,
)
from accounts.risk.tiering import record_customer_history
from complaints.models import SlaPolicy, Ticket, TicketEvent
from complaints.monthly import complaint_months_refresh
from plays.models import Playbook, PlaybookStep
from relationships.cadence_due import refresh_cadence_due
from relationships.contact_meetings import refresh_contact_meetings
from relationships.models import Cadence, Contact, Interaction

from .account_data import write_account_data
from .calendar import DemoCalendar
from .intel import write_competitor_intel
from .network import write_contacts, write_interactions
from .plans import CustomerPlan, make_plans
from .plays import write_plays
from .sales import assign_tiers, write_catalogue, write_customers, write_orders
from .tickets import ensure_sla_policies, write_tickets
from .users import DEMO_PASSWORD, DemoStaff, create_demo_users, delete_demo_users, manager_count
from .writer import BulkOutput, DiscardOutput, Progress, analyze, load_mode, make_output, next_pk, reset_sequences

BUSINESS_APPS = ("accounts", "relationships", "complaints", "plays")
# Configuration an admin maintains, not business data: a flush keeps it.
KEPT_MODELS = (RiskModelVersion, SlaPolicy, Playbook, PlaybookStep)


# Every table the generators write.
LOADED_MODELS = (
    Product,
    Competitor,
    Customer,
    Customer.account_team.through,
    Customer.history.model,
    Customer.history.model.account_team.model,
    Contact,
    Contact.history.model,
    Order,
    DeliveryLine,
    Interaction,
    Interaction.contacts.through,
    Interaction.our_people.through,
    Cadence,
    Ticket,
    Ticket.history.model,
    TicketEvent,
    PurchaseCriterion,
    PriceBenchmark,
    AccountPlan,
    ProductNeed,
    Incentive,
    CompetitorIntel,
)


class CustomersExist(Exception):
    """The database already has customers and no flush was asked for."""


@dataclass
class SeedResult:
    """What was built: the logins and the number of rows written per table."""

    staff: DemoStaff
    password: str
    counts: list[tuple[str, int]]


def _no_progress(iterable: Iterable, _label: str, _total: int) -> Iterable:
    return iterable


def business_models() -> list[type[models.Model]]:
    """Every table of the business apps (history and many-to-many tables included)."""
    kept = set(KEPT_MODELS) | {m.history.model for m in KEPT_MODELS}
    found = []
    for label in BUSINESS_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model not in kept and model._meta.managed and not model._meta.proxy:
                found.append(model)
    return found


def flush_business_data() -> None:
    """Delete the business data of the business apps and the demo users, without per-row signals.

    A queryset delete would write a history row per deleted row; with millions of rows that is
    neither wanted nor affordable.
    """
    qn = connection.ops.quote_name
    tables = [qn(m._meta.db_table) for m in business_models()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the checks queued so far in this transaction: a table with pending ones cannot be truncated.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    delete_demo_users()


def seed_demo(
    *,
    customers: int,
    seed: int,
    today: date,
    flush: bool = False,
    orders_only: bool = False,
    managers: int | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Build the demo data set; the same seed and today always give the same data.

    ``orders_only``: a book as a company with nothing but its ERP's order log would have it:
    customers (code, name, industry, region, owner, customer since) and their orders, with the
    same rhythms and stories (churners stop ordering), and nothing else: no delivery lines,
    contacts, interactions, cadences, tickets, criteria, benchmarks, plans, needs, incentives,
    churn records or history.

    ``managers``: how many account managers own the customers (by default one per 150 customers,
    between 8 and 200).

    Raises CustomersExist when the database has customers and ``flush`` is not set, and
    DemoUserClash when a demo username belongs to a real user.
    """
    progress = progress or _no_progress
    with transaction.atomic():
        if Customer.objects.exists() and not flush:
            raise CustomersExist
        if flush:
            flush_business_data()
        else:
            delete_demo_users()
        staff = create_demo_users(rng=random.Random(f"{seed}/users"), managers=managers or manager_count(customers))
        sla = None if orders_only else ensure_sla_policies()
        first = _first_pks()
        calendar = DemoCalendar(today)
        with load_mode(LOADED_MODELS):
            output = make_output()
            try:
                key_pks, plans = _write_all(
                    output,
                    seed=seed,
                    customers=customers,
                    calendar=calendar,
                    staff=staff,
                    sla=sla,
                    first=first,
                    progress=progress,
                    orders_only=orders_only,
                )
                output.close()
            except BaseException:
                abort = getattr(output, "abort", None)
                if abort is not None:
                    abort()
                raise
        _store_revenue_and_tiers(calendar, first["customer"], key_pks)
        written = [sink.model for sink in output.sinks]
        reset_sequences(written)
        if not orders_only:
            # Written without signals: every cadence's due date and every contact's last meeting,
            # in one UPDATE each.
            refresh_cadence_due(today=today)
            refresh_contact_meetings(today=today)
            # The complaint analytics' monthly figures, as the 03:00 task would leave them.
            complaint_months_refresh()
            # Key accounts as today's tiering finds them, recorded as of the start of today.
            record_customer_history(key_pks, when=calendar.cutoff, reason="tiering")
            # The plays in hand and behind, with the risk that measures the done ones.
            write_plays(rng=random.Random(f"{seed}/plays"), plans=plans, calendar=calendar)
        analyze(written)
    counts = [(sink.model._meta.db_table, sink.count) for sink in output.sinks]
    return SeedResult(staff=staff, password=DEMO_PASSWORD, counts=counts)


def _first_pks() -> dict[str, int]:
    return {
        "product": next_pk(Product),
        "competitor": next_pk(Competitor),
        "customer": next_pk(Customer),
        "team": next_pk(Customer.account_team.through),
        "customer_history": next_pk(Customer.history.model),
        "team_history": next_pk(Customer.history.model.account_team.model),
        "contact": next_pk(Contact),
        "contact_history": next_pk(Contact.history.model),
        "order": next_pk(Order),
        "line": next_pk(DeliveryLine),
        "interaction": next_pk(Interaction),
        "interaction_contact": next_pk(Interaction.contacts.through),
        "interaction_person": next_pk(Interaction.our_people.through),
        "cadence": next_pk(Cadence),
        "ticket": next_pk(Ticket),
        "ticket_history": next_pk(Ticket.history.model),
        "ticket_event": next_pk(TicketEvent),
        "criterion": next_pk(PurchaseCriterion),
        "benchmark": next_pk(PriceBenchmark),
        "account_plan": next_pk(AccountPlan),
        "need": next_pk(ProductNeed),
        "incentive": next_pk(Incentive),
        "competitor_intel": next_pk(CompetitorIntel),
    }


def _write_all(
    output: BulkOutput,
    *,
    seed: int,
    customers: int,
    calendar: DemoCalendar,
    staff: DemoStaff,
    sla: dict[tuple[str, str], tuple[int, int]] | None,
    first: dict[str, int],
    progress: Progress,
    orders_only: bool = False,
) -> tuple[list[int], list[CustomerPlan]]:
    def rng(phase: str) -> random.Random:
        # One generator per phase: a phase's data depends only on the seed, not on the others.
        return random.Random(f"{seed}/{phase}")

    catalogue = write_catalogue(
        rng=rng("catalogue"),
        # Without delivery lines there is nothing to sell by name: the prices only set the amounts.
        output=DiscardOutput() if orders_only else output,
        first_product_pk=first["product"],
        first_competitor_pk=first["competitor"],
    )
    plans = make_plans(
        rng=rng("plans"),
        count=customers,
        first_pk=first["customer"],
        calendar=calendar,
        managers=[m.pk for m in staff.managers],
        product_categories=catalogue.categories,
    )
    write_customers(
        rng=rng("customers"),
        output=output,
        plans=plans,
        calendar=calendar,
        progress=progress,
        first_pks=first,
        orders_only=orders_only,
    )
    # Each phase's parents are written before the next phase's children refer to them.
    output.flush_all()
    if not orders_only:
        network = write_contacts(
            rng=rng("contacts"),
            output=output,
            plans=plans,
            calendar=calendar,
            progress=progress,
            first_pk=first["contact"],
            first_history_pk=first["contact_history"],
        )
        output.flush_all()
    write_orders(
        rng=rng("orders"),
        output=output,
        plans=plans,
        calendar=calendar,
        catalogue=catalogue,
        progress=progress,
        first_order_pk=first["order"],
        first_line_pk=first["line"],
        with_lines=not orders_only,
    )
    if orders_only:
        return assign_tiers(plans), plans
    # Tickets take their SLA targets from the tier, so tiers are settled before them.
    key_pks = assign_tiers(plans)
    write_interactions(
        rng=rng("interactions"),
        output=output,
        plans=plans,
        network=network,
        staff=staff,
        calendar=calendar,
        progress=progress,
        first_pks=first,
    )
    write_tickets(
        rng=rng("tickets"),
        output=output,
        plans=plans,
        network=network,
        staff=staff,
        calendar=calendar,
        sla=sla,
        progress=progress,
        first_pks=first,
    )
    write_account_data(
        rng=rng("account-data"),
        output=output,
        plans=plans,
        catalogue=catalogue,
        calendar=calendar,
        progress=progress,
        first_pks=first,
    )
    write_competitor_intel(
        rng=rng("competitor-intel"),
        output=output,
        plans=plans,
        network=network,
        catalogue=catalogue,
        calendar=calendar,
        progress=progress,
        first_pk=first["competitor_intel"],
    )
    return key_pks, plans


def _store_revenue_and_tiers(calendar: DemoCalendar, first_customer_pk: int, key_pks: list[int]) -> None:
    """Trailing 12-month revenue from the orders, and the key tier (top 20% of active customers)."""
    today = calendar.today
    revenue = (
        Order.objects.filter(customer=OuterRef("pk"), ordered_on__gte=today - timedelta(days=365), ordered_on__lt=today)
        .order_by()
        .values("customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = models.DecimalField(max_digits=16, decimal_places=2)
    Customer.objects.filter(pk__gte=first_customer_pk).update(
        revenue_12m=Coalesce(Subquery(revenue, output_field=money), Value(Decimal("0")), output_field=money)
    )
    for start in range(0, len(key_pks), 5000):
        Customer.objects.filter(pk__in=key_pks[start : start + 5000]).update(tier=Tier.KEY)
