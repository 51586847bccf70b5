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
from datetime import UTC, datetime

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
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.roles import ROLE_EXECUTIVE, ROLE_SERVICE_DESK

from .models import DepartmentHead, EscalationStep, Ticket, TicketEscalation, TicketEvent
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
    ticket: Ticket
    step: int
    reason: str
    due_at: datetime
    recipients: list[int]


def _people() -> tuple[dict[str, list[int]], list[int], list[int]]:
    """Department heads by department, the executives and the service desk, in two queries."""
    heads: dict[str, list[int]] = defaultdict(list)
    for department, user_id in DepartmentHead.objects.filter(user__is_active=True).values_list("department", "user_id"):
        heads[department].append(user_id)
    executives, service_desk = [], []
    User = get_user_model()
    for user_id, group in (
        User.objects.filter(is_active=True, groups__name__in=[ROLE_EXECUTIVE, ROLE_SERVICE_DESK])
        .order_by("pk")
        .values_list("pk", "groups__name")
    ):
        (executives if group == ROLE_EXECUTIVE else service_desk).append(user_id)
    return heads, executives, service_desk


def _rungs(ticket: Ticket, *, heads, executives, service_desk) -> list[_Rung]:
    """The steps the ticket reaches now and has not reached before, with whom each one tells."""
    department_heads = heads.get(ticket.department) or service_desk
    rungs = []
    for step in range(ticket.done_level + 1, ticket.target_level + 1):
        on_response_clock = ticket.response_level >= step
        if on_response_clock:
            due_at = ticket.response_due_at
            reason = TicketEscalation.Reason.RESPONSE_NEAR if step == 1 else TicketEscalation.Reason.RESPONSE_LATE
        else:
            due_at = ticket.resolution_due_at
            reason = TicketEscalation.Reason.RESOLUTION_NEAR if step == 1 else TicketEscalation.Reason.RESOLUTION_LATE
        if step == EscalationStep.ASSIGNEE:
            recipients = [ticket.assigned_to_id] if ticket.assigned_to_id else department_heads
        elif step == EscalationStep.DEPARTMENT_HEAD:
            recipients = department_heads
        elif step == EscalationStep.ACCOUNT_OWNER:
            recipients = [ticket.customer.owner_id, ticket.customer.backup_owner_id]
        else:
            recipients = executives
        rungs.append(_Rung(ticket, step, reason, due_at, list(dict.fromkeys(r for r in recipients if r))))
    return rungs


def _db_time(value: datetime) -> str:
    """A timestamp as the database stores it (UTC; SQLite keeps text in Django's own format)."""
    value = value.astimezone(UTC)
    if connection.vendor == "postgresql":
        return value.isoformat()
    return value.replace(tzinfo=None).isoformat(sep=" ")


def _insert_new_steps(rungs: list[_Rung], *, now: datetime) -> dict[tuple[int, int], int]:
    """Insert the steps in one statement; the ones another run already recorded are left alone.
    Returns the id of each row this call inserted, by (ticket id, step)."""
    rows = json.dumps(
        [{"ticket_id": r.ticket.pk, "step": r.step, "reason": r.reason, "due_at": _db_time(r.due_at)} for r in rungs]
    )
    table = connection.ops.quote_name(TicketEscalation._meta.db_table)
    if connection.vendor == "postgresql":
        source = (
            "SELECT x.ticket_id, x.step, x.reason, %s::timestamptz, x.due_at FROM jsonb_to_recordset(%s::jsonb) "
            "AS x(ticket_id bigint, step smallint, reason varchar, due_at timestamptz)"
        )
    else:
        source = (
            "SELECT json_extract(value, '$.ticket_id'), json_extract(value, '$.step'), "
            "json_extract(value, '$.reason'), %s, json_extract(value, '$.due_at') FROM json_each(%s) WHERE true"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, step, reason, at, due_at) {source} "
            "ON CONFLICT (ticket_id, step) DO NOTHING RETURNING id, ticket_id, step",
            [_db_time(now), rows],
        )
        return {(ticket_id, step): escalation_id for escalation_id, ticket_id, step in cursor.fetchall()}


