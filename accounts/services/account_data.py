"""Writes: a customer's account data on its page — relationship level (dated, with its reason),
peak months, backup owner and account team — and its churn and win-back, by the owner or an admin.

Every write is audited: the customer's history rows (with the user) and, for levels and churn, a
record of its own. A level change effective from a past day is dated back in the history
(`accounts.services.history`), so the risk engine's as-of reads see the new level from that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.clock import business_today, day_start
from keyaccounts.editing import lock_unchanged

from ..models import (
    ChurnEvent,
    ChurnReason,
    Competitor,
    Customer,
    CustomerStatus,
    LockIn,
    RelationshipLevel,
    RelationshipLevelChange,
)
from ..people import display_name
from ..permissions import customer_holders_q
from .history import history_table, insert_rows_from, q, team_rows_for
from .signals import churn_recorded


def _locked(customer: Customer, version: str, by) -> Customer:
    current = lock_unchanged(customer, version)
    current._history_user = by
    return current


def _check_day(day: date, customer: Customer, what: str) -> None:
    if day > business_today():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": what})
    if day < customer.customer_since:
        raise ValidationError(
            _("%(what)s cannot be before the customer-since date (%(since)s).")
            % {"what": what, "since": customer.customer_since.isoformat()}
        )


# Relationship level ------------------------------------------------------------------------------


@transaction.atomic
def relationship_level_change(
    *,
    customer: Customer,
    version: str,
    to_level: int,
    effective_on: date,
    reason: str,
    by,
    lock_in: str = "",
) -> RelationshipLevelChange:
    """Move the customer to ``to_level`` from ``effective_on`` (today or earlier).

    A step to level 3 names the lock-in (equity, joint venture, long-term contract,
    co-development). The change is recorded (`RelationshipLevelChange`), the field updated, and
    the customer's history reads the new level from the start of ``effective_on``.
    """
    current = _locked(customer, version, by)
    reason = (reason or "").strip()
    if to_level not in RelationshipLevel.values:
        raise ValidationError(_("Choose a relationship level from 1 to 3."))
    if to_level == current.relationship_level:
        raise ValidationError(_("The customer is already at this level."))
    if not reason:
        raise ValidationError(_("Say why the level changes."))
    if to_level == RelationshipLevel.STRATEGIC:
        if lock_in not in LockIn.values:
            raise ValidationError(
                _("Level 3 needs a lock-in: equity, a joint venture, a long-term contract or co-development.")
            )
    else:
        lock_in = ""
    _check_day(effective_on, current, _("The effective date"))
    last = current.level_changes.order_by("-effective_on").values_list("effective_on", flat=True).first()
    if last is not None and effective_on < last:
        raise ValidationError(
            _("The level last changed on %(day)s; a new change cannot take effect before that.")
            % {"day": last.isoformat()}
        )
    change = RelationshipLevelChange.objects.create(
        customer=current,
        from_level=current.relationship_level,
        to_level=to_level,
        effective_on=effective_on,
        reason=reason,
        lock_in=lock_in,
        recorded_by=by,
    )
    label = f"level change #{change.pk}"
    scope = ("SELECT %s AS cid, %s AS sid", [current.pk, to_level])
    insert_rows_from(
        scope_sql=scope[0],
        scope_params=scope[1],
        day=effective_on,
        replace={"relationship_level": ("s.sid", [])},
        user_id=by.pk,
        reason=label,
    )
    # History rows recorded since the effective day read the new level too.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(history_table())} SET relationship_level = %s WHERE id = %s AND history_date >= %s",
            [to_level, current.pk, connection.ops.adapt_datetimefield_value(day_start(effective_on))],
        )
    Customer.objects.filter(pk=current.pk).update(relationship_level=to_level, updated_at=timezone.now())
    team_rows_for(scope_sql=scope[0], scope_params=scope[1], day=effective_on, reason=label)
    return change


# Peak months and people -------------------------------------------------------------------------


def clean_months(months: Iterable) -> list[int]:
    try:
        values = sorted({int(m) for m in months})
    except (TypeError, ValueError):
        raise ValidationError(_("Peak months are months 1 to 12.")) from None
    if any(m < 1 or m > 12 for m in values):
        raise ValidationError(_("Peak months are months 1 to 12."))
    return values


@transaction.atomic
def peak_months_set(*, customer: Customer, version: str, months: Iterable, by) -> Customer:
    """The months (1–12) of the customer's own peak season."""
    current = _locked(customer, version, by)
    current.peak_months = clean_months(months)
    current.save()
    return current


