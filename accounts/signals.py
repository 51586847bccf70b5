"""Writes one row at a time that change the kept standing (``accounts.standing``): a snapshot
or an override saved. The bulk writes (the night's snapshots, the expiry of overrides) refresh
it themselves."""

from .standing import refresh_after_snapshot, refresh_standing


def snapshot_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_after_snapshot(as_of=instance.as_of, customer_ids=[instance.customer_id])


def override_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_standing([instance.customer_id])
