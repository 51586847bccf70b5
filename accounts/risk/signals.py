"""Gathering the raw signals for a whole set of customers, as of a date, in a fixed number of queries.

Each ``_load_*`` function runs one query over every customer in scope (GROUP BY, conditional
aggregation, window functions or a correlated subquery evaluated by the database) and files its
rows on the customers' ``CustomerData``. Nothing here runs a query per customer, so the number of
queries is the same for five customers or a hundred thousand.

Only records dated on or before the as-of date are read; datetimes are compared with the end of
that day in ``settings.TIME_ZONE``. Things that have no history in the data model are read as they
are now: the customer's relationship level, peak months, tier, backup owner and account team.
"""

import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import orjson
from django.db import connection, transaction
from django.db.models import Avg, Count, F, FloatField, Max, OuterRef, Q, QuerySet, Subquery, Sum, TextField, Window
from django.db.models.functions import Cast, RowNumber

from accounts.models import (
    AccountPlan,
    Customer,
    CustomerStatus,
    DeliveryLine,
    Incentive,
    Order,
    PriceBenchmark,
    ProductNeed,
    PurchaseCriterion,
)
from complaints.models import Ticket
from keyaccounts.clock import day_end
from relationships.models import EXECUTIVE_LEVEL_KINDS, BuyingRole, Cadence, Contact, Interaction


@dataclass(slots=True)
class CustomerData:
    """Everything the factors read about one customer as of the date (raw, not yet scored)."""

    customer_id: int
    relationship_level: int
    peak_months: list[int]
    tier: str
    our_people: int
    orders: dict | None = None
    order_gap: dict | None = None
    # Lines promised in the look-back: lines and hits, recent and in the customer's peak months.
    deliveries: dict | None = None
    contacts: dict | None = None
    departed_key_people: list[dict] = field(default_factory=list)
    interactions: dict | None = None
    cadences: list[dict] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    benchmarks: list[dict] = field(default_factory=list)
    plan_reviewed_on: date | None = None
    open_needs: list[dict] = field(default_factory=list)
    active_incentives: int = 0


def customers_active_on(as_of: date, customer_ids=None) -> QuerySet[Customer]:
    """Customers who were customers on the date: since on or before it, not churned by then."""
    customers = Customer.objects.filter(customer_since__lte=as_of).filter(
        Q(status=CustomerStatus.ACTIVE) | Q(churned_on__gt=as_of)
    )
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    return customers.order_by()


# Above this many customers on PostgreSQL the loaders run over several connections at once, all
# reading one exported snapshot; below it one connection is as quick and cheaper to open.
PARALLEL_READ_MIN_CUSTOMERS = 20_000


def read_connections() -> int:
    """How many connections read a large book at once: one per core plus one, two to four.

    Loading is spent partly in the database server and partly in Python turning rows into
    values, one thread at a time: with a connection more than there are cores, the server's
    processes keep every core busy while Python works through another connection's rows.
    """
    return max(2, min((os.cpu_count() or 1) + 1, 4))


def collect(
    *,
    scope: QuerySet[Customer],
    as_of: date,
    parameters: dict,
    also: Iterable[Callable[[], None]] = (),
    expected: int | None = None,
) -> dict[int, CustomerData]:
    """Raw signals for every customer in ``scope`` as of ``as_of``, keyed by customer id.

    ``also`` are further loading jobs of the caller (history, overrides), run with the loaders and
    reading the same data. ``expected`` is how many customers the scope was narrowed to, if it was.

    On PostgreSQL, outside a transaction, everything is read in one read-only REPEATABLE READ
    transaction, so all loaders see the database at one moment. For the whole book (or at least
    ``PARALLEL_READ_MIN_CUSTOMERS``) that snapshot is exported and the loaders share it over
    several connections (``read_connections``), longest first; the delivery lines, the longest
    query, start while the customers are still being read.
    """
    ids = scope.order_by().values("pk")
    with _one_snapshot() as snapshot_id:
        if snapshot_id is None or (expected is not None and expected < PARALLEL_READ_MIN_CUSTOMERS):
            data = _load_customers(scope)
            if data:
                for job in _loaders(data, ids, as_of, parameters, also):
                    job()
            return data

        data: dict[int, CustomerData] = {}
        customers_read = threading.Event()

        def customers() -> None:
            try:
                data.update(_load_customers(scope))
            finally:
                customers_read.set()

        # The first two jobs go one to each connection at once: the customers, and the delivery
        # lines, which file their rows only once the customers are there. Every later job is
        # taken after one of those two has finished, so after the customers are in.
        jobs = [
            customers,
            partial(_load_deliveries, data, ids, as_of, parameters["supply"], customers_read=customers_read),
            *_loaders(data, ids, as_of, parameters, also, deliveries=False),
        ]
        _run_on_connections(jobs, snapshot_id, read_connections())
    return data


