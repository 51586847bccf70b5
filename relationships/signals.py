"""Keep the cadences' stored due dates (``relationships.cadence_due``) right after each save or
delete of one interaction or cadence: the editors, the admin, the factories. The bulk paths
(imports, API batches, demo data) write without signals and refresh once a batch themselves."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from accounts.models import Customer

from .cadence_due import refresh_cadence_due
from .models import Cadence, Interaction


@receiver(post_init, sender=Interaction)
def _remember_customer(sender, instance: Interaction, **kwargs) -> None:
    # A move to another customer leaves the first customer's cadences to refresh too.
    instance._loaded_customer_id = instance.__dict__.get("customer_id")


# Fixtures (raw saves) too: the refresh reads and writes only cadences and interactions.
@receiver(post_save, sender=Interaction)
def _interaction_saved(sender, instance: Interaction, **kwargs) -> None:
    refresh_cadence_due({instance.customer_id, getattr(instance, "_loaded_customer_id", None)})
    instance._loaded_customer_id = instance.customer_id


@receiver(post_delete, sender=Interaction)
def _interaction_deleted(sender, instance: Interaction, origin=None, **kwargs) -> None:
    # Deleted along with its customer, the cadences go too: nothing to refresh, row by row.
    if isinstance(origin, Customer) or getattr(origin, "model", None) is Customer:
        return
    refresh_cadence_due({instance.customer_id})


@receiver(post_save, sender=Cadence)
def _cadence_saved(sender, instance: Cadence, **kwargs) -> None:
    refresh_cadence_due({instance.customer_id})
