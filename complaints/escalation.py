"""SLA escalation: tickets near and past their deadlines climb a ladder of people, one step at a time.

A ticket's SLA window runs from its opening to a deadline: the first response while nobody has
responded, the resolution until it is resolved. Each step fires once a share of the window has
passed (settings.ESCALATION_STEP_PERCENT, by default 80 %, 100 %, 150 % and 200 %):

1. the assignee — or, with nobody assigned, the department's heads (its queue);
2. the heads of the ticket's department;
3. the customer's account owner and backup owner (the key-account managers);
4. the executives (active members of the executives group).

A department without a head falls back to the service desk, so the step still reaches someone.

The deadlines are read as they stand (the workflow pushes them on when a pause ends); tickets
waiting for the customer are paused and skipped, resolved and closed ones are done.

Each step is recorded once per ticket: the (ticket, step) unique constraint and an
INSERT … ON CONFLICT DO NOTHING decide, so a second run, or a second worker at the same moment,
records and notifies nothing twice. Tickets are also claimed with FOR UPDATE SKIP LOCKED, so two
workers split the work rather than queue behind each other. The run is set-based: a fixed number
of queries whatever the number of tickets due.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.permissions import ROLE_EXECUTIVE, ROLE_SERVICE_DESK, holds_role_q
from keyaccounts.bulk import db_time, insert_rows

from .models import DepartmentHead, EscalationStep, Notification, Ticket, TicketEscalation, TicketEvent
from .notifications import Message, notify_bulk, ticket_link

# Tickets whose SLA clocks run: waiting for the customer pauses them, resolved and closed end them.
RUNNING_STATUSES = (Ticket.Status.NEW, Ticket.Status.ACKNOWLEDGED, Ticket.Status.IN_PROGRESS)
LAST_STEP = max(EscalationStep.values)


class ElapsedShare(Func):
    """How much of the window from ``start`` to ``end`` has passed at ``now`` (1.0 = the deadline);
    NULL for an empty window."""

    arity = 3
    output_field = FloatField()

    def _compiled(self, compiler):
        return [compiler.compile(expression) for expression in self.get_source_expressions()]

    def as_sql(self, compiler, connection, **extra):
        (start, start_params), (end, end_params), (now, now_params) = self._compiled(compiler)
        sql = f"(EXTRACT(EPOCH FROM ({now} - {start})) / NULLIF(EXTRACT(EPOCH FROM ({end} - {start})), 0))"
        return sql, (*now_params, *start_params, *end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):
        (start, start_params), (end, end_params), (now, now_params) = self._compiled(compiler)
        sql = f"((julianday({now}) - julianday({start})) / NULLIF(julianday({end}) - julianday({start}), 0))"
        return sql, (*now_params, *start_params, *end_params, *start_params)


def step_thresholds() -> list[float]:
    """The share of the SLA window at which each step fires, step 1 first."""
    return [percent / 100 for percent in settings.ESCALATION_STEP_PERCENT]


# Shares are worked out in floating point (SQLite's julianday keeps about a millisecond): a moment
# computed as exactly 80 % of a window must count as 80 %.
SHARE_TOLERANCE = 1e-6


def _level(share_name: str) -> Case:
    """The highest step a clock has reached: 0 before the first threshold."""
    whens = [
        When(**{f"{share_name}__gte": threshold - SHARE_TOLERANCE}, then=Value(step))
        for step, threshold in reversed(list(enumerate(step_thresholds(), start=1)))
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def tickets_due_for_escalation(*, now: datetime) -> QuerySet[Ticket]:
    """Running tickets that have reached a step they have not been escalated to yet, annotated with
    ``response_level``, ``resolution_level`` (the step each clock reached), ``target_level`` and
    ``done_level`` (the highest step already recorded)."""
    at = Value(now, output_field=DateTimeField())
    highest_recorded = TicketEscalation.objects.filter(ticket=OuterRef("pk")).order_by("-step").values("step")[:1]
    return (
        Ticket.objects.filter(status__in=RUNNING_STATUSES)
        .alias(
            response_share=Case(
                When(first_response_at__isnull=True, then=ElapsedShare(F("opened_at"), F("response_due_at"), at)),
                default=None,
                output_field=FloatField(),
            ),
            resolution_share=ElapsedShare(F("opened_at"), F("resolution_due_at"), at),
        )
        .annotate(
            response_level=_level("response_share"),
            resolution_level=_level("resolution_share"),
            target_level=Greatest(F("response_level"), F("resolution_level")),
            done_level=Coalesce(Subquery(highest_recorded, output_field=IntegerField()), Value(0)),
        )
        .filter(target_level__gt=F("done_level"))
    )


@dataclass(frozen=True)
class EscalationResult:
    now: datetime
    tickets: int
    steps: int
    notifications: int


@dataclass
class _Rung:
    ticket: dict
    step: int
    reason: str
    due_at: datetime
    recipients: list[int]


# What the run reads of each ticket due.
DUE_FIELDS = (
    "pk",
    "subject",
    "department",
    "assigned_to_id",
    "customer_id",
    "customer__name",
    "customer__owner_id",
    "customer__backup_owner_id",
    "response_due_at",
    "resolution_due_at",
    "response_level",
    "resolution_level",
    "target_level",
    "done_level",
)


def _people() -> tuple[dict[str, list[int]], list[int], list[int]]:
    """Department heads by department, the executives and the service desk, in two queries."""
    heads: dict[str, list[int]] = defaultdict(list)
    for department, user_id in DepartmentHead.objects.filter(user__is_active=True).values_list("department", "user_id"):
        heads[department].append(user_id)
    executives, service_desk = [], []
    User = get_user_model()
    for user_id, group in (
        User.objects.filter(holds_role_q(ROLE_EXECUTIVE, ROLE_SERVICE_DESK))
        .order_by("pk")
        .values_list("pk", "groups__name")
    ):
        (executives if group == ROLE_EXECUTIVE else service_desk).append(user_id)
    return heads, executives, service_desk


def department_heads(department: str) -> list[int]:
    """The heads of one department, or the service desk where it has none (as on the ladder)."""
    heads, _executives, service_desk = _people()
    return heads.get(department) or service_desk


def _rungs(ticket: dict, *, heads, executives, service_desk) -> list[_Rung]:
    """The steps the ticket reaches now and has not reached before, with whom each one tells."""
    department_heads = heads.get(ticket["department"]) or service_desk
    rungs = []
    for step in range(ticket["done_level"] + 1, ticket["target_level"] + 1):
        if ticket["response_level"] >= step:
            due_at = ticket["response_due_at"]
            reason = TicketEscalation.Reason.RESPONSE_NEAR if step == 1 else TicketEscalation.Reason.RESPONSE_LATE
        else:
            due_at = ticket["resolution_due_at"]
            reason = TicketEscalation.Reason.RESOLUTION_NEAR if step == 1 else TicketEscalation.Reason.RESOLUTION_LATE
        if step == EscalationStep.ASSIGNEE:
            recipients = [ticket["assigned_to_id"]] if ticket["assigned_to_id"] else department_heads
        elif step == EscalationStep.DEPARTMENT_HEAD:
            recipients = department_heads
        elif step == EscalationStep.ACCOUNT_OWNER:
            recipients = [ticket["customer__owner_id"], ticket["customer__backup_owner_id"]]
        else:
            recipients = executives
        rungs.append(_Rung(ticket, step, str(reason), due_at, list(dict.fromkeys(r for r in recipients if r))))
    return rungs


def _insert_new_steps(rungs: list[_Rung], *, now: datetime) -> dict[tuple[int, int], int]:
    """Insert the steps in one statement; the ones another run already recorded are left alone.
    Returns the id of each row this call inserted, by (ticket id, step)."""
    at = db_time(now)
    rows = insert_rows(
        TicketEscalation,
        ["ticket", "step", "reason", "at", "due_at"],
        [
            {"ticket_id": r.ticket["pk"], "step": r.step, "reason": r.reason, "at": at, "due_at": db_time(r.due_at)}
            for r in rungs
        ],
        on_conflict="ON CONFLICT (ticket_id, step) DO NOTHING",
        returning=["id", "ticket", "step"],
    )
    return {(ticket_id, step): escalation_id for escalation_id, ticket_id, step in rows}


@transaction.atomic
def tickets_escalate(*, now: datetime | None = None) -> EscalationResult:
    """Escalate every running ticket that reached a new step of the ladder by ``now`` (default: the
    current time): record the step, note it in the ticket's history, raise the ticket's escalation
    level and notify the step's people. Safe to run again and from several workers at once."""
    now = now or timezone.now()
    tickets = list(
        tickets_due_for_escalation(now=now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .values(*DUE_FIELDS)
    )
    if not tickets:
        return EscalationResult(now, 0, 0, 0)
    heads, executives, service_desk = _people()
    rungs = [rung for t in tickets for rung in _rungs(t, heads=heads, executives=executives, service_desk=service_desk)]
    inserted = _insert_new_steps(rungs, now=now)
    rungs = [r for r in rungs if (r.ticket["pk"], r.step) in inserted]
    if not rungs:
        return EscalationResult(now, 0, 0, 0)

    insert_rows(
        TicketEscalation.notified.through,
        ["ticketescalation", "user"],
        [{"ticketescalation_id": inserted[r.ticket["pk"], r.step], "user_id": u} for r in rungs for u in r.recipients],
    )
    _record_in_history(rungs, now=now)
    by_ticket: dict[int, list[_Rung]] = defaultdict(list)
    for rung in rungs:
        by_ticket[rung.ticket["pk"]].append(rung)
    _raise_levels(list(by_ticket), now=now)

    # One notification per ticket and person: whoever several new steps name hears it once, for
    # the highest of them.
    messages = []
    for ticket_rungs in by_ticket.values():
        top = ticket_rungs[-1]
        ticket = top.ticket
        params = {
            "number": ticket["pk"],
            "subject": ticket["subject"],
            "customer": ticket["customer__name"],
            "step": top.step,
            "reason": top.reason,
            "due": top.due_at.isoformat(),
        }
        messages.append(
            Message(
                recipients=[u for r in ticket_rungs for u in r.recipients],
                kind=Notification.Kind.ESCALATION,
                params=params,
                ticket_id=ticket["pk"],
                link=ticket_link(ticket_id=ticket["pk"]),
            )
        )
    notifications = notify_bulk(messages, at=now)
    return EscalationResult(now, len(by_ticket), len(rungs), len(notifications))


def _record_in_history(rungs: list[_Rung], *, now: datetime) -> None:
    """One escalation event per step in the tickets' histories. The event keeps the step, the
    reason and how many people were told; the ticket page words it in the reader's language."""
    at = db_time(now)
    insert_rows(
        TicketEvent,
        ["ticket", "at", "by", "kind", "from_status", "to_status", "comment", "details"],
        [
            {
                "ticket_id": r.ticket["pk"],
                "at": at,
                "by_id": None,
                "kind": TicketEvent.Kind.ESCALATION.value,
                "from_status": "",
                "to_status": "",
                "comment": "",
                "details": {"step": r.step, "reason": r.reason, "told": len(r.recipients)},
            }
            for r in rungs
        ],
    )


def _raise_levels(ticket_ids: list[int], *, now: datetime) -> None:
    """Raise each ticket's escalation level to its highest recorded step in one UPDATE, and copy
    the changed rows into the ticket's audit trail in one INSERT … SELECT."""
    highest_recorded = TicketEscalation.objects.filter(ticket=OuterRef("pk")).order_by("-step").values("step")[:1]
    Ticket.objects.filter(pk__in=ticket_ids).update(
        escalation_level=Greatest(F("escalation_level"), Subquery(highest_recorded, output_field=IntegerField()))
    )
    History = Ticket.history.model
    quote = connection.ops.quote_name
    tracked = ", ".join(quote(f.column) for f in History.tracked_fields)
    extra = ", ".join(quote(History._meta.get_field(name).column) for name in HISTORY_FIELDS)
    if connection.vendor == "postgresql":
        chosen, ids = "= ANY(%s)", ticket_ids
    else:
        chosen, ids = "IN (SELECT value FROM json_each(%s))", json.dumps(ticket_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(History._meta.db_table)} ({tracked}, {extra}) "
            f"SELECT {tracked}, %s, %s, %s, NULL FROM {quote(Ticket._meta.db_table)} WHERE {quote('id')} {chosen}",
            [db_time(timezone.now()), "SLA escalation", "~", ids],
        )


# The audit columns written with each historical row: when, why, what kind of change, by whom.
HISTORY_FIELDS = ("history_date", "history_change_reason", "history_type", "history_user")
