"""Gathering the raw signals for a whole set of customers, as of a date, in a fixed number of queries.

Each ``load_*`` function runs one query over every customer in scope (GROUP BY, conditional
aggregation, window functions or a correlated subquery evaluated by the database) and files its
rows on the customers' ``CustomerData`` (``signals``). Nothing here runs a query per customer, so
the number of queries is the same for five customers or a hundred thousand. The loaders over
orders and delivery lines are in ``order_loaders``; how the loaders share one snapshot of the
database, over one connection or several, is ``plumbing``'s.

Fields that change in place (a customer's relationship level, peak months, tier, backup owner and
account team; a contact's trust, department and buying role; a ticket's satisfaction) are read
as they were at the end of the date, from their audit history (``as_of``).
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import partial

import orjson
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import (
    AccountPlan,
    CompetitorIntel,
    Customer,
    Incentive,
    PriceBenchmark,
    ProductNeed,
    PurchaseCriterion,
)
from complaints.models import Ticket
from keyaccounts.clock import as_date, day_end
from relationships.cadence_due import current_last_met
from relationships.models import EXECUTIVE_LEVEL_KINDS, BuyingRole, Cadence, Contact, Interaction

from . import plumbing
from .as_of import history_as_of_order, records_as_of_sql
from .order_loaders import load_deliveries, load_orders
from .parameters import PriceParameters, QualityParameters, RelationshipParameters, RiskParameters
from .signals import (
    INTEL_RECENT_DAYS,
    BenchmarkSignal,
    ContactSignal,
    CriterionSignal,
    CustomerData,
    InteractionSignal,
    TicketSignal,
)


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
            partial(load_orders, data, ids, as_of, parameters.purchase_trend),
            partial(load_contacts, data, ids, as_of, parameters.relationship),
            partial(load_criteria, data, ids, as_of),
            partial(load_tickets, data, ids, as_of, parameters.quality),
            partial(load_benchmarks, data, ids, as_of, parameters.price),
            *also,
            partial(load_interactions, data, ids, as_of),
            partial(load_team, data, ids, as_of),
            partial(load_cadences, data, ids, as_of),
            partial(load_needs, data, ids, as_of),
            partial(load_plans, data, ids, as_of),
            partial(load_departed_key_people, data, ids, as_of),
            partial(load_incentives, data, ids, as_of),
            partial(load_intel, data, ids, as_of),
            partial(load_records_kept, data, ids, as_of),
        ]

    return plumbing.read_in_one_snapshot(
        load_customers=partial(load_customers, scope, as_of), jobs=jobs, expected=expected
    )


# The customer's fields the scorer reads, as of the date (``as_of``).
_CUSTOMER_FIELDS = ("relationship_level", "peak_months", "tier", "owner", "backup_owner")


def _customers_as_of_sql(ids, as_of: date) -> tuple[str, list]:
    """Per customer in scope: id, ``_CUSTOMER_FIELDS`` as of the date (under their column names)
    and the id of the history row they come from (NULL for a customer without history)."""
    scope_sql, scope_params = ids.query.sql_with_params()
    return records_as_of_sql(
        Customer,
        _CUSTOMER_FIELDS,
        as_of=as_of,
        columns=["id"],
        where_sql=f"c.id IN ({scope_sql})",
        where_params=scope_params,
    )


def load_customers(scope: QuerySet[Customer], as_of: date) -> dict[int, CustomerData]:
    # Peak months come as JSON text, decoded with orjson: several times quicker than the JSON
    # field's own decoding, for every customer in the book.
    sql, params = _customers_as_of_sql(scope.order_by().values("pk"), as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, relationship_level, peak_months, tier, backup_owner_id FROM ({sql}) c ORDER BY id", params
        )
        rows = cursor.fetchall()
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


def _months(text) -> list[int]:
    """Calendar months from a customer's peak-months JSON; anything that is not a whole number is ignored."""
    if isinstance(text, list):  # a JSON column some drivers decode themselves
        months = text
    elif not text or text == "[]":
        return []
    else:
        months = orjson.loads(text) or []
    return [int(m) for m in months if str(m).isdigit()]


