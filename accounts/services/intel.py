"""Writes: competitor intelligence at a customer (the customer page's editor). Keyword-only and
transactional; a change made on a stale copy is refused."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keyaccounts.clock import business_today, date_in_range, out_of_range_message
from keyaccounts.editing import lock_unchanged

from ..models import Competitor, CompetitorIntel, Customer


def _checked(
    *, customer: Customer, competitor: Competitor | None, noted_on: date, kind: str, confidence: str, note: str, contact
) -> dict:
    if competitor is None:
        raise ValidationError(_("Say which competitor the news is about."))
    if not date_in_range(noted_on):
        raise ValidationError(out_of_range_message())
    if noted_on > business_today():
        raise ValidationError(_("Intelligence cannot be dated in the future."))
    if noted_on < customer.customer_since:
        raise ValidationError(
            _("%(name)s has been a customer since %(date)s; the intelligence cannot be earlier.")
            % {"name": customer.name, "date": customer.customer_since}
        )
    if kind not in CompetitorIntel.Kind.values or confidence not in CompetitorIntel.Confidence.values:
        raise ValidationError(_("Choose a kind and a confidence from the lists."))
    # The contact is checked by its customer id alone: the customer core does not import relationships.
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError(_("The contact who told us must be one of this customer's contacts."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Write down what was heard."))
    return {
        "competitor": competitor,
        "noted_on": noted_on,
        "kind": kind,
        "confidence": confidence,
        "note": note,
        "contact": contact,
    }


@transaction.atomic
def competitor_intel_add(
    *,
    customer: Customer,
    competitor: Competitor | None,
    noted_on: date,
    kind: str,
    note: str,
    confidence: str = CompetitorIntel.Confidence.MEDIUM,
    contact=None,
    by=None,
) -> CompetitorIntel:
    """Record something heard about a competitor at the customer (audited)."""
    values = _checked(
        customer=customer,
        competitor=competitor,
        noted_on=noted_on,
        kind=kind,
        confidence=confidence,
        note=note,
        contact=contact,
    )
    return CompetitorIntel.objects.create(customer=customer, recorded_by=by, **values)


@transaction.atomic
def competitor_intel_update(
    *,
    intel: CompetitorIntel,
    version: str,
    competitor: Competitor | None,
    noted_on: date,
    kind: str,
    note: str,
    confidence: str = CompetitorIntel.Confidence.MEDIUM,
    contact=None,
) -> CompetitorIntel:
    """Correct an entry; StaleEdit if someone else changed it since the form opened. Who recorded
    it stays; the history keeps the earlier wording."""
    values = _checked(
        customer=intel.customer,
        competitor=competitor,
        noted_on=noted_on,
        kind=kind,
        confidence=confidence,
        note=note,
        contact=contact,
    )
    current = lock_unchanged(intel, version)
    for name, value in values.items():
        setattr(current, name, value)
    current.save()
    return current
