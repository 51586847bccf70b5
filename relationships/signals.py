"""Keep the dates derived from interactions right after each save or delete of one interaction or
cadence, or a change of who took part: the cadences' due dates (``relationships.cadence_due``)
and the contacts' last meetings (``relationships.contact_meetings``). Editors, the admin and the
factories come through here; the bulk paths (imports, API batches, demo data) write without
signals and refresh once a batch themselves."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Customer

from .cadence_due import refresh_cadence_due
from .contact_meetings import participants, refresh_contact_meetings
from .models import Cadence, Interaction


def _with_customer(origin) -> bool:
    """Deleted along with its customer: the cadences and contacts go too, nothing to refresh."""
    return isinstance(origin, Customer) or getattr(origin, "model", None) is Customer


@receiver(post_init, sender=Interaction)
def _remember_customer(sender, instance: Interaction, **kwargs) -> None:
    # A move to another customer leaves the first customer's cadences to refresh too.
    instance._loaded_customer_id = instance.__dict__.get("customer_id")


# Fixtures (raw saves) too: the refreshes read and write only cadences, contacts and interactions.
@receiver(post_save, sender=Interaction)
def _interaction_saved(sender, instance: Interaction, **kwargs) -> None:
    refresh_cadence_due({instance.customer_id, getattr(instance, "_loaded_customer_id", None)})
    instance._loaded_customer_id = instance.customer_id
    # A new interaction has no participants yet (they are added after it is saved); a moved date
    # changes the last meeting of those it has.
    if not kwargs.get("created"):
        refresh_contact_meetings(contact_ids=participants(instance.pk))


@receiver(pre_delete, sender=Interaction)
def _remember_participants(sender, instance: Interaction, origin=None, **kwargs) -> None:
    # Who took part is deleted before the interaction: read it while it is there.
    if not _with_customer(origin):
        instance._participant_ids = list(participants(instance.pk).values_list("contact_id", flat=True))


@receiver(post_delete, sender=Interaction)
def _interaction_deleted(sender, instance: Interaction, origin=None, **kwargs) -> None:
    if _with_customer(origin):
        return
    refresh_cadence_due({instance.customer_id})
    refresh_contact_meetings(contact_ids=getattr(instance, "_participant_ids", ()))


# Changed from the interaction's side only: a contact has no way back to its interactions.
@receiver(m2m_changed, sender=Interaction.contacts.through)
def _participants_changed(sender, instance: Interaction, action: str, pk_set, **kwargs) -> None:
    if action == "pre_clear":
        # Whoever was there loses a meeting: read who before they are gone.
        instance._cleared_contact_ids = list(participants(instance.pk).values_list("contact_id", flat=True))
    elif action == "post_clear":
        refresh_contact_meetings(contact_ids=getattr(instance, "_cleared_contact_ids", ()))
    elif action in ("post_add", "post_remove"):
        refresh_contact_meetings(contact_ids=pk_set)


@receiver(post_save, sender=Cadence)
def _cadence_saved(sender, instance: Cadence, **kwargs) -> None:
    refresh_cadence_due({instance.customer_id})
