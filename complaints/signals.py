"""Keep the analytics page's stored monthly figures (``complaints.monthly``) right after each save
or delete of a ticket: the desk's workflow, the admin, the API, the factories. The ticket imports
write without signals and refresh the customers they touched themselves."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from accounts.models import Customer

from .models import Ticket
from .monthly import refresh_after_commit


@receiver(post_init, sender=Ticket)
def _remember_customer(sender, instance: Ticket, **kwargs) -> None:
    # A ticket moved to another customer leaves the first one's figures to refresh too.
    instance._loaded_customer_id = instance.__dict__.get("customer_id")


@receiver(post_save, sender=Ticket)
def _ticket_saved(sender, instance: Ticket, **kwargs) -> None:
    refresh_after_commit({instance.customer_id, getattr(instance, "_loaded_customer_id", None)})
    instance._loaded_customer_id = instance.customer_id


@receiver(post_delete, sender=Ticket)
def _ticket_deleted(sender, instance: Ticket, origin=None, **kwargs) -> None:
    # Deleted along with its customer, the customer's rows go too (on delete cascade).
    if isinstance(origin, Customer) or getattr(origin, "model", None) is Customer:
        return
    refresh_after_commit({instance.customer_id})