def _loaders(data, ids, as_of: date, parameters: dict, also, *, deliveries: bool = True) -> list[Callable[[], None]]:
    """The loading jobs, roughly longest first, so that parallel connections finish together."""
    purchase_trend = parameters["purchase_trend"]
    return [
        *([partial(_load_deliveries, data, ids, as_of, parameters["supply"])] if deliveries else []),
        partial(_load_order_gaps, data, ids, as_of, purchase_trend),
        partial(_load_orders, data, ids, as_of, purchase_trend),
        partial(_load_contacts, data, ids, as_of, parameters["relationship"]),
        partial(_load_criteria, data, ids, as_of),
        partial(_load_tickets, data, ids, as_of, parameters["quality"]),
        partial(_load_benchmarks, data, ids, as_of, parameters["price"]),
        *also,
        partial(_load_interactions, data, ids, as_of),
        partial(_load_team, data, ids),
        partial(_load_cadences, data, ids, as_of),
        partial(_load_needs, data, ids, as_of),
        partial(_load_plans, data, ids, as_of),
        partial(_load_departed_key_people, data, ids, as_of),
        partial(_load_incentives, data, ids, as_of),
    ]


@contextmanager
def _one_snapshot():
    """A read-only REPEATABLE READ transaction whose snapshot is exported; yields its id.

    Yields None, and opens nothing, inside a caller's transaction (whose uncommitted rows other
    connections could not see) or on a database other than PostgreSQL.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        yield snapshot_id


_NO_PARALLEL_WORKERS = "SET LOCAL max_parallel_workers_per_gather = 0"


def _run_on_connections(jobs: list[Callable[[], None]], snapshot_id: str, connections: int) -> None:
    """Run the jobs on this thread's connection and ``connections - 1`` more, all in one snapshot.

    Each helper thread opens its own connection, imports the snapshot and takes the next job
    until none is left. The loaders file their rows on different fields of the customers'
    records, so they never write the same thing. The first error is raised once all have stopped.
    """
    pending = deque(jobs)
    errors: list[BaseException] = []

    def work() -> None:
        while not errors:
            try:
                job = pending.popleft()
            except IndexError:
                return
            try:
                job()
            except BaseException as error:  # re-raised in the calling thread
                errors.append(error)

    def helper() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
                cursor.execute(_NO_PARALLEL_WORKERS)
                work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    with connection.cursor() as cursor:
        cursor.execute(_NO_PARALLEL_WORKERS)
    threads = [threading.Thread(target=helper, name=f"risk-read-{n}") for n in range(1, connections)]
    for thread in threads:
        thread.start()
    work()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _load_customers(scope: QuerySet[Customer]) -> dict[int, CustomerData]:
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
            # The owner, plus the backup owner; the account team is added by _load_team.
            our_people=2 if backup_owner_id else 1,
        )
        for pk, relationship_level, peak_months, tier, backup_owner_id in rows
    }


def _months(text: str | None) -> list[int]:
    """Calendar months from a customer's peak-months JSON; anything that is not a whole number is ignored."""
    if not text or text == "[]":
        return []
    return [int(m) for m in (orjson.loads(text) or []) if str(m).isdigit()]


def _load_team(data: dict[int, CustomerData], ids) -> None:
    through = Customer.account_team.through
    rows = (
        through.objects.filter(customer_id__in=ids)
        .exclude(user_id=F("customer__owner_id"))
        .values("customer_id", "user_id", "customer__backup_owner_id")
    )
    for row in rows:
        if row["user_id"] != row["customer__backup_owner_id"]:
            data[row["customer_id"]].our_people += 1


