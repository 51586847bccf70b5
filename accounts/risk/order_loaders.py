"""The loaders over orders and their delivery lines, the largest tables the scorer reads.

Each runs one query over every customer in scope and files its rows on the customers'
``CustomerData`` (see ``loaders``). The order gaps and the delivery counts are written in SQL
for each database: PostgreSQL gets the form that reads least.
"""

import threading
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Count, F, FloatField, Max, Min, Q, Sum
from django.db.models.functions import Cast

from accounts.models import Customer, DeliveryLine, Order

from . import purchase_model
from .as_of import records_as_of_sql
from .parameters import PurchaseTrendParameters, SupplyParameters
from .signals import CustomerData, DeliverySignal, OrderSignal, PurchaseSignal


def order_aggregates(as_of: date, window_days: int):
    """Per customer with an order on or before the date, in one pass over the orders: revenue in
    the last ``window_days`` and in the same window a year earlier (with its orders), revenue and
    orders over the last 365 days, first and last order day, orders and distinct order days."""
    recent_from = as_of - timedelta(days=window_days)
    year_ago_to = as_of - timedelta(days=365)
    year_ago_from = year_ago_to - timedelta(days=window_days)
    return (
        Order.objects.filter(ordered_on__lte=as_of)
        .order_by()
        .values("customer_id")
        .annotate(
            revenue_recent=as_float(Sum("amount", filter=Q(ordered_on__gt=recent_from))),
            revenue_year_ago=as_float(
                Sum("amount", filter=Q(ordered_on__gt=year_ago_from, ordered_on__lte=year_ago_to))
            ),
            orders_year_ago=Count("pk", filter=Q(ordered_on__gt=year_ago_from, ordered_on__lte=year_ago_to)),
            revenue_12m=Sum("amount", filter=Q(ordered_on__gt=year_ago_to)),
            orders_12m=Count("pk", filter=Q(ordered_on__gt=year_ago_to)),
            first_order_on=Min("ordered_on"),
            last_order_on=Max("ordered_on"),
            order_count=Count("pk"),
            order_days=Count("ordered_on", distinct=True),
        )
    )


def as_float(aggregate):
    """A sum or mean the factors only use as a float: on PostgreSQL the server converts it (to the
    same value as ``float(Decimal)`` would), sparing some 270,000 Decimals a night."""
    return Cast(aggregate, FloatField()) if connection.vendor == "postgresql" else aggregate


def load_orders(data: dict[int, CustomerData], ids, as_of: date, p: PurchaseTrendParameters) -> None:
    """Each customer's orders (``order_aggregates``), and its chance of no order in the next
    ``lapse_horizon_days`` from the purchase model.

    The aggregate covers the whole book, not only the customers in scope (``ids`` is not needed):
    the model is fitted on every customer that ever ordered by the date, since the customers who
    stopped are what teaches it how buying ends. A second query gives the count, sum and sum of
    squares of each customer's last ``recent_gaps`` gaps between order days. The book's typical
    yearly revenue (the median over the customers who ordered in the last 365 days) is kept beside
    each customer's for the size signal.
    """
    settings = p.purchase_model
    gaps = _recent_gaps(as_of, int(settings["recent_gaps"]))
    customer_ids, firsts, revenues, rows = [], [], [], []
    for row in order_aggregates(as_of, p.window_days):
        customer_id = row.pop("customer_id")
        revenue_12m = row["revenue_12m"] or Decimal(0)
        customer_ids.append(customer_id)
        firsts.append(row["first_order_on"])
        revenues.append(float(revenue_12m))
        rows.append((row["order_days"], (as_of - row["last_order_on"]).days, *gaps.get(customer_id, (0, 0, 0))))
        customer = data.get(customer_id)
        if customer is not None:
            customer.orders = OrderSignal(
                revenue_recent=row["revenue_recent"] or 0,
                revenue_year_ago=row["revenue_year_ago"] or 0,
                orders_year_ago=row["orders_year_ago"],
                revenue_12m=revenue_12m,
                last_order_on=row["last_order_on"],
                order_count=row["order_count"],
            )
    if not rows:
        return
    # The typical account's revenue: the median over the customers who ordered in the last year.
    buying = [r for r in revenues if r > 0]
    typical_revenue = float(np.median(buying)) if buying else 0.0
    histories = purchase_model.Histories.of(rows)
    model = purchase_model.fit(
        histories,
        default_gap_days=settings["default_gap_days"],
        prior_gaps=settings["prior_gaps"],
        regularity=settings["regularity"],
        dropout=settings["dropout"],
    )
    horizon = p.lapse_horizon_days
    no_order = purchase_model.chance_of_no_order(model, histories, horizon)
    gap = purchase_model.mean_gap(histories, model.typical_gap_days, model.prior_gaps)
    for i, customer_id in enumerate(customer_ids):
        customer = data.get(customer_id)
        if customer is not None:
            customer.purchase = PurchaseSignal(
                first_order_on=firsts[i],
                order_days=int(histories.order_days[i]),
                no_order_chance=float(no_order[i]),
                usual_gap_days=float(gap[i]),
                horizon_days=horizon,
                revenue_12m=revenues[i],
                typical_revenue_12m=typical_revenue,
            )


def _recent_gaps(as_of: date, recent: int) -> dict[int, tuple[int, float, float]]:
    """Per customer with two order days or more by the date: how many of its last ``recent`` gaps
    between distinct order days there are, their sum and the sum of their squares (days).

    PostgreSQL reads only each customer's last days off the index on (customer_id, ordered_on)
    (a LATERAL subquery); elsewhere one pass over the distinct order days numbers them from the
    newest (ROW_NUMBER) and takes each one's gap to the one before (LAG).
    """
    order_table = connection.ops.quote_name(Order._meta.db_table)
    customer_table = connection.ops.quote_name(Customer._meta.db_table)
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT customer.id, gaps.n, gaps.total, gaps.squares
            FROM {customer_table} AS customer
            CROSS JOIN LATERAL (
                SELECT COUNT(gap) AS n, SUM(gap) AS total, SUM(gap * gap) AS squares
                FROM (
                    SELECT day - LEAD(day) OVER (ORDER BY day DESC) AS gap
                    FROM (
                        SELECT DISTINCT ordered_on AS day FROM {order_table}
                        WHERE customer_id = customer.id AND ordered_on <= %s
                        ORDER BY day DESC LIMIT %s
                    ) AS last_days
                ) AS day_gaps
            ) AS gaps
            WHERE gaps.n > 0
        """
        params = [as_of, recent + 1]
    else:
        sql = f"""
            WITH numbered AS (
                SELECT customer_id,
                       julianday(ordered_on) - julianday(LAG(ordered_on) OVER (
                           PARTITION BY customer_id ORDER BY ordered_on)) AS gap,
                       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ordered_on DESC) AS back
                FROM (SELECT DISTINCT customer_id, ordered_on FROM {order_table} WHERE ordered_on <= %s)
            )
            SELECT customer_id, COUNT(gap), SUM(gap), SUM(gap * gap) FROM numbered
            WHERE back <= %s AND gap IS NOT NULL
            GROUP BY customer_id
        """
        params = [connection.ops.adapt_datefield_value(as_of), recent]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: (int(n), float(total), float(squares)) for pk, n, total, squares in cursor.fetchall()}


def load_deliveries(
    data: dict[int, CustomerData],
    ids,
    as_of: date,
    p: SupplyParameters,
    customers_read: threading.Event | None = None,
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
    lookback_from = as_of - timedelta(days=max(p.peak_lookback_days, p.otif_window_days))
    recent_from = as_of - timedelta(days=p.otif_window_days)
    peak_from = as_of - timedelta(days=p.peak_lookback_days)
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
        data[customer_id].deliveries = DeliverySignal(lines_recent, hits_recent, peak_lines, peak_hits)


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
    # The customers' peak months as of the date, from their history (``as_of``).
    customers_sql, customers_params = records_as_of_sql(
        Customer,
        ["peak_months"],
        as_of=as_of,
        columns=["id"],
        where_sql=f"c.id IN ({scope_sql})",
        where_params=scope_params,
    )
    in_peak = "cardinality(array_positions(peak.months, EXTRACT(MONTH FROM l.promised_on)::integer))"
    sql = f"""
        WITH peak AS MATERIALIZED (
            SELECT c.id AS customer_id, array_agg(month.value::numeric::integer) AS months
            FROM ({customers_sql}) c
            CROSS JOIN LATERAL jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(c.peak_months) = 'array' THEN c.peak_months ELSE '[]'::jsonb END
            ) AS month(value)
            WHERE month.value ~ '^[0-9]+$' AND month.value::numeric BETWEEN 1 AND 12
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
        *customers_params,
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