def holders():
    """The people who may hold a customer (owner, backup owner, account team)."""
    return get_user_model().objects.filter(customer_holders_q()).distinct()


@transaction.atomic
def account_people_set(*, customer: Customer, version: str, backup_owner, team: Iterable, by) -> Customer:
    """Set the backup owner and the account team: only people who may hold a customer."""
    current = _locked(customer, version, by)
    team = list(team)
    people = [p for p in [backup_owner, *team] if p is not None]
    allowed = set(holders().filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
    refused = [display_name(p) for p in people if p.pk not in allowed]
    if refused:
        raise ValidationError(
            _("%(people)s may not hold a customer (only account managers and admins may).")
            % {"people": ", ".join(sorted(set(refused)))}
        )
    if backup_owner is not None and backup_owner.pk == current.owner_id:
        raise ValidationError(_("The backup owner must be someone other than the owner."))
    current.backup_owner = backup_owner
    current.save()
    members = {p.pk for p in team} - {current.owner_id}
    if members != set(current.account_team.values_list("pk", flat=True)):
        current.account_team.set(members)
    return current


# Churn and win-back -----------------------------------------------------------------------------


def lost_revenue_default(customer: Customer) -> Decimal:
    """What a churn loses unless the owner says otherwise: the trailing 12-month revenue."""
    return customer.revenue_12m


@transaction.atomic
def churn_record(
    *,
    customer: Customer,
    version: str,
    churned_on: date,
    reason: str,
    by,
    lost_revenue: Decimal | None = None,
    competitor: Competitor | None = None,
    notes: str = "",
) -> ChurnEvent:
    """The customer is lost: status churned, with the date, reason and notes, and a churn record
    (lost revenue, the competitor that won it). Announced by `signals.churn_recorded` (a
    controllable reason opens a win-back play in the plays app)."""
    current = _locked(customer, version, by)
    if current.status == CustomerStatus.CHURNED:
        raise ValidationError(_("This customer is already recorded as churned."))
    if reason not in ChurnReason.values:
        raise ValidationError(_("Choose a churn reason."))
    _check_day(churned_on, current, _("The churn date"))
    if lost_revenue is None:
        lost_revenue = lost_revenue_default(current)
    if lost_revenue < 0:
        raise ValidationError(_("Lost revenue cannot be negative."))
    notes = (notes or "").strip()
    current.status = CustomerStatus.CHURNED
    current.churned_on = churned_on
    current.churn_reason = reason
    current.churn_notes = notes
    current.save()
    event = ChurnEvent.objects.create(
        customer=current,
        kind=ChurnEvent.Kind.CHURNED,
        happened_on=churned_on,
        reason=reason,
        lost_revenue=lost_revenue,
        competitor=competitor,
        notes=notes,
        recorded_by=by,
    )
    churn_recorded.send(sender=Customer, customer=current, reason=reason, by=by)
    return event


@transaction.atomic
def churn_recover(*, customer: Customer, version: str, recovered_on: date, by, notes: str = "") -> ChurnEvent:
    """A churned customer won back: active again from ``recovered_on``; the churn stays on record."""
    current = _locked(customer, version, by)
    if current.status != CustomerStatus.CHURNED:
        raise ValidationError(_("Only a churned customer can be won back."))
    if recovered_on > business_today():
        raise ValidationError(_("The win-back date cannot be in the future."))
    if recovered_on < current.churned_on:
        raise ValidationError(
            _("The win-back date cannot be before the churn date (%(day)s).") % {"day": current.churned_on.isoformat()}
        )
    current.status = CustomerStatus.ACTIVE
    current.churned_on = None
    current.churn_reason = ""
    current.churn_notes = ""
    current.save()
    return ChurnEvent.objects.create(
        customer=current,
        kind=ChurnEvent.Kind.RECOVERED,
        happened_on=recovered_on,
        notes=(notes or "").strip(),
        recorded_by=by,
    )


def recovered_count(*, start: date, end: date, customers=None) -> int:
    """How many customers were won back between ``start`` and ``end`` (both included): one query.
    ``customers`` narrows it (a queryset of customers, e.g. one user's visible book)."""
    events = ChurnEvent.objects.filter(kind=ChurnEvent.Kind.RECOVERED, happened_on__range=(start, end))
    if customers is not None:
        events = events.filter(customer__in=customers)
    return events.values("customer_id").distinct().count()
