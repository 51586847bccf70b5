"""Gathering the raw signals for a whole set of customers, as of a date, in a fixed number of queries.

Each ``load_*`` function runs one query over every customer in scope (GROUP BY, conditional
aggregation, window functions or a correlated subquery evaluated by the database) and files its
rows on the customers' ``CustomerData`` (``signals``). Nothing here runs a query per customer, so
the number of queries is the same for five customers or a hundred thousand. The loaders over
orders and delivery lines are in ``order_loaders``; how the loaders share one snapshot of the
database, over one connection or several, is ``plumbing``'s.
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import partial

import orjson
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, TextField, Window
from django.db.models.functions import Cast, RowNumber

from accounts.models import AccountPlan, Customer, Incentive, PriceBenchmark, ProductNeed, PurchaseCriterion
from complaints.models import Ticket
from keyaccounts.clock import day_end
from relationships.models import EXECUTIVE_LEVEL_KINDS, BuyingRole, Cadence, Contact, Interaction

from . import plumbing
from .order_loaders import as_float, load_deliveries, load_orders, load_purchase_histories
from .parameters import PriceParameters, QualityParameters, RelationshipParameters, RiskParameters
from .signals import CustomerData


def collect(
    *,
    scope: QuerySet[Customer],
    as_of: date,
    parameters: RiskParameters,
    also: Iterable[Callable[[], None]] = (),
    expected: int | None = None,
) -> dict[int, CustomerData]:
    """Raw signals for every customer in ``scope`` as of ``as_of``, keyed by customer id.

    ``also`` are further loading jobs of the caller (history, overrides), run with the loaders and
    reading the same data. ``expected`` is how many customers the scope was narrowed to, if it was.
    All of it reads the database at one moment (``plumbing.read_in_one_snapshot``).
    """
    ids = scope.order_by().values("pk")

    def jobs(data: dict[int, CustomerData], customers_read) -> list[Callable[[], None]]:
        # Roughly longest first, so that parallel connections finish together. The delivery
        # lines, the longest query, can start before the customers are in (``customers_read``).
        return [
            partial(load_deliveries, data, ids, as_of, parameters.supply, customers_read=customers_read),
            partial(load_purchase_histories, data, ids, as_of, parameters.purchase_trend),
            partial(load_orders, data, ids, as_of, parameters.purchase_trend),
            partial(load_contacts, data, ids, as_of, parameters.relationship),
            partial(load_criteria, data, ids, as_of),
            partial(load_tickets, data, ids, as_of, parameters.quality),
            partial(load_benchmarks, data, ids, as_of, parameters.price),
            *also,
            partial(load_interactions, data, ids, as_of),
            partial(load_team, data, ids),
            partial(load_cadences, data, ids, as_of),
            partial(load_needs, data, ids, as_of),
            partial(load_plans, data, ids, as_of),
            partial(load_departed_key_people, data, ids, as_of),
            partial(load_incentives, data, ids, as_of),
            partial(load_records_kept, data, ids, as_of),
        ]

    return plumbing.read_in_one_snapshot(load_customers=partial(load_customers, scope), jobs=jobs, expected=expected)


def load_customers(scope: QuerySet[Customer]) -> dict[int, CustomerData]:
    # Peak months come as JSON text, decoded with orjson: several times quicker than the JSON
    # field's own decoding, for every customer in the book.
    rows = scope.order_by("pk").values_list(
        "pk", "relationship_level", Cast("peak_months", TextField()), "tier", "backup_owner_id"
    )
    return {
        pk: CustomerData(
            customer_id=pk,
            relationship_level=relationship_level,
            peak_months=_months(peak_months),
            tier=tier,
            # The owner, plus the backup owner; the account team is added by load_team.
            our_people=2 if backup_owner_id else 1,
        )
        for pk, relationship_level, peak_months, tier, backup_owner_id in rows
    }


def _months(text: str | None) -> list[int]:
    """Calendar months from a customer's peak-months JSON; anything that is not a whole number is ignored."""
    if not text or text == "[]":
        return []
    return [int(m) for m in (orjson.loads(text) or []) if str(m).isdigit()]


def load_team(data: dict[int, CustomerData], ids) -> None:
    through = Customer.account_team.through
    rows = (
        through.objects.filter(customer_id__in=ids)
        .exclude(user_id=F("customer__owner_id"))
        .values("customer_id", "user_id", "customer__backup_owner_id")
    )
    for row in rows:
        if row["user_id"] != row["customer__backup_owner_id"]:
            data[row["customer_id"]].our_people += 1


