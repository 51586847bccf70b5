"""The complaint analytics page's monthly figures, kept in ``ComplaintMonth`` so the page adds up a
few hundred stored rows a month instead of grouping (and testing for recurrence) every ticket.

What is stored: per month (in the project's time zone), customer, kind, department, severity and
category, the counts and sums of ````measures_of```` — sums and counts only, so any
set of rows adds up to exactly what the tickets would give; nothing on the page is a median or a
distinct count. Per customer, so the tier filter and the permissions (owner, backup owner,
account team) are applied to the customer as of the request, through the same door as the
tickets (``restrict``); and the whole book's rows (no customer), the customers' rows summed, which
those who see every customer read when they do not filter by tier.

How it stays true, and when the page reads a month from it (``complaints.analytics``):

- ``complaint_months_refresh()`` rebuilds every row in one transaction (DELETE, one
  INSERT … SELECT … GROUP BY over the tickets, one over those rows for the whole book): all or
  nothing, and running it again gives the same rows. A task of its own runs it after the night
  (``complaints.tasks.refresh_complaint_months``, 03:00);
  ``rebuild_complaint_months`` does by hand.
- Every save or delete of a ticket refreshes its customer's rows, and the whole book's rows of
  that customer's months, once the write has committed (``complaints.signals``); the ticket
  imports, which write without signals, refresh the customers they touched. A customer's rows
  hold all its months, so a changed category, a late resolution, a reopened ticket or an import
  of old tickets lands in the right month with the recurrences it changes.
- The page reads the current month from the tickets themselves, whatever the table holds, and so
  the months only partly in its period (a period from the 15th).
- A figure can change with time alone: a ticket not yet answered (resolved) turns missed when
  its deadline passes. Each row keeps the earliest such deadline after it was computed
  (``response_pending_due``, ``resolution_pending_due``); a month with a row whose deadline
  has passed is read from the tickets until the next refresh.
- A month is read from the table only if it ended before the oldest row was computed (the last
  full refresh): a table not refreshed for weeks answers for no month it has not seen whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, F, FloatField, Func, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from keyaccounts.clock import project_zone

from .models import ComplaintMonth, Ticket

# A ticket recurs when the same customer raised one of the same category within this many days before.
RECURRENCE_DAYS = 90
KEYS = ("month", "customer_id", "kind", "department", "severity", "category")
# The figures summed on the page (``measures_of``), and the deadlines kept.
COUNTS = (
    "tickets",
    "responded",
    "resolved",
    "responded_with_target",
    "resolved_with_target",
    "response_hours_sum",
    "response_target_sum",
    "resolution_hours_sum",
    "resolution_target_sum",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "recurrent",
)
SUMS = ("response_hours_sum", "response_target_sum", "resolution_hours_sum", "resolution_target_sum")
FIGURES = (*COUNTS, "response_pending_due", "resolution_pending_due")

# PostgreSQL advisory lock of the refresh ("KA" + 3): a full rebuild and a customer's refresh
# wait for each other, so neither deletes rows the other is writing.
MONTHS_LOCK_CLASS = 0x4B41 + 3

logger = logging.getLogger(__name__)


class HoursBetween(Func):
    """Hours from ``start`` to ``end`` as a number (NULL when either is missing)."""

    arity = 2
    output_field = FloatField()

    def _compiled(self, compiler):
        return [compiler.compile(expression) for expression in self.get_source_expressions()]

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = self._compiled(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)", (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):
        (start, start_params), (end, end_params) = self._compiled(compiler)
        return f"((julianday({end}) - julianday({start})) * 24.0)", (*end_params, *start_params)


def recurs() -> Exists:
    """The ticket's customer raised a ticket of the same category in the RECURRENCE_DAYS before it."""
    return Exists(
        Ticket.objects.filter(
            customer_id=OuterRef("customer_id"),
            category=OuterRef("category"),
            opened_at__lt=OuterRef("opened_at"),
            opened_at__gte=OuterRef("opened_at") - timedelta(days=RECURRENCE_DAYS),
        )
    )


def measures_of(now: datetime) -> dict:
    """Counts and sums from which every figure is derived. Sums and counts, not averages: cells
    of the fine breakdown add up to the coarser ones, so one query serves them all."""
    response_late = Q(first_response_at__gt=F("response_due_at")) | Q(
        first_response_at__isnull=True, response_due_at__lt=now
    )
    resolution_late = Q(resolved_at__gt=F("resolution_due_at")) | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
    responded = Q(first_response_at__isnull=False)
    resolved = Q(resolved_at__isnull=False)
    responded_with_target = responded & Q(response_due_at__isnull=False)
    resolved_with_target = resolved & Q(resolution_due_at__isnull=False)
    return {
        "tickets": Count("pk"),
        "responded": Count("pk", filter=responded),
        "resolved": Count("pk", filter=resolved),
        "responded_with_target": Count("pk", filter=responded_with_target),
        "resolved_with_target": Count("pk", filter=resolved_with_target),
        "response_hours_sum": Sum(HoursBetween(F("opened_at"), F("first_response_at")), filter=responded),
        "response_target_sum": Sum(HoursBetween(F("opened_at"), F("response_due_at")), filter=responded_with_target),
        "resolution_hours_sum": Sum(HoursBetween(F("opened_at"), F("resolved_at")), filter=resolved),
        "resolution_target_sum": Sum(HoursBetween(F("opened_at"), F("resolution_due_at")), filter=resolved_with_target),
        "response_met": Count("pk", filter=Q(first_response_at__lte=F("response_due_at"))),
        "response_missed": Count("pk", filter=response_late),
        "resolution_met": Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        "resolution_missed": Count("pk", filter=resolution_late),
        "recurrent": Count("pk", filter=Q(recurs=True)),
    }


