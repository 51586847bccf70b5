"""What the workspace's pages share: the latest scored day, cleaned search text, cadences with
their due dates, overdue tickets, chunking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import GreaterThanOrEqual

from relationships.models import Cadence, Interaction

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


class AddDays(Func):
    """A date plus a number of days held in another column (date + integer on PostgreSQL).

    Held at 9999-12-31, the last date Python can read (`clock.add_days` in SQL): a date stored
    before the range was enforced must not make the row unreadable. SQLite's ``date()`` already
    answers NULL (no due date) past it."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="LEAST((%(expressions)s), DATE '9999-12-31')", arg_joiner=" + ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )


def cadences_with_due(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Cadences still running, each with ``due_on``: one interval after its last interaction of the
    agreed kind, or after its start when there has been none (the rule the risk score uses)."""
    last_matching = (
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=today
        )
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    return (
        cadences.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        # An alias, not a column: the subquery appears once in the SQL, inside due_on.
        .alias(last_on=Subquery(last_matching, output_field=DateField()))
        .annotate(
            due_on=AddDays(
                Greatest(Coalesce(F("last_on"), F("starts_on")), F("starts_on"), output_field=DateField()),
                F("interval_days"),
            )
        )
    )


def overdue_cadences(cadences: QuerySet[Cadence], *, today: date) -> QuerySet[Cadence]:
    """Running cadences due before today. Said as "no matching interaction recent enough" (an
    anti-join the index answers) so the due date is worked out only for the overdue ones."""
    recent_enough = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), occurred_on__lte=today
    ).filter(GreaterThanOrEqual(AddDays(F("occurred_on"), OuterRef("interval_days")), today))
    return cadences_with_due(cadences.filter(starts_on__lt=today).filter(~Exists(recent_enough)), today=today).filter(
        due_on__lt=today
    )


def overdue_ticket_q(now: datetime) -> Q:
    """An open ticket whose first response or resolution is late. A ticket waiting for its
    customer has its SLA clock paused: it is late only if it was late when the wait began."""
    clock = Coalesce(F("sla_paused_at"), Value(now))
    return Q(response_due_at__lt=clock, first_response_at__isnull=True) | Q(resolution_due_at__lt=clock)


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk
