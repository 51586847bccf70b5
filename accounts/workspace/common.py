"""What the workspace's pages share: the latest scored day, cleaned search text, cadences with
their due dates, overdue tickets, chunking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from django.db.models import F, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan

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

MAX_QUERY_LENGTH = 100


def clean_query(raw: str | None) -> str:
    """A search text as typed, with runs of blanks collapsed and capped in length."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def latest_scored_on() -> date | None:
    """The newest day with risk snapshots. The nightly recompute writes a day in one transaction,
    so every customer scored that night has its row for this day."""
    return RiskSnapshot.objects.aggregate(day=Max("as_of"))["day"]


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