def ticket_month() -> TruncMonth:
    """The first day of the month a ticket was opened in, in the project's time zone."""
    return TruncMonth("opened_at", output_field=DateField(), tzinfo=project_zone())


def _rows_sql(customer_ids: list[int] | None, now: datetime) -> tuple[str, list]:
    """The customers' rows (every customer's when ``customer_ids`` is None), as a SELECT."""
    measures = measures_of(now)
    for name in SUMS:
        measures[name] = Coalesce(measures[name], Value(0.0), output_field=FloatField())
    tickets = Ticket.objects.all()
    if customer_ids is not None:
        tickets = tickets.filter(customer_id__in=customer_ids)
    queryset = (
        tickets.alias(recurs=recurs())
        .annotate(month=ticket_month())
        .values(*KEYS)
        .annotate(
            **measures,
            response_pending_due=Min(
                "response_due_at", filter=Q(first_response_at__isnull=True, response_due_at__gte=now)
            ),
            resolution_pending_due=Min(
                "resolution_due_at", filter=Q(resolved_at__isnull=True, resolution_due_at__gte=now)
            ),
        )
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _table() -> str:
    return connection.ops.quote_name(ComplaintMonth._meta.db_table)


def _columns(*names: str) -> str:
    quoted = connection.ops.quote_name
    return ", ".join(quoted(ComplaintMonth._meta.get_field(name.removesuffix("_id")).column) for name in names)


def _write_customers(cursor, customer_ids: list[int] | None, now: datetime) -> int:
    """Insert the customers' rows, each with the customer's ticket count in all."""
    sql, params = _rows_sql(customer_ids, now)
    quoted = connection.ops.quote_name
    picked = ", ".join(f"q.{quoted(name)}" for name in (*KEYS, *FIGURES))
    cursor.execute(
        f"INSERT INTO {_table()} ({_columns(*KEYS, *FIGURES, 'customer_tickets', 'computed_at')}) "
        f"SELECT {picked}, SUM(q.tickets) OVER (PARTITION BY q.customer_id), %s FROM ({sql}) q",
        [now, *params],
    )
    return cursor.rowcount


def _write_book(cursor, cells: list[tuple] | None, now: datetime) -> None:
    """Replace the whole book's rows of ``cells`` — (month, kind, department, severity, category)
    keys; every row when None — with the sums of the customers' rows."""
    keys = [key for key in KEYS if key != "customer_id"]
    where, params = "", []
    if cells is not None:
        if not cells:
            return
        one = f"({', '.join(['%s'] * len(keys))})"
        where = f" AND ({', '.join(keys)}) IN ({', '.join([one] * len(cells))})"
        params = [value for cell in cells for value in cell]
    cursor.execute(f"DELETE FROM {_table()} WHERE customer_id IS NULL{where}", params)
    sums = ", ".join([f"SUM({name})" for name in COUNTS] + ["MIN(response_pending_due)", "MIN(resolution_pending_due)"])
    cursor.execute(
        f"INSERT INTO {_table()} ({_columns(*keys, *FIGURES, 'customer_tickets', 'computed_at')}) "
        f"SELECT {', '.join(keys)}, {sums}, 0, %s FROM {_table()} WHERE customer_id IS NOT NULL{where} "
        f"GROUP BY {', '.join(keys)}",
        [now, *params],
    )


@transaction.atomic
def complaint_months_refresh(customer_ids: Iterable[int | None] | None = None, *, now: datetime | None = None) -> int:
    """Replace the stored monthly figures — every customer's, or only ``customer_ids``' and the
    whole book's rows of their months — with ones computed from the tickets now, in one
    transaction. Returns the number of customer rows written.

    A customer's refresh before the first full one writes nothing: until then the page reads
    every month from the tickets anyway."""
    now = now or timezone.now()
    ids = None if customer_ids is None else sorted({pk for pk in customer_ids if pk is not None})
    if ids == []:
        return 0
    _one_writer()
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(f"DELETE FROM {_table()}")
            written = _write_customers(cursor, None, now)
            _write_book(cursor, None, now)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {_table()}")
            return written
        if not ComplaintMonth.objects.exists():
            return 0
        theirs = ComplaintMonth.objects.filter(customer_id__in=ids)
        before = _cells(theirs)
        theirs.delete()
        written = _write_customers(cursor, ids, now)
        after = _cells(theirs)
        # Only the whole book's rows whose figures moved: a customer has tickets in many months.
        moved = {key[:1] + key[2:] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        _write_book(cursor, sorted(moved), now)
        return written


def _cells(rows) -> dict[tuple, tuple]:
    """The rows' figures by their key, as the whole book's rows add them up."""
    return {row[: len(KEYS)]: row[len(KEYS) :] for row in rows.values_list(*KEYS, *FIGURES).order_by()}


def _one_writer() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [MONTHS_LOCK_CLASS])


def refresh_after_commit(customer_ids: Iterable[int | None]) -> None:
    """Refresh these customers' rows once the current transaction commits (right away outside
    one): the write's own transaction stays as it was, and a failed refresh leaves the rows to
    the night's refresh without undoing the write."""
    ids = {pk for pk in customer_ids if pk is not None}
    if not ids:
        return

    def run() -> None:
        try:
            complaint_months_refresh(ids)
        except Exception:  # the night's refresh puts it right; the write stands
            logger.exception("Refreshing the complaint months of customers %s failed.", sorted(ids))

    transaction.on_commit(run)