def load_team(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Team members other than the owner and the backup owner, as of the date.

    django-simple-history stores the whole team with every history row of a customer, so the
    team as of the date is the one stored with the history row ``as_of`` picks; a customer
    without history reads its current team.
    """
    qn = connection.ops.quote_name
    customers_sql, params = _customers_as_of_sql(ids, as_of)
    through = qn(Customer.account_team.through._meta.db_table)
    team_history = qn(Customer.history.model.account_team.model._meta.db_table)
    others = "t.user_id <> c.owner_id AND (c.backup_owner_id IS NULL OR t.user_id <> c.backup_owner_id)"
    sql = f"""
        WITH c AS ({customers_sql})
        SELECT c.id FROM c JOIN {team_history} t ON t.history_id = c.history_id
        WHERE c.history_id IS NOT NULL AND {others}
        UNION ALL
        SELECT c.id FROM c JOIN {through} t ON t.customer_id = c.id
        WHERE c.history_id IS NULL AND {others}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (customer_id,) in cursor.fetchall():
            data[customer_id].our_people += 1


# A contact's fields that change in place, read as of the date; joined and left dates are the
# effective dates themselves and are read as they are.
_CONTACT_FIELDS = ("trust", "department", "buying_role")


def _contacts_as_of_sql(ids, as_of: date, *, left_by_then: bool = False) -> tuple[str, list]:
    """The contacts of the customers in scope known by the date (``left_by_then``: and gone by
    it): id, customer_id, name, joined_on, left_on and ``_CONTACT_FIELDS`` as of the date."""
    scope_sql, scope_params = ids.query.sql_with_params()
    day = connection.ops.adapt_datefield_value(as_of)
    where = f"c.customer_id IN ({scope_sql}) AND c.joined_on <= %s"
    params = [*scope_params, day]
    if left_by_then:
        where += " AND c.left_on IS NOT NULL AND c.left_on <= %s"
        params.append(day)
    return records_as_of_sql(
        Contact,
        _CONTACT_FIELDS,
        as_of=as_of,
        columns=["id", "customer_id", "name", "joined_on", "left_on"],
        where_sql=where,
        where_params=params,
    )


def load_contacts(data: dict[int, CustomerData], ids, as_of: date, p: RelationshipParameters) -> None:
    day = connection.ops.adapt_datefield_value(as_of)
    contacts_sql, params = _contacts_as_of_sql(ids, as_of)
    active = "(c.left_on IS NULL OR c.left_on > %s)"
    names = ["known", "active", "average_trust", "active_decision_makers", "active_champions", "an_active_name"]
    aggregates = [
        ("COUNT(*)", []),
        (f"SUM(CASE WHEN {active} THEN 1 ELSE 0 END)", [day]),
        (f"AVG(CASE WHEN {active} THEN c.trust END)", [day]),
        (f"SUM(CASE WHEN {active} AND c.buying_role = %s THEN 1 ELSE 0 END)", [day, BuyingRole.DECISION_MAKER]),
        (f"SUM(CASE WHEN {active} AND c.buying_role = %s THEN 1 ELSE 0 END)", [day, BuyingRole.CHAMPION]),
        # With exactly one active contact, the largest name is that contact's.
        (f"MAX(CASE WHEN {active} THEN c.name END)", [day]),
        *(
            (f"SUM(CASE WHEN {active} AND c.department = %s THEN 1 ELSE 0 END)", [day, department])
            for department in p.key_departments
        ),
    ]
    sql = (
        f"SELECT c.customer_id, {', '.join(expression for expression, _ in aggregates)} "
        f"FROM ({contacts_sql}) c GROUP BY c.customer_id"
    )
    departments = p.key_departments
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(value for _, values in aggregates for value in values), *params])
        rows = cursor.fetchall()
    for customer_id, *values in rows:
        if values[2] is not None:  # PostgreSQL's average of whole numbers is a Decimal
            values[2] = float(values[2])
        covered = [d for d, count in zip(departments, values[len(names) :], strict=True) if count]
        data[customer_id].contacts = ContactSignal(*values[: len(names)], covered)


def load_departed_key_people(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Decision makers and champions (their buying role as of the date) who left by the date."""
    contacts_sql, params = _contacts_as_of_sql(ids, as_of, left_by_then=True)
    sql = (
        f"SELECT c.customer_id, c.name, c.buying_role, c.left_on FROM ({contacts_sql}) c "
        "WHERE c.buying_role IN (%s, %s) ORDER BY c.customer_id, c.left_on DESC, c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, BuyingRole.DECISION_MAKER, BuyingRole.CHAMPION])
        rows = cursor.fetchall()
    for customer_id, name, buying_role, left_on in rows:
        data[customer_id].departed_key_people.append(
            {"name": name, "buying_role": buying_role, "left_on": as_date(left_on)}
        )


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
        data[row["customer_id"]].interactions = InteractionSignal(row["last_on"], row["last_executive_on"])


def load_cadences(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Cadences running on the date, each with its last matching interaction: the stored one
    (relationships.cadence_due) where it answers for the date, else a correlated subquery."""
    rows = (
        Cadence.objects.filter(customer_id__in=ids, starts_on__lte=as_of)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
        .annotate(last_on=current_last_met(as_of))
        .order_by("customer_id", "name", "pk")
        .values("customer_id", "name", "interval_days", "starts_on", "last_on")
    )
    for row in rows:
        data[row.pop("customer_id")].cadences.append(row)


class _Shared:
    """One string object for each value repeated across rows (a kind, a product's or competitor's
    name), where the driver makes a new one for every row."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str | None) -> str | None:
        return value if value is None else self._seen.setdefault(value, value)


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
        .values_list(
            "customer_id", "criterion", "importance", "we_meet", "competitor_meets", "competitor__name", "assessed_on"
        )
    )
    shared = _Shared()
    for customer_id, criterion, importance, we_meet, competitor_meets, competitor, assessed_on in rows:
        data[customer_id].criteria.append(
            CriterionSignal(shared(criterion), importance, we_meet, competitor_meets, shared(competitor), assessed_on)
        )


def load_tickets(data: dict[int, CustomerData], ids, as_of: date, p: QualityParameters) -> None:
    """Tickets open at the end of the day, or resolved within the longest look-back.

    Resolution, first response and escalation after the date count as not yet happened; so does
    a satisfaction given after it (``_satisfaction_as_of``).
    """
    until = day_end(as_of)
    since = until - timedelta(days=max(p.lookback_days, p.satisfaction_lookback_days, p.activity_lookback_days))
    rows = (
        Ticket.objects.filter(customer_id__in=ids, opened_at__lt=until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .annotate(satisfaction_as_of=_satisfaction_as_of(as_of))
        .order_by("customer_id", "opened_at", "pk")
        .values_list(
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
            "satisfaction_as_of",
        )
    )
    shared = _Shared()
    for customer_id, kind, category, severity, subject, *moments, satisfaction in rows:
        data[customer_id].tickets.append(
            TicketSignal(shared(kind), shared(category), shared(severity), subject, *moments, satisfaction or None)
        )


def _satisfaction_as_of(as_of: date) -> Case:
    """The satisfaction as of the date, by the history rule of ``as_of``: a rating given after the
    date reads as none yet. One correlated subquery per ticket with a rating; 0 stands for "no
    rating on the picked row", so that NULL is left to mean "no history": then the current one."""
    history = Ticket.history.model
    picked = Subquery(
        history.objects.filter(id=OuterRef("pk"))
        .order_by(*history_as_of_order(as_of))
        .annotate(rating=Coalesce("satisfaction", Value(0)))
        .values("rating")[:1]
    )
    return Case(
        When(satisfaction__isnull=True, then=Value(None)),
        default=Coalesce(picked, F("satisfaction")),
        output_field=PositiveSmallIntegerField(),
    )


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
        .values_list(
            "customer_id",
            "product__name",
            "our_price",
            "market_average_price",
            "competitor__name",
            "competitor_quote",
            "observed_on",
        )
    )
    shared = _Shared()
    for customer_id, product, our_price, market_price, competitor, quote, observed_on in rows:
        data[customer_id].benchmarks.append(
            BenchmarkSignal(shared(product), our_price, market_price, shared(competitor), quote, observed_on)
        )


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


def load_intel(data: dict[int, CustomerData], ids, as_of: date) -> None:
    """Competitor intelligence noted in the recent window up to the date: per customer, how many
    entries and the latest one (one query; evidence for the reasons, never scored)."""
    rows = (
        CompetitorIntel.objects.filter(
            customer_id__in=ids, noted_on__lte=as_of, noted_on__gt=as_of - timedelta(days=INTEL_RECENT_DAYS)
        )
        .annotate(
            entries=Window(Count("pk"), partition_by=[F("customer_id")]),
            latest=Window(
                RowNumber(), partition_by=[F("customer_id")], order_by=[F("noted_on").desc(), F("pk").desc()]
            ),
        )
        .filter(latest=1)
        .order_by()
        .values_list("customer_id", "entries", "competitor__name", "kind", "noted_on")
    )
    for customer_id, entries, competitor, kind, noted_on in rows:
        data[customer_id].intel = {
            "count": entries,
            "competitor": competitor,
            "kind": kind,
            "noted_on": as_date(noted_on),
        }


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