def load_contacts(data: dict[int, CustomerData], ids, as_of: date, p: RelationshipParameters) -> None:
    active = Q(left_on__isnull=True) | Q(left_on__gt=as_of)
    per_department = {
        f"department_{department}": Count("pk", filter=active & Q(department=department))
        for department in p.key_departments
    }
    rows = (
        Contact.objects.filter(customer_id__in=ids, joined_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(
            known=Count("pk"),
            active=Count("pk", filter=active),
            average_trust=as_float(Avg("trust", filter=active)),
            active_decision_makers=Count("pk", filter=active & Q(buying_role=BuyingRole.DECISION_MAKER)),
            active_champions=Count("pk", filter=active & Q(buying_role=BuyingRole.CHAMPION)),
            # With exactly one active contact, the largest name is that contact's.
            an_active_name=Max("name", filter=active),
            **per_department,
        )
    )
    names = ["known", "active", "average_trust", "active_decision_makers", "active_champions", "an_active_name"]
    departments = p.key_departments
    for customer_id, *values in rows.values_list("customer_id", *names, *per_department):
        contacts = dict(zip(names, values, strict=False))
        contacts["departments"] = [d for d, count in zip(departments, values[len(names) :], strict=True) if count]
        data[customer_id].contacts = contacts


def load_departed_key_people(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        Contact.objects.filter(
            customer_id__in=ids,
            buying_role__in=[BuyingRole.DECISION_MAKER, BuyingRole.CHAMPION],
            joined_on__lte=as_of,
            left_on__isnull=False,
            left_on__lte=as_of,
        )
        .order_by("customer_id", "-left_on", "pk")
        .values("customer_id", "name", "buying_role", "left_on")
    )
    for row in rows:
        data[row.pop("customer_id")].departed_key_people.append(row)


def load_interactions(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        Interaction.objects.filter(customer_id__in=ids, occurred_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(
            last_on=Max("occurred_on"),
            last_executive_on=Max("occurred_on", filter=Q(kind__in=EXECUTIVE_LEVEL_KINDS)),
        )
    )
    for row in rows:
        data[row.pop("customer_id")].interactions = row


def load_cadences(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Cadences running on the date, each with its last matching interaction (a correlated subquery)."""
    last_matching = (
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=as_of
        )
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    rows = (
        Cadence.objects.filter(customer_id__in=ids, starts_on__lte=as_of)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
        .annotate(last_on=Subquery(last_matching))
        .order_by("customer_id", "name", "pk")
        .values("customer_id", "name", "interval_days", "starts_on", "last_on")
    )
    for row in rows:
        data[row.pop("customer_id")].cadences.append(row)


def load_criteria(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """The latest assessment of each criterion on or before the date (ROW_NUMBER over criterion)."""
    rows = (
        PurchaseCriterion.objects.filter(customer_id__in=ids, assessed_on__lte=as_of)
        .annotate(
            latest=Window(
                RowNumber(),
                partition_by=[F("customer_id"), F("criterion")],
                order_by=[F("assessed_on").desc(), F("pk").desc()],
            )
        )
        .filter(latest=1)
        .order_by("customer_id", "-importance", "criterion")
        .values(
            "customer_id", "criterion", "importance", "we_meet", "competitor_meets", "competitor__name", "assessed_on"
        )
    )
    for row in rows:
        data[row.pop("customer_id")].criteria.append(row)


def load_tickets(data: dict[int, CustomerData], ids, as_of: date, p: QualityParameters) -> None:
    """Tickets open at the end of the day, or resolved within the longest look-back.

    Resolution, first response and escalation after the date count as not yet happened.
    """
    until = day_end(as_of)
    since = until - timedelta(days=max(p.lookback_days, p.satisfaction_lookback_days, p.activity_lookback_days))
    rows = (
        Ticket.objects.filter(customer_id__in=ids, opened_at__lt=until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .order_by("customer_id", "opened_at", "pk")
        .values(
            "customer_id",
            "kind",
            "category",
            "severity",
            "subject",
            "opened_at",
            "response_due_at",
            "resolution_due_at",
            "first_response_at",
            "escalated_at",
            "resolved_at",
            "satisfaction",
        )
    )
    for row in rows:
        data[row.pop("customer_id")].tickets.append(row)


def load_benchmarks(data: dict[int, CustomerData], ids, as_of: date, p: PriceParameters) -> None:
    """Each product's latest price benchmark on or before the date, if not older than the limit."""
    rows = (
        PriceBenchmark.objects.filter(
            customer_id__in=ids,
            observed_on__lte=as_of,
            observed_on__gt=as_of - timedelta(days=p.max_age_days),
        )
        .annotate(
            latest=Window(
                RowNumber(),
                partition_by=[F("customer_id"), F("product_id")],
                order_by=[F("observed_on").desc(), F("pk").desc()],
            )
        )
        .filter(latest=1)
        .order_by("customer_id", "product__sku")
        .values(
            "customer_id",
            "product__name",
            "our_price",
            "market_average_price",
            "competitor__name",
            "competitor_quote",
            "observed_on",
        )
    )
    for row in rows:
        data[row.pop("customer_id")].benchmarks.append(row)


def load_plans(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        AccountPlan.objects.filter(customer_id__in=ids, reviewed_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(last_reviewed_on=Max("reviewed_on"))
    )
    for row in rows:
        data[row["customer_id"]].plan_reviewed_on = row["last_reviewed_on"]


def load_needs(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        ProductNeed.objects.filter(customer_id__in=ids, identified_on__lte=as_of)
        .filter(Q(met_on__isnull=True) | Q(met_on__gt=as_of))
        .order_by("customer_id", "identified_on", "pk")
        .values("customer_id", "description", "identified_on")
    )
    for row in rows:
        data[row.pop("customer_id")].open_needs.append(row)


def load_incentives(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        Incentive.objects.filter(customer_id__in=ids, starts_on__lte=as_of, ends_on__gte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(running=Count("pk"))
    )
    for row in rows:
        data[row["customer_id"]].active_incentives = row["running"]


def load_records_kept(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Which customers had any ticket by the end of the date, and which any product need or
    incentive by the date: what decides whether the quality and strategy factors have data."""
    until = day_end(as_of)
    rows = (
        Customer.objects.filter(pk__in=ids)
        .annotate(
            had_tickets=Exists(Ticket.objects.filter(customer_id=OuterRef("pk"), opened_at__lt=until)),
            had_strategy=Exists(ProductNeed.objects.filter(customer_id=OuterRef("pk"), identified_on__lte=as_of))
            | Exists(Incentive.objects.filter(customer_id=OuterRef("pk"), starts_on__lte=as_of)),
        )
        .filter(Q(had_tickets=True) | Q(had_strategy=True))
        .order_by()
        .values_list("pk", "had_tickets", "had_strategy")
    )
    for pk, tickets, strategy in rows:
        customer = data[pk]
        customer.has_tickets = tickets
        customer.has_strategy_records = strategy
