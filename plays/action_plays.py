"""Plays that follow a person's action rather than the night's signs: a handover and a churn.

- A handover applied (`accounts.services.signals.customers_handed_over`): the leaver's open plays
  of the handed-over customers, and the open steps assigned to the leaver in their open plays,
  move to each customer's successor, with a history row per play and step whose change reason
  names the handover; then each customer gets one handover play from the handover playbook, owned
  by its successor (none while one is open). Set-based: a fixed number of statements whatever the
  size of the book.
- A churn recorded with a controllable reason (`ChurnReason.controllable`, docs/domain.md "Why
  key accounts defect"): a win-back play opens for the customer's owner (none while one is open).

Both open through `opening.open_plays`, so steps, history rows and notifications are written as
the nightly job writes them. The receivers are connected in `PlaysConfig.ready`.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from accounts.models import ChurnReason, HandoverItem
from keyaccounts.clock import business_today

from .models import Play, PlayStep, Trigger
from .opening import Candidate, open_plays


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _history_insert(model, *, replace: dict[str, str]) -> str:
    """The head of an INSERT … SELECT of ``model``'s history rows from its live rows (alias ``r``),
    with the columns of ``replace`` set to SQL expressions; params: history date, reason, user."""
    history = model.history.model
    columns = [f.column for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    exprs = [replace.get(c, f"r.{_q(c)}") for c in columns]
    return (
        f"INSERT INTO {_q(history._meta.db_table)} ({', '.join(_q(c) for c in columns)}, history_date, "
        f"history_change_reason, history_type, history_user_id) SELECT {', '.join(exprs)}, %s, %s, '~', %s "
    )


def move_open_work(handover) -> None:
    """The leaver's open plays and open steps of the handover's customers go to the successors:
    four statements (history rows, then the rows) whatever the number of customers."""
    items, plays, steps = (_q(m._meta.db_table) for m in (HandoverItem, Play, PlayStep))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    history = [now, f"handover #{handover.pk}", handover.created_by_id]
    open_statuses = list(Play.OPEN_STATUSES)
    is_open = "r.status IN (%s, %s)"
    leaver, pk = handover.leaver_id, handover.pk
    with connection.cursor() as cursor:
        # Steps first: their scope reads the plays' customers, which the plays' move leaves as they are.
        step_scope = (
            f"FROM {steps} r JOIN {plays} p ON p.id = r.play_id AND p.status IN (%s, %s) "
            f"JOIN {items} i ON i.customer_id = p.customer_id AND i.handover_id = %s "
            f"WHERE r.assignee_id = %s AND r.done_on IS NULL"
        )
        cursor.execute(
            _history_insert(PlayStep, replace={"assignee_id": "i.successor_id"}) + step_scope,
            [*history, *open_statuses, pk, leaver],
        )
        cursor.execute(
            f"UPDATE {steps} SET assignee_id = (SELECT i.successor_id FROM {plays} p JOIN {items} i "
            f"ON i.customer_id = p.customer_id AND i.handover_id = %s WHERE p.id = {steps}.play_id) "
            f"WHERE assignee_id = %s AND done_on IS NULL AND play_id IN (SELECT p.id FROM {plays} p "
            f"JOIN {items} i ON i.customer_id = p.customer_id AND i.handover_id = %s WHERE p.status IN (%s, %s))",
            [pk, leaver, pk, *open_statuses],
        )
        cursor.execute(
            _history_insert(Play, replace={"owner_id": "i.successor_id", "updated_at": "%s"})
            + f"FROM {plays} r JOIN {items} i ON i.customer_id = r.customer_id AND i.handover_id = %s "
            f"WHERE r.owner_id = %s AND {is_open}",
            [now, *history, pk, leaver, *open_statuses],
        )
        cursor.execute(
            f"UPDATE {plays} SET owner_id = (SELECT i.successor_id FROM {items} i WHERE i.handover_id = %s "
            f"AND i.customer_id = {plays}.customer_id), updated_at = %s WHERE owner_id = %s "
            f"AND status IN (%s, %s) AND customer_id IN (SELECT i.customer_id FROM {items} i WHERE i.handover_id = %s)",
            [pk, now, leaver, *open_statuses, pk],
        )


def handover_plays(handover) -> list[Play]:
    """One handover play per customer of the handover, owned by its successor (none for a
    customer that has one open). Returns the plays opened."""
    pairs = HandoverItem.objects.filter(handover_id=handover.pk).values_list("customer_id", "successor_id")
    candidates = [Candidate(customer_id, Trigger.HANDOVER, owner_id=successor) for customer_id, successor in pairs]
    return open_plays(candidates, as_of=business_today(), opened_by=handover.created_by)


def on_handover(sender, *, handover, customer_ids, **kwargs) -> None:
    if not customer_ids:
        return
    move_open_work(handover)
    handover_plays(handover)


def on_churn(sender, *, customer, reason, by=None, **kwargs) -> None:
    """A win-back play for a customer lost for a reason we could have acted on."""
    if reason in ChurnReason.controllable():
        open_plays([Candidate(customer.pk, Trigger.WIN_BACK)], as_of=business_today(), opened_by=by)