def _load_orders(data: dict[int, CustomerData], ids, as_of: date, p: dict) -> None:
    window = p["window_days"]
    recent_from = as_of - timedelta(days=window)
    year_ago_to = as_of - timedelta(days=365)
    year_ago_from = year_ago_to - timedelta(days=window)
    twelve_months_from = as_of - timedelta(days=365)
    rows = (
        Order.objects.filter(customer_id__in=ids, ordered_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(
            revenue_recent=_as_float(Sum("amount", filter=Q(ordered_on__gt=recent_from))),
            revenue_year_ago=_as_float(
                Sum("amount", filter=Q(ordered_on__gt=year_ago_from, ordered_on__lte=year_ago_to))
            ),
            orders_year_ago=Count("pk", filter=Q(ordered_on__gt=year_ago_from, ordered_on__lte=year_ago_to)),
            revenue_12m=Sum("amount", filter=Q(ordered_on__gt=twelve_months_from)),
            orders_12m=Count("pk", filter=Q(ordered_on__gt=twelve_months_from)),
            last_order_on=Max("ordered_on"),
            order_count=Count("pk"),
        )
    )
    for row in rows:
        data[row.pop("customer_id")].orders = {
            **row,
            "revenue_recent": row["revenue_recent"] or 0,
            "revenue_year_ago": row["revenue_year_ago"] or 0,
            "revenue_12m": row["revenue_12m"] or Decimal(0),
        }


def _as_float(aggregate):
    """A sum or mean the factors only use as a float: on PostgreSQL the server converts it (to the
    same value as ``float(Decimal)`` would), sparing some 270,000 Decimals a night."""
    return Cast(aggregate, FloatField()) if connection.vendor == "postgresql" else aggregate


def _load_order_gaps(data: dict[int, CustomerData], ids, as_of: date, p: dict) -> None:
    """Median days between the customer's last ``order_gap_sample`` + 1 distinct order days.

    PostgreSQL reads, per customer, only those last days, newest first, off the index on
    (customer_id, ordered_on) (a LATERAL subquery), and takes the median of their gaps with
    ``percentile_cont`` (the mean of the two middle gaps for an even count). Elsewhere one pass
    over the distinct order days in (customer, day) order gives each day's gap (LAG) and how many
    days came after it, and the middle is found with ROW_NUMBER and COUNT. Only customers with at
    least one gap come back.
    """
    scope_sql, scope_params = ids.query.sql_with_params()
    order_table = connection.ops.quote_name(Order._meta.db_table)
    sample = int(p["order_gap_sample"])
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT scope.id, gaps.median_gap, gaps.gap_count
            FROM ({scope_sql}) AS scope (id)
            CROSS JOIN LATERAL (
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap, COUNT(*) AS gap_count
                FROM (
                    SELECT day - LEAD(day) OVER (ORDER BY day DESC) AS gap
                    FROM (
                        SELECT DISTINCT ordered_on AS day FROM {order_table}
                        WHERE customer_id = scope.id AND ordered_on <= %s
                        ORDER BY day DESC LIMIT %s
                    ) AS last_days
                ) AS day_gaps
                WHERE gap IS NOT NULL
            ) AS gaps
            WHERE gaps.gap_count > 0
        """
        params = [*scope_params, as_of, sample + 1]
    else:
        sql = f"""
            WITH days AS (
                SELECT customer_id,
                       CAST(julianday(ordered_on) - julianday(LAG(ordered_on) OVER w) AS INTEGER) AS gap,
                       COUNT(*) OVER (PARTITION BY customer_id) - ROW_NUMBER() OVER w AS later_days
                FROM (
                    SELECT DISTINCT customer_id, ordered_on FROM {order_table}
                    WHERE ordered_on <= %s AND customer_id IN ({scope_sql})
                ) AS distinct_days
                WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_on)
            ),
            gaps AS (SELECT customer_id, gap FROM days WHERE gap IS NOT NULL AND later_days < %s),
            ranked AS (
                SELECT customer_id, gap,
                       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY gap) AS position,
                       COUNT(*) OVER (PARTITION BY customer_id) AS gap_count
                FROM gaps
            )
            SELECT customer_id, AVG(gap), MAX(gap_count) FROM ranked
            WHERE position IN ((gap_count + 1) / 2, (gap_count + 2) / 2)
            GROUP BY customer_id
        """
        params = [connection.ops.adapt_datefield_value(as_of), *scope_params, sample]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for customer_id, median_gap, gap_count in cursor.fetchall():
            data[customer_id].order_gap = {"median_days": float(median_gap), "gaps": int(gap_count)}


def _load_deliveries(
    data: dict[int, CustomerData], ids, as_of: date, p: dict, customers_read: threading.Event | None = None
) -> None:
    """Lines promised in the look-back: recent lines and hits, and those in the peak months.

    A hit is on time in full as of the date: delivered no later than promised (so no later than
    the date itself) with the full quantity. A line delivered after the date is a miss. A peak
    month listed twice in a customer's peak months counts twice.

    On PostgreSQL each customer's peak months are read from the customer table as an array and
    joined to the lines by customer, so the one pass over the lines needs four counts per
    customer instead of two per calendar month, and the query does not wait for the customers to
    be loaded here (``customers_read``, when given, is awaited before the rows are filed).
    Elsewhere the lines are counted per calendar month and the peak months added up here.
    """
    lookback_from = as_of - timedelta(days=max(p["peak_lookback_days"], p["otif_window_days"]))
    recent_from = as_of - timedelta(days=p["otif_window_days"])
    peak_from = as_of - timedelta(days=p["peak_lookback_days"])
    if connection.vendor == "postgresql":
        rows = _count_deliveries_postgresql(ids, as_of, lookback_from, recent_from, peak_from)
        if customers_read is not None:
            customers_read.wait()
    else:
        peak_months = Counter(
            (customer.customer_id, month)
            for customer in data.values()
            for month in customer.peak_months
            if 1 <= month <= 12
        )
        rows = _count_deliveries_per_month(ids, as_of, lookback_from, recent_from, peak_from, peak_months)
    for customer_id, lines_recent, hits_recent, peak_lines, peak_hits in rows:
        data[customer_id].deliveries = {
            "lines_recent": lines_recent,
            "hits_recent": hits_recent,
            "peak_lines": peak_lines,
            "peak_hits": peak_hits,
        }


_DELIVERY_HIT = (
    "l.delivered_on IS NOT NULL AND l.delivered_on <= l.promised_on AND l.quantity_delivered >= l.quantity_ordered"
)


def _count_deliveries_postgresql(ids, as_of, lookback_from, recent_from, peak_from):
    """Per customer: recent lines and hits, and lines and hits in peak months, each counted as
    many times as its month is listed (``array_positions`` finds every listing).

    Peak months are taken as ``_months`` does: whole numbers (JSON numbers or digit strings)
    from 1 to 12.
    """
    scope_sql, scope_params = ids.query.sql_with_params()
    line_table = connection.ops.quote_name(DeliveryLine._meta.db_table)
    order_table = connection.ops.quote_name(Order._meta.db_table)
    customer_table = connection.ops.quote_name(Customer._meta.db_table)
    in_peak = "cardinality(array_positions(peak.months, EXTRACT(MONTH FROM l.promised_on)::integer))"
    sql = f"""
        WITH peak AS MATERIALIZED (
            SELECT c.id AS customer_id, array_agg(month.value::numeric::integer) AS months
            FROM {customer_table} c
            CROSS JOIN LATERAL jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(c.peak_months) = 'array' THEN c.peak_months ELSE '[]'::jsonb END
            ) AS month(value)
            WHERE c.id IN ({scope_sql}) AND month.value ~ '^[0-9]+$' AND month.value::numeric BETWEEN 1 AND 12
            GROUP BY c.id
        )
        SELECT o.customer_id,
               COUNT(*) FILTER (WHERE l.promised_on > %s),
               COUNT(*) FILTER (WHERE l.promised_on > %s AND {_DELIVERY_HIT}),
               COALESCE(SUM({in_peak}) FILTER (WHERE l.promised_on > %s), 0),
               COALESCE(SUM({in_peak}) FILTER (WHERE l.promised_on > %s AND {_DELIVERY_HIT}), 0)
        FROM {line_table} l
        JOIN {order_table} o ON o.id = l.order_id
        LEFT JOIN peak ON peak.customer_id = o.customer_id
        WHERE o.customer_id IN ({scope_sql}) AND o.ordered_on <= %s AND l.promised_on <= %s AND l.promised_on > %s
        GROUP BY o.customer_id
    """
    params = [
        *scope_params,
        recent_from,
        recent_from,
        peak_from,
        peak_from,
        *scope_params,
        as_of,
        as_of,
        lookback_from,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _count_deliveries_per_month(ids, as_of, lookback_from, recent_from, peak_from, peak_months: Counter):
    hit = Q(
        delivered_on__isnull=False,
        delivered_on__lte=F("promised_on"),
        quantity_delivered__gte=F("quantity_ordered"),
    )
    recent = Q(promised_on__gt=recent_from)
    peak = Q(promised_on__gt=peak_from)
    per_month = {}
    for month in range(1, 13):
        in_month = peak & Q(promised_on__month=month)
        per_month[f"lines_{month}"] = Count("pk", filter=in_month)
        per_month[f"hits_{month}"] = Count("pk", filter=in_month & hit)
    rows = (
        DeliveryLine.objects.filter(
            order__customer_id__in=ids,
            order__ordered_on__lte=as_of,
            promised_on__lte=as_of,
            promised_on__gt=lookback_from,
        )
        .order_by()
        .values("order__customer_id")
        .annotate(lines_recent=Count("pk", filter=recent), hits_recent=Count("pk", filter=recent & hit), **per_month)
        .values_list("order__customer_id", "lines_recent", "hits_recent", *per_month)
    )
    by_customer: dict[int, list[tuple[int, int]]] = {}
    for (customer_id, month), times in peak_months.items():
        by_customer.setdefault(customer_id, []).append((month, times))
    for customer_id, lines_recent, hits_recent, *months in rows:
        lines, hits = months[0::2], months[1::2]
        weights = by_customer.get(customer_id, [])
        yield (
            customer_id,
            lines_recent,
            hits_recent,
            sum(times * lines[month - 1] for month, times in weights),
            sum(times * hits[month - 1] for month, times in weights),
        )


def _load_contacts(data: dict[int, CustomerData], ids, as_of: date, p: dict) -> None:
    active = Q(left_on__isnull=True) | Q(left_on__gt=as_of)
    per_department = {
        f"department_{department}": Count("pk", filter=active & Q(department=department))
        for department in p["key_departments"]
    }
    rows = (
        Contact.objects.filter(customer_id__in=ids, joined_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(
            known=Count("pk"),
            active=Count("pk", filter=active),
            average_trust=_as_float(Avg("trust", filter=active)),
            active_decision_makers=Count("pk", filter=active & Q(buying_role=BuyingRole.DECISION_MAKER)),
            active_champions=Count("pk", filter=active & Q(buying_role=BuyingRole.CHAMPION)),
            # With exactly one active contact, the largest name is that contact's.
            an_active_name=Max("name", filter=active),
            **per_department,
        )
    )
    names = ["known", "active", "average_trust", "active_decision_makers", "active_champions", "an_active_name"]
    departments = p["key_departments"]
    for customer_id, *values in rows.values_list("customer_id", *names, *per_department):
        contacts = dict(zip(names, values, strict=False))
        contacts["departments"] = [d for d, count in zip(departments, values[len(names) :], strict=True) if count]
        data[customer_id].contacts = contacts


def _load_departed_key_people(data: dict[int, CustomerData], ids, as_of: date) -> None:
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


def _load_interactions(data: dict[int, CustomerData], ids, as_of: date) -> None:
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


def _load_cadences(data: dict[int, CustomerData], ids, as_of: date) -> None:
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


def _load_criteria(data: dict[int, CustomerData], ids, as_of: date) -> None:
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


def _load_tickets(data: dict[int, CustomerData], ids, as_of: date, p: dict) -> None:
    """Tickets open at the end of the day, or resolved within the longest look-back.

    Resolution, first response and escalation after the date count as not yet happened.
    """
    until = day_end(as_of)
    since = until - timedelta(
        days=max(p["lookback_days"], p["satisfaction_lookback_days"], p["activity_lookback_days"])
    )
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


def _load_benchmarks(data: dict[int, CustomerData], ids, as_of: date, p: dict) -> None:
    """Each product's latest price benchmark on or before the date, if not older than the limit."""
    rows = (
        PriceBenchmark.objects.filter(
            customer_id__in=ids,
            observed_on__lte=as_of,
            observed_on__gt=as_of - timedelta(days=p["max_age_days"]),
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


def _load_plans(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        AccountPlan.objects.filter(customer_id__in=ids, reviewed_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(last_reviewed_on=Max("reviewed_on"))
    )
    for row in rows:
        data[row["customer_id"]].plan_reviewed_on = row["last_reviewed_on"]


def _load_needs(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        ProductNeed.objects.filter(customer_id__in=ids, identified_on__lte=as_of)
        .filter(Q(met_on__isnull=True) | Q(met_on__gt=as_of))
        .order_by("customer_id", "identified_on", "pk")
        .values("customer_id", "description", "identified_on")
    )
    for row in rows:
        data[row.pop("customer_id")].open_needs.append(row)


def _load_incentives(data: dict[int, CustomerData], ids, as_of: date) -> None:
    rows = (
        Incentive.objects.filter(customer_id__in=ids, starts_on__lte=as_of, ends_on__gte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(running=Count("pk"))
    )
    for row in rows:
        data[row["customer_id"]].active_incentives = row["running"]