@transaction.atomic
def tickets_escalate(*, now: datetime | None = None) -> EscalationResult:
    """Escalate every running ticket that reached a new step of the ladder by ``now`` (default: the
    current time): record the step, note it in the ticket's history, raise the ticket's escalation
    level and notify the step's people. Safe to run again and from several workers at once."""
    now = now or timezone.now()
    tickets = list(
        tickets_due_for_escalation(now=now)
        .select_related("customer")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    if not tickets:
        return EscalationResult(now, 0, 0, 0)
    heads, executives, service_desk = _people()
    rungs = [rung for t in tickets for rung in _rungs(t, heads=heads, executives=executives, service_desk=service_desk)]
    inserted = _insert_new_steps(rungs, now=now)
    rungs = [r for r in rungs if (r.ticket.pk, r.step) in inserted]
    if not rungs:
        return EscalationResult(now, 0, 0, 0)

    Notified = TicketEscalation.notified.through
    Notified.objects.bulk_create(
        [Notified(ticketescalation_id=inserted[r.ticket.pk, r.step], user_id=u) for r in rungs for u in r.recipients]
    )

    by_ticket: dict[int, list[_Rung]] = defaultdict(list)
    for rung in rungs:
        by_ticket[rung.ticket.pk].append(rung)

    def params(rung: _Rung) -> dict:
        return {
            "number": rung.ticket.pk,
            "subject": rung.ticket.subject,
            "customer": rung.ticket.customer.name,
            "step": rung.step,
            "reason": rung.reason,
            "due": rung.due_at.isoformat() if rung.due_at else "",
        }

    # The ticket's history is written in the business's language, as the rest of it is.
    with translation.override(settings.LANGUAGE_CODE):
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=r.ticket.pk,
                    at=now,
                    kind=TicketEvent.Kind.ESCALATION,
                    comment=gettext("SLA escalation, step %(step)s (%(step_name)s): %(reason)s; told %(count)s.")
                    % {
                        "step": r.step,
                        "step_name": EscalationStep(r.step).label,
                        "reason": TicketEscalation.Reason(r.reason).label,
                        "count": len(r.recipients),
                    },
                )
                for r in rungs
            ]
        )

    escalated = []
    for ticket_rungs in by_ticket.values():
        ticket = ticket_rungs[0].ticket
        ticket.escalation_level = max(ticket.escalation_level, *(r.step for r in ticket_rungs))
        escalated.append(ticket)
    _raise_levels(escalated, now=now)

    # One notification per ticket and person: whoever several new steps name hears it once, for
    # the highest of them.
    messages = []
    for ticket_rungs in by_ticket.values():
        top = ticket_rungs[-1]
        recipients = [u for r in ticket_rungs for u in r.recipients]
        link = ticket_link(ticket_id=top.ticket.pk, customer_id=top.ticket.customer_id)
        messages.append(
            Message(recipients=recipients, kind="escalation", params=params(top), ticket_id=top.ticket.pk, link=link)
        )
    notifications = notify_bulk(messages, at=now)
    return EscalationResult(now, len(by_ticket), len(rungs), len(notifications))


def _raise_levels(tickets: list[Ticket], *, now: datetime) -> None:
    """Store the new escalation levels in one UPDATE (each ticket's highest recorded step) and
    their audit rows in one INSERT."""
    highest_recorded = TicketEscalation.objects.filter(ticket=OuterRef("pk")).order_by("-step").values("step")[:1]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        escalation_level=Greatest(F("escalation_level"), Subquery(highest_recorded, output_field=IntegerField()))
    )
    Ticket.history.bulk_history_create(tickets, update=True, default_change_reason="SLA escalation")
