"""What the workspace's pages share: the latest scored day (with a manager's customers' ids),
cleaned search text, cadences with their due dates, overdue tickets, chunking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan

import accounts.permissions as access
from keyaccounts.clock import as_date
from relationships.cadence_due import (
    current_due,
    due_from,
    last_matching,
    stored_due_is_current,
    stored_due_is_stale,
)
from relationships.models import Cadence

from ..models import (
    RiskSnapshot,
)
from ..permissions import own_customer_ids, sees_part_of_the_book
from ..standing import latest_day

MAX_QUERY_LENGTH = 100


def clean_query(raw: str | None) -> str:
    """A search text as typed, with runs of blanks collapsed and capped in length."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def latest_scored_on() -> date | None:
    """The newest day with risk snapshots. The nightly recompute writes a day in one transaction,
    so every customer scored that night has its row for this day."""
    return latest_day()


def customer_ids_and_day(user) -> tuple[list[int] | None, date | None]:
    """The ids of the customers of a user who sees part of the book (as ``own_customer_id_list``:
    None past ``CUSTOMER_ID_LIST_LIMIT``) and the latest scoring day, in one query; for anyone
    else None and the day. The day is a constant of the queries that follow, so that PostgreSQL
    plans them on the day's snapshot partition alone."""
    if not sees_part_of_the_book(user):
        return None, latest_scored_on()
    ids_sql, params = own_customer_ids(user).query.sql_with_params()
    snapshots = connection.ops.quote_name(RiskSnapshot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(as_of) FROM {snapshots}), ids.pk FROM ({ids_sql}) ids LIMIT %s",
            [*params, access.CUSTOMER_ID_LIST_LIMIT + 1],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], None  # no customers: nothing is read for a day
    day = as_date(rows[0][0])
    return access.capped_id_list([pk for _day, pk in rows]), day


def cadences_with_due(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Cadences still running, each with ``next_due_on``: one interval after its last interaction of
    the agreed kind, or after its start when there has been none (the rule the risk score uses).
    Read from the cadence's stored dates (relationships.cadence_due), worked out only where they
    do not answer for ``today``."""
    return cadences.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).annotate(next_due_on=current_due(today))


def overdue_cadences(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Running cadences due before today, each with ``next_due_on``: the stored due date where it
    answers for today, the rule worked out for the few other rows (for a handful of customers;
    over a whole book see ``overdue_cadence_parts``)."""
    stored = Q(stored_due_is_current(today), due_on__lt=today)
    worked_out = stored_due_is_stale(today) & Q(LessThan(due_from(last_matching(today)), today))
    return cadences_with_due(cadences.filter(starts_on__lt=today), today=today).filter(stored | worked_out)


def overdue_cadence_parts(cadences: QuerySet[Cadence], *, today: date) -> tuple[QuerySet, QuerySet]:
    """The running cadences due before today in two parts: those whose stored due date answers
    for today (a comparison of columns), and the few whose due date must be worked out (found
    through the indexes on the stored dates, so that neither the plan nor its cost estimate
    carries the correlated subquery over every cadence)."""
    running = cadences.filter(starts_on__lt=today).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    by_stored_date = running.filter(stored_due_is_current(today), due_on__lt=today)
    worked_out = running.filter(stored_due_is_stale(today)).filter(LessThan(due_from(last_matching(today)), today))
    return by_stored_date, worked_out


def overdue_ticket_q(now: datetime) -> Q:
    """An open ticket whose first response or resolution is late. A ticket waiting for its
    customer has its SLA clock paused: it is late only if it was late when the wait began."""
    clock = Coalesce(F("sla_paused_at"), Value(now))
    return Q(response_due_at__lt=clock, first_response_at__isnull=True) | Q(resolution_due_at__lt=clock)


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk
