"""Each cadence's due date, kept on the cadence instead of worked out on every page.

A cadence is due one interval after its last interaction of the agreed kind on or before the day
asked about, or after its start when there has been none since (the rule the risk score uses):
``due = max(starts_on, last matching interaction) + interval_days``. Interactions dated after the
day are not in force yet.

``refresh_cadence_due`` stores, for the day it runs on, the last matching interaction
(``last_met_on``), the first one after the day (``next_met_on``) and the due date (``due_on``). No
matching interaction lies between those two dates, so the stored due date is the rule's answer for
every day from ``last_met_on`` up to the day before ``next_met_on`` — whichever day it was stored
on. Readers use it on those days (``stored_due_is_current``) and work the rule out only for the
other rows: a future-dated interaction that has come into force since the refresh, a day asked
about before the last meeting, a row not yet refreshed. Every write of an interaction or a cadence
refreshes the customer's cadences (``relationships.signals`` and the bulk paths), and the nightly
job refreshes them all, so those rows stay rare.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Case, DateField, F, Func, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce, Greatest

from keyaccounts.clock import business_today

from .models import Cadence, Interaction


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


def _matching(today: date, *, after: bool = False):
    """The cadence's interactions of its kind on or before ``today`` (or after it)."""
    day = {"occurred_on__gt" if after else "occurred_on__lte": today}
    return Interaction.objects.filter(customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"), **day)


def last_matching(today: date) -> Subquery:
    """The date of the cadence's last interaction of its kind on or before ``today`` (correlated)."""
    return Subquery(_matching(today).order_by("-occurred_on").values("occurred_on")[:1], output_field=DateField())


def next_matching(today: date) -> Subquery:
    """The date of the cadence's first interaction of its kind after ``today`` (correlated)."""
    return Subquery(
        _matching(today, after=True).order_by("occurred_on").values("occurred_on")[:1], output_field=DateField()
    )


def due_from(last_on) -> AddDays:
    """The rule: one interval after the later of the start and the last matching interaction."""
    return AddDays(
        Greatest(Coalesce(last_on, F("starts_on")), F("starts_on"), output_field=DateField()), F("interval_days")
    )


def stored_due_is_current(today: date) -> Q:
    """The stored dates answer for ``today``: refreshed, and no matching interaction has come into
    force since (nor is ``today`` before the stored last one)."""
    return (
        Q(due_on__isnull=False)
        & (Q(last_met_on__isnull=True) | Q(last_met_on__lte=today))
        & (Q(next_met_on__isnull=True) | Q(next_met_on__gt=today))
    )


def stored_due_is_stale(today: date) -> Q:
    """The negation of ``stored_due_is_current``, said so that each part has an index to answer
    it: the rows where the rule must be worked out, few on any day."""
    return Q(due_on__isnull=True) | Q(last_met_on__gt=today) | Q(next_met_on__lte=today)


def current_last_met(today: date) -> Case:
    """The cadence's last matching interaction on or before ``today``: the stored one when it is
    current, the correlated subquery for the rare other rows."""
    return Case(
        When(stored_due_is_current(today), then=F("last_met_on")),
        default=last_matching(today),
        output_field=DateField(),
    )


def current_due(today: date) -> Case:
    """The cadence's due date as of ``today`` (see the module's docstring)."""
    return Case(
        When(stored_due_is_current(today), then=F("due_on")),
        default=due_from(last_matching(today)),
        output_field=DateField(),
    )


def refresh_cadence_due(
    customer_ids: Iterable[int] | None = None, *, today: date | None = None, only_changed: bool = False
) -> int:
    """Store the due dates of the cadences of ``customer_ids`` (every cadence when None) in one
    UPDATE; returns the number of cadences written. Derived data, so not in the cadence's history.

    ``only_changed`` writes only the rows whose stored dates differ from the rule's (the night's
    refresh of every cadence: most are unchanged from one day to the next, and rewriting all of
    them left as many dead row versions behind every night)."""
    today = today or business_today()
    cadences = Cadence.objects.all()
    if customer_ids is not None:
        ids = sorted({int(pk) for pk in customer_ids if pk is not None})
        if not ids:
            return 0
        cadences = cadences.filter(customer_id__in=ids)
    cadences = cadences.annotate(new_last=last_matching(today), new_next=next_matching(today)).annotate(
        new_due=due_from(F("new_last"))
    )
    if only_changed:
        cadences = cadences.exclude(
            _same("last_met_on", "new_last") & _same("next_met_on", "new_next") & _same("due_on", "new_due")
        )
    return cadences.update(last_met_on=F("new_last"), next_met_on=F("new_next"), due_on=F("new_due"))


def _same(stored: str, computed: str) -> Q:
    """The stored date equals the computed one, NULL equal to NULL; never NULL itself (so that
    its negation is true for a row where only one of them is NULL)."""
    both = Q(**{stored: F(computed), f"{stored}__isnull": False, f"{computed}__isnull": False})
    return both | Q(**{f"{stored}__isnull": True, f"{computed}__isnull": True})
