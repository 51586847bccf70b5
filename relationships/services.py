"""Writes to the relationship network: contacts, interactions and cadences.

Keyword-only and transactional. django-simple-history records each save with the request's user;
participants are set through the related managers so the interaction's history records them too.
Edits of an existing record carry the version the form was opened with and refuse to overwrite a
change made meanwhile (keyaccounts.editing.StaleEdit). Every refusal is a translated
ValidationError, which the editors show on the form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import Customer
from keyaccounts.editing import StaleEdit, edit_version, lock_unchanged

from .models import Cadence, Contact, Interaction

CONTACT_FIELDS = (
    "name",
    "title",
    "department",
    "buying_role",
    "influence",
    "trust",
    "internal_owner",
    "email",
    "phone",
    "joined_on",
)
CADENCE_FIELDS = ("name", "interaction_kind", "interval_days", "starts_on", "ends_on", "owner")


def _participants(interaction: Interaction) -> str:
    contacts = sorted(interaction.contacts.values_list("pk", flat=True))
    ours = sorted(interaction.our_people.values_list("pk", flat=True))
    return hashlib.sha256(f"{contacts}|{ours}".encode()).hexdigest()[:12]


def interaction_version(interaction: Interaction) -> str:
    """The record's version and who took part: a participant ticked by someone else meanwhile
    is a change too, though it leaves the interaction's own row as it was."""
    return f"{edit_version(interaction)}.{_participants(interaction)}"


def duplicate_cadence_error() -> str:
    return gettext("This customer already has a cadence of this kind starting on that day; change that one instead.")


def _check_participants(customer_id: int, contacts: Iterable[Contact]) -> list[Contact]:
    contacts = list(contacts)
    if any(c.customer_id != customer_id for c in contacts):
        raise ValidationError(
            gettext("An interaction's participants are contacts of its own customer."), code="foreign_contact"
        )
    return contacts


@transaction.atomic
def contact_create(
    *,
    customer: Customer,
    name: str,
    department: str,
    buying_role: str,
    joined_on: date,
    title: str = "",
    influence: int = 3,
    trust: int = 3,
    internal_owner=None,
    email: str = "",
    phone: str = "",
) -> Contact:
    """Add a person at the customer."""
    contact = Contact(
        customer=customer,
        name=name.strip(),
        title=title.strip(),
        department=department,
        buying_role=buying_role,
        influence=influence,
        trust=trust,
        internal_owner=internal_owner,
        email=email,
        phone=phone.strip(),
        joined_on=joined_on,
    )
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, version: str, **changes) -> Contact:
    """Change a contact's details, unless someone else changed them since the form was opened."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Not a contact detail: {', '.join(sorted(unknown))}")
    fresh = lock_unchanged(contact, version)
    for name, value in changes.items():
        setattr(fresh, name, value.strip() if isinstance(value, str) else value)
    fresh.save()
    return fresh


@transaction.atomic
def contact_mark_left(*, contact: Contact, version: str, left_on: date) -> Contact:
    """Record that the person left the customer; they stay on file, shown apart."""
    fresh = lock_unchanged(contact, version)
    if left_on < fresh.joined_on:
        raise ValidationError(gettext("A contact cannot leave before joining."), code="left_before_joining")
    fresh.left_on = left_on
    fresh.save(update_fields=["left_on"])
    return fresh


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    occurred_on: date,
    kind: str,
    subject: str,
    by,
    contacts: Iterable[Contact] = (),
    our_people: Iterable = (),
    notes: str = "",
) -> Interaction:
    """Record a visit, call or meeting with who took part on both sides."""
    contacts = _check_participants(customer.pk, contacts)
    interaction = Interaction.objects.create(
        customer=customer, occurred_on=occurred_on, kind=kind, subject=subject.strip(), notes=notes, logged_by=by
    )
    interaction.contacts.set(contacts)
    interaction.our_people.set(list(our_people))
    return interaction


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    version: str,
    occurred_on: date,
    kind: str,
    subject: str,
    contacts: Iterable[Contact] = (),
    our_people: Iterable = (),
    notes: str = "",
) -> Interaction:
    """Correct a logged interaction, unless someone else changed it since the form was opened."""
    row_version, _, participants = version.partition(".")
    # Participants change only through here, after this lock: comparing them now is race-free.
    fresh = lock_unchanged(interaction, row_version)
    if _participants(fresh) != participants:
        raise StaleEdit
    contacts = _check_participants(fresh.customer_id, contacts)
    fresh.occurred_on, fresh.kind, fresh.subject, fresh.notes = occurred_on, kind, subject.strip(), notes
    fresh.save()
    # set() touches (and records in the history) only what changed.
    fresh.contacts.set(contacts)
    fresh.our_people.set(list(our_people))
    return fresh


def _save_cadence(cadence: Cadence) -> Cadence:
    try:
        # A savepoint, so a clash with a concurrent save leaves the outer transaction usable.
        with transaction.atomic():
            cadence.save()
    except IntegrityError as exc:
        clash = (
            Cadence.objects.filter(
                customer_id=cadence.customer_id, interaction_kind=cadence.interaction_kind, starts_on=cadence.starts_on
            )
            .exclude(pk=cadence.pk)
            .exists()
        )
        if clash:
            raise ValidationError(duplicate_cadence_error(), code="duplicate_cadence") from exc
        raise
    return cadence


@transaction.atomic
def cadence_create(
    *,
    customer: Customer,
    name: str,
    interaction_kind: str,
    interval_days: int,
    starts_on: date,
    ends_on: date | None = None,
    owner=None,
) -> Cadence:
    """Agree a communication schedule with the customer, e.g. a quarterly executive meeting."""
    return _save_cadence(
        Cadence(
            customer=customer,
            name=name.strip(),
            interaction_kind=interaction_kind,
            interval_days=interval_days,
            starts_on=starts_on,
            ends_on=ends_on,
            owner=owner,
        )
    )


@transaction.atomic
def cadence_update(*, cadence: Cadence, version: str, **changes) -> Cadence:
    """Change a cadence, unless someone else changed it since the form was opened."""
    unknown = set(changes) - set(CADENCE_FIELDS)
    if unknown:
        raise TypeError(f"Not a cadence setting: {', '.join(sorted(unknown))}")
    fresh = lock_unchanged(cadence, version)
    for name, value in changes.items():
        setattr(fresh, name, value.strip() if isinstance(value, str) else value)
    return _save_cadence(fresh)


@transaction.atomic
def cadence_end(*, cadence: Cadence, version: str, ends_on: date) -> Cadence:
    """Stop a cadence from a date on; it stays on file, no longer due."""
    fresh = lock_unchanged(cadence, version)
    if ends_on < fresh.starts_on:
        raise ValidationError(gettext("A cadence cannot end before it starts."), code="ends_before_start")
    fresh.ends_on = ends_on
    fresh.save(update_fields=["ends_on"])
    return fresh
