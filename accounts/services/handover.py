"""Writes: a leaving salesperson's book handed to successors (`Handover`).

An admin or executive picks the leaver, the customers (some or the whole book: every customer
the leaver owns, backs up or is on the team of), a successor for each and the date. The successor
takes each of the leaver's places on the customer: owner, backup owner, account team.

- Dated today or earlier, it is applied at once, and the customers' history reads the successor
  from the start of that day (`accounts.services.history`): the risk engine's as-of reads see the
  new owner from the effective date, and history rows recorded since then are corrected.
- Dated later, it waits as pending; the nightly job applies the handovers due (`handovers_due`).

Set-based: a fixed number of statements whatever the size of the book (pinned in tests).
`handover_applied` announces the applied handover (`signals.customers_handed_over`): the plays app
moves the leaver's open plays to the successors and opens a handover play per customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.clock import business_today, day_start

from ..models import Customer, Handover, HandoverItem
from ..people import display_name
from .account_data import holders
from .history import history_table, insert_rows_from, q, team_history_table, team_rows_for
from .signals import customers_handed_over


def book_of(user):
    """The customers ``user`` owns, backs up or is on the account team of."""
    team = Customer.account_team.through.objects.filter(user_id=user.pk).values("customer_id")
    return Customer.objects.filter(Q(owner_id=user.pk) | Q(backup_owner_id=user.pk) | Q(pk__in=team))


@transaction.atomic
def handover_create(*, leaver, effective_on: date, successors: Mapping[int, object], by, note: str = "") -> Handover:
    """Record the handover of the customers ``successors`` names (customer id → successor) and
    apply it at once when ``effective_on`` is today or earlier."""
    if not successors:
        raise ValidationError(_("Choose at least one customer to hand over."))
    people = {s.pk: s for s in successors.values()}
    if leaver.pk in people:
        raise ValidationError(_("The successor must be someone other than the person leaving."))
    allowed = set(holders().filter(pk__in=people).values_list("pk", flat=True))
    refused = sorted(display_name(p) for pk, p in people.items() if pk not in allowed)
    if refused:
        raise ValidationError(
            _("%(people)s may not hold a customer (only account managers and admins may).")
            % {"people": ", ".join(refused)}
        )
    ids = {int(pk) for pk in successors}
    in_book = set(book_of(leaver).filter(pk__in=ids).values_list("pk", flat=True))
    if in_book != ids:
        raise ValidationError(_("Some of the chosen customers are not in this person's book; reload the page."))
    handover = Handover.objects.create(
        leaver=leaver, effective_on=effective_on, note=(note or "").strip(), created_by=by
    )
    HandoverItem.objects.bulk_create(
        [HandoverItem(handover=handover, customer_id=pk, successor=successors[pk]) for pk in sorted(ids)],
        batch_size=2000,
    )
    if effective_on <= business_today():
        handover_apply(handover)
    return handover


@transaction.atomic
def handover_apply(handover: Handover) -> list[int]:
    """Move the leaver's places on the handover's customers to their successors, from the start of
    the effective day, in a fixed number of statements. Returns the customers' ids."""
    # Once only, whoever comes first (the page or the nightly job).
    if not Handover.objects.select_for_update().filter(pk=handover.pk, status=Handover.Status.PENDING).exists():
        return []
    leaver_id, pk = handover.leaver_id, handover.pk
    items = q(HandoverItem._meta.db_table)
    scope_sql = f"SELECT i.customer_id AS cid, i.successor_id AS sid FROM {items} i WHERE i.handover_id = %s"
    label = f"handover #{pk}"
    day = handover.effective_on
    # 1. The history row in force before the day, with the successor in the leaver's places.
    insert_rows_from(
        scope_sql=scope_sql,
        scope_params=[pk],
        day=day,
        replace={
            "owner_id": ("CASE WHEN r.owner_id = %s THEN s.sid ELSE r.owner_id END", [leaver_id]),
            "backup_owner_id": (
                "CASE WHEN r.backup_owner_id = %s THEN (CASE WHEN r.owner_id = s.sid THEN NULL ELSE s.sid END) "
                "WHEN r.owner_id = %s AND r.backup_owner_id = s.sid THEN NULL ELSE r.backup_owner_id END",
                [leaver_id, leaver_id],
            ),
        },
        user_id=handover.created_by_id,
        reason=label,
    )
    # 2. History rows recorded since the day read the successor too.
    hist, team_hist = q(history_table()), q(team_history_table())
    successor_of = f"(SELECT i.successor_id FROM {items} i WHERE i.handover_id = %s AND i.customer_id = {{t}}.id)"
    since = connection.ops.adapt_datetimefield_value(day_start(day))
    in_scope = f"id IN (SELECT i.customer_id FROM {items} i WHERE i.handover_id = %s) AND history_date >= %s"
    sid = successor_of.format(t=hist)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {hist} SET backup_owner_id = CASE WHEN backup_owner_id = {sid} THEN NULL "
            f"ELSE backup_owner_id END, owner_id = {sid} WHERE owner_id = %s AND {in_scope}",
            [pk, pk, leaver_id, pk, since],
        )
        cursor.execute(
            f"UPDATE {hist} SET backup_owner_id = CASE WHEN owner_id = {sid} THEN NULL ELSE {sid} END "
            f"WHERE backup_owner_id = %s AND {in_scope}",
            [pk, pk, leaver_id, pk, since],
        )
        cursor.execute(
            f"UPDATE {team_hist} SET user_id = (SELECT i.successor_id FROM {items} i "
            f"WHERE i.handover_id = %s AND i.customer_id = {team_hist}.customer_id) "
            f"WHERE user_id = %s AND history_id IN (SELECT history_id FROM {hist} WHERE {in_scope})",
            [pk, leaver_id, pk, since],
        )
    # 3. The customers as they are now.
    ids = HandoverItem.objects.filter(handover=handover).values("customer_id")
    successor = Subquery(
        HandoverItem.objects.filter(handover=handover, customer_id=OuterRef("pk")).values("successor_id")[:1]
    )
    now = timezone.now()
    Customer.objects.filter(pk__in=ids, owner_id=leaver_id).update(
        owner_id=successor,
        backup_owner_id=Case(When(backup_owner_id=successor, then=Value(None)), default=F("backup_owner_id")),
        updated_at=now,
    )
    Customer.objects.filter(pk__in=ids, backup_owner_id=leaver_id).update(
        backup_owner_id=Case(When(owner_id=successor, then=Value(None)), default=successor), updated_at=now
    )
    through = Customer.account_team.through
    table = q(through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (customer_id, user_id) SELECT t.customer_id, i.successor_id FROM {table} t "
            f"JOIN {items} i ON i.customer_id = t.customer_id AND i.handover_id = %s WHERE t.user_id = %s "
            f"AND NOT EXISTS (SELECT 1 FROM {table} t2 WHERE t2.customer_id = t.customer_id "
            f"AND t2.user_id = i.successor_id)",
            [pk, leaver_id],
        )
    through.objects.filter(user_id=leaver_id, customer_id__in=ids).delete()
    # 4. The new history rows carry the team as it now is.
    team_rows_for(scope_sql=scope_sql, scope_params=[pk], day=day, reason=label)
    Handover.objects.filter(pk=pk).update(status=Handover.Status.APPLIED, applied_at=now)
    handover.status, handover.applied_at = Handover.Status.APPLIED, now
    return handover_applied(handover)


def handover_applied(handover: Handover) -> list[int]:
    """The hook after a handover is applied: announces it (`signals.customers_handed_over`, on
    which the plays app moves the leaver's open plays and opens a handover play per customer) and
    returns the ids of its customers."""
    ids = list(
        HandoverItem.objects.filter(handover=handover).order_by("customer_id").values_list("customer_id", flat=True)
    )
    customers_handed_over.send(sender=Handover, handover=handover, customer_ids=ids)
    return ids


def handovers_due(*, as_of: date) -> int:
    """Apply every pending handover effective on or before ``as_of`` (the nightly job): each in a
    fixed number of statements. Returns how many were applied."""
    due = list(
        Handover.objects.filter(status=Handover.Status.PENDING, effective_on__lte=as_of).order_by("effective_on", "pk")
    )
    for handover in due:
        handover_apply(handover)
    return len(due)
