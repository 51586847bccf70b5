"""Each contact's last meeting, kept on the contact instead of looked up on every page.

A contact was last met on the date of the last interaction they took part in, on or before the
day asked about; interactions dated after the day are not in force yet.

``refresh_contact_meetings`` stores, for the day it runs on, that date (``last_met_on``) and the
first interaction after the day (``next_met_on``). No interaction of the contact lies between
the two, so the stored date answers for every day from ``last_met_on`` up to the day before
``next_met_on``, whichever day it was stored on (``stored_meeting_is_current``). The other rows
— a future-dated interaction that has come into force since, a day asked about before the last
meeting — are worked out from the interactions (``stored_meeting_is_stale``), and are few: every
write of an interaction or of its participants refreshes the contacts it touches
(``relationships.signals`` and the bulk paths), and the nightly job refreshes the stale ones.

A contact no interaction names has nothing stored, which is the right answer (never met); so a
new contact needs no refresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection
from django.db.models import Case, DateField, Exists, F, OuterRef, Q, QuerySet, Subquery, When

from keyaccounts.clock import business_today

from .models import Contact, Interaction

_Participation = Interaction.contacts.through


def _taking_part(**occurred_on):
    """The interactions the contact (correlated) took part in, dated as ``occurred_on`` says."""
    lookups = {f"interaction__occurred_on__{lookup}": day for lookup, day in occurred_on.items()}
    return _Participation.objects.filter(contact_id=OuterRef("pk"), **lookups)


def last_met(today: date) -> Subquery:
    """The date of the contact's last interaction on or before ``today`` (correlated)."""
    return Subquery(
        _taking_part(lte=today).order_by("-interaction__occurred_on").values("interaction__occurred_on")[:1],
        output_field=DateField(),
    )


def next_met(today: date) -> Subquery:
    """The date of the contact's first interaction after ``today`` (correlated)."""
    return Subquery(
        _taking_part(gt=today).order_by("interaction__occurred_on").values("interaction__occurred_on")[:1],
        output_field=DateField(),
    )


def stored_meeting_is_current(today: date) -> Q:
    """The stored dates answer for ``today``: no interaction has come into force since the
    refresh, nor is ``today`` before the stored last meeting."""
    return (Q(last_met_on__isnull=True) | Q(last_met_on__lte=today)) & (
        Q(next_met_on__isnull=True) | Q(next_met_on__gt=today)
    )


def stored_meeting_is_stale(today: date) -> Q:
    """The negation of ``stored_meeting_is_current``: the rows to work out from the interactions."""
    return Q(last_met_on__gt=today) | Q(next_met_on__lte=today)


def current_last_met(today: date) -> Case:
    """The contact's last meeting on or before ``today``: the stored one when it is current, the
    correlated subquery for the rare other rows."""
    return Case(
        When(stored_meeting_is_current(today), then=F("last_met_on")), default=last_met(today), output_field=DateField()
    )


def not_met_since_parts(since: date, today: date) -> tuple[Q, Q]:
    """Contacts with no interaction from ``since`` to ``today``, in two parts to be read apart:
    those whose stored date says so (a comparison of columns), and the few stale rows worked out
    from the interactions (found through the indexes on the stored dates, so that neither the
    plan nor its cost carries the look-up over every contact)."""
    met = Exists(_taking_part(gte=since, lte=today))
    unmet_as_stored = Q(last_met_on__isnull=True) | Q(last_met_on__lt=since)
    return stored_meeting_is_current(today) & unmet_as_stored, stored_meeting_is_stale(today) & ~met


def participants(interaction_id: int) -> QuerySet:
    """The ids of the contacts who took part in the interaction, as a subquery."""
    return _Participation.objects.filter(interaction_id=interaction_id).values("contact_id")


def refresh_contact_meetings(
    *,
    customer_ids: Iterable[int | None] | None = None,
    contact_ids: Iterable[int | None] | QuerySet | None = None,
    stale_only: bool = False,
    today: date | None = None,
) -> int:
    """Store the meeting dates of the contacts of ``customer_ids`` and of the contacts
    ``contact_ids`` (ids, or a query of them), in one UPDATE; returns the number of contacts
    refreshed. Both None: every contact (``refresh_every_contact``), or with ``stale_only`` the
    rows whose stored dates no longer answer for ``today``. Derived data, so not in the contact's
    history."""
    today = today or business_today()
    if customer_ids is None and contact_ids is None:
        if not stale_only:
            return refresh_every_contact(today)
        # Only a row with a stored date can be stale; the indexes on the dates find them.
        contacts = Contact.objects.all()
    else:
        customers = sorted({int(pk) for pk in customer_ids or () if pk is not None})
        if isinstance(contact_ids, QuerySet):
            named = contact_ids
        else:
            named = sorted({int(pk) for pk in contact_ids or () if pk is not None})
            if not customers and not named:
                return 0
        contacts = Contact.objects.filter(Q(customer_id__in=customers) | Q(pk__in=named))
    if stale_only:
        contacts = contacts.filter(stored_meeting_is_stale(today))
    return contacts.update(last_met_on=last_met(today), next_met_on=next_met(today))


def refresh_every_contact(today: date) -> int:
    """Every contact's meeting dates for ``today`` in one set-based UPDATE: the participations
    grouped by contact once (a hash aggregate over the whole table, not two look-ups a contact),
    joined to the contacts, and only the rows whose dates change are written, so that a second run
    writes nothing. A contact with dates stored and no interaction any more gets both emptied.
    Returns the number of contacts whose dates changed."""
    quote = connection.ops.quote_name
    contact = quote(Contact._meta.db_table)
    participation = quote(_Participation._meta.db_table)
    interaction = quote(Interaction._meta.db_table)
    # SQLite has IS NOT where PostgreSQL has IS DISTINCT FROM: both treat NULLs as values.
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    day = today.isoformat()
    sql = f"""
        UPDATE {contact} SET last_met_on = met.last_met, next_met_on = met.next_met
        FROM (
            SELECT c.id, dates.last_met, dates.next_met
            FROM {contact} c
            LEFT JOIN (
                SELECT p.contact_id,
                       MAX(CASE WHEN i.occurred_on <= %s THEN i.occurred_on END) AS last_met,
                       MIN(CASE WHEN i.occurred_on > %s THEN i.occurred_on END) AS next_met
                FROM {participation} p JOIN {interaction} i ON i.id = p.interaction_id
                GROUP BY p.contact_id
            ) dates ON dates.contact_id = c.id
            WHERE dates.contact_id IS NOT NULL OR c.last_met_on IS NOT NULL OR c.next_met_on IS NOT NULL
        ) met
        WHERE {contact}.id = met.id
          AND ({contact}.last_met_on {differs} met.last_met OR {contact}.next_met_on {differs} met.next_met)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, day])
        return cursor.rowcount
