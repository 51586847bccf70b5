"""Writes of the complaints app: opening tickets and working them through the service desk.

Every service here is keyword-only and runs in one transaction. Those that change a ticket lock
its row first; given the ``version`` a form was opened with (``keyaccounts.editing.edit_version``)
they refuse with StaleEdit when someone else changed the ticket meanwhile, so no update is lost.
Every refusal (StaleEdit is one) is a translated ValidationError with a message for the user,
and changes nothing. ``now`` is the moment of the change (tests pass a fixed clock).

For code that reacts to ticket changes (notifications): ticket_open, ticket_transition,
ticket_assign, ticket_assign_bulk, ticket_comment, ticket_change_category, ticket_onsite_request,
ticket_onsite_schedule, ticket_onsite_done and ticket_close each return the changed ticket and
record a TicketEvent naming who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Customer
from accounts.people import display_name
from keyaccounts.editing import lock_unchanged
from relationships.models import Contact

from .escalation import department_heads
from .models import Notification, SlaPolicy, Ticket, TicketEvent
from .notifications import Message, notify_bulk, ticket_message


def routed_department(*, kind: str, category: str) -> str:
    """Where a ticket goes when it opens: quality complaints straight to production (countermeasure
    4: every hour they wait pushes the customer toward a competitor), the rest to the service desk."""
    if kind == Ticket.Kind.COMPLAINT and category == Ticket.Category.PRODUCT_QUALITY:
        return Ticket.Department.PRODUCTION
    return Ticket.Department.SERVICE


@transaction.atomic
def ticket_open(
    *,
    customer: Customer,
    by,
    subject: str,
    kind: str,
    category: str,
    severity: str,
    channel: str,
    description: str = "",
    contact: Contact | None = None,
    opened_at: datetime | None = None,
    external_id: str = "",
) -> Ticket:
    """Open a complaint or service request for a customer and return it.

    The response and resolution targets are fixed now from the SLA policy of the customer's tier
    and the severity (none when no policy exists), so "past SLA" stays a plain comparison later.
    A quality complaint reaches production at the moment it opens. A ticket of the same customer and
    category opened within the last Ticket.RECURRENCE_DAYS days is linked as ``recurrence_of``
    (the latest such one). The history records who opened it, and the routing. ``external_id`` is
    the ticket's key in another system (the API's upserts find it by that).
    """
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError(gettext("Give the ticket a subject."), code="no_subject")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError(gettext("Choose one of this customer's current contacts."), code="foreign_contact")
    opened_at = opened_at or timezone.now()
    policy = SlaPolicy.objects.filter(tier=customer.tier, severity=severity).first()
    recurrence_of = (
        Ticket.objects.filter(
            customer=customer,
            category=category,
            opened_at__lte=opened_at,
            opened_at__gte=opened_at - timedelta(days=Ticket.RECURRENCE_DAYS),
        )
        .order_by("-opened_at", "-pk")
        .first()
    )
    department = routed_department(kind=kind, category=category)
    routed_now = department == Ticket.Department.PRODUCTION
    ticket = Ticket.objects.create(
        customer=customer,
        contact=contact,
        kind=kind,
        category=category,
        severity=severity,
        channel=channel,
        subject=subject,
        description=(description or "").strip(),
        status=Ticket.Status.NEW,
        department=department,
        opened_at=opened_at,
        response_due_at=opened_at + timedelta(hours=policy.response_hours) if policy else None,
        resolution_due_at=opened_at + timedelta(hours=policy.resolution_hours) if policy else None,
        escalated_at=opened_at if routed_now else None,
        escalation_level=1 if routed_now else 0,
        recurrence_of=recurrence_of,
        external_id=external_id,
    )
    TicketEvent.objects.create(
        ticket=ticket, at=opened_at, by=by, kind=TicketEvent.Kind.CREATED, to_status=Ticket.Status.NEW
    )
    if routed_now:
        TicketEvent.objects.create(
            ticket=ticket,
            at=opened_at,
            by=by,
            kind=TicketEvent.Kind.ESCALATION,
            comment=gettext("Quality complaint sent to %(department)s when it was opened.")
            % {"department": Ticket.Department.PRODUCTION.label},
        )
        notify_bulk(_news(ticket, by=by, assignee_before=None, reached_before=None))
    return ticket


def _news(ticket: Ticket, *, by, assignee_before: int | None, reached_before: datetime | None) -> list[Message]:
    """Who must hear of a change to a ticket: a new assignee (unless they took it themselves), and
    the heads of production or the technical department the moment a quality complaint reaches
    them (countermeasure 4: fed back to production at once)."""
    news = []
    by_id = getattr(by, "pk", None)
    if ticket.assigned_to_id and ticket.assigned_to_id not in (assignee_before, by_id):
        news.append(ticket_message(ticket, kind=Notification.Kind.ASSIGNED, recipients=[ticket.assigned_to_id], by=by))
    if ticket.escalated_at is not None and reached_before is None:
        heads = [pk for pk in department_heads(ticket.department) if pk != by_id]
        news.append(ticket_message(ticket, kind=Notification.Kind.ROUTED, recipients=heads, by=by))
    return news


# ---------------------------------------------------------------------------------------------
# Working a ticket
# ---------------------------------------------------------------------------------------------


@dataclass
class BulkAssignment:
    """What a bulk assignment did: tickets changed, left as they were, refused for the person."""

    changed: int = 0
    unchanged: int = 0
    refused: int = 0


def _locked(ticket: Ticket, version: str | None) -> Ticket:
    """The ticket's row locked for this transaction, fresh from the database; StaleEdit if it
    changed since the form that sends this change was opened."""
    if version is not None:
        return lock_unchanged(ticket, version)
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _event(ticket: Ticket, *, at: datetime, by, kind: str, comment: str = "", **fields) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, at=at, by=by, kind=kind, comment=comment, **fields)


def _not_before_opening(ticket: Ticket, now: datetime) -> None:
    if now < ticket.opened_at:
        raise ValidationError(gettext("A ticket cannot change before it was opened."))


def _resume_clock(ticket: Ticket, now: datetime) -> None:
    """End a pause: the deadlines still running move forward by its length, which is added to the
    paused total. Readers of response_due_at/resolution_due_at never see a stale deadline."""
    if ticket.sla_paused_at is None:
        return
    paused = max(now - ticket.sla_paused_at, timedelta(0))
    if ticket.response_due_at is not None and ticket.first_response_at is None:
        ticket.response_due_at += paused
    if ticket.resolution_due_at is not None and ticket.resolved_at is None:
        ticket.resolution_due_at += paused
    ticket.sla_paused_total += paused
    ticket.sla_paused_at = None


def _move(ticket: Ticket, *, to: str, by, now: datetime, note: str = "") -> None:
    """Apply one allowed workflow move to a locked ticket and record it (no save)."""
    S = Ticket.Status
    from_status = ticket.status
    if to not in ticket.TRANSITIONS.get(from_status, set()):
        raise ValidationError(
            gettext("A ticket that is “%(from)s” cannot move to “%(to)s”.")
            % {"from": S(from_status).label, "to": S(to).label}
        )
    _not_before_opening(ticket, now)
    if from_status == S.WAITING_CUSTOMER:
        # Resolving while waiting ends the wait as well: the pause stops counting now.
        _resume_clock(ticket, now)
    if to == S.WAITING_CUSTOMER:
        ticket.sla_paused_at = now
    # The first response is the first move out of "new": the customer has been answered.
    if from_status == S.NEW and ticket.first_response_at is None:
        ticket.first_response_at = now
    if to == S.RESOLVED:
        ticket.resolved_at = now
    elif to == S.CLOSED:
        ticket.closed_at = now
    elif from_status in (S.RESOLVED, S.CLOSED):
        # Reopened: not solved after all. The risk score reads "open as of" from resolved_at.
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.status = to
    _event(ticket, at=now, by=by, kind=TicketEvent.Kind.STATUS, comment=note, from_status=from_status, to_status=to)


@transaction.atomic
def ticket_transition(
    *, ticket: Ticket, to: str, by, note: str = "", version: str | None = None, now: datetime | None = None
) -> Ticket:
    """Move a ticket along the workflow (Ticket.TRANSITIONS) and return it.

    The first move out of "new" records the first response. Entering "waiting for customer"
    pauses the SLA clock; leaving it resumes the clock with the deadlines pushed forward by the
    pause. Resolving records resolved_at; reopening (resolved or closed → in progress) clears
    resolved_at and closed_at. Closing goes through ticket_close, which asks for the closure facts.
    """
    now = now or timezone.now()
    if to == Ticket.Status.CLOSED:
        raise ValidationError(gettext("Close a ticket with its closure form: root cause and satisfaction."))
    if to not in Ticket.Status.values:
        raise ValidationError(gettext("Unknown status."))
    ticket = _locked(ticket, version)
    _move(ticket, to=to, by=by, now=now, note=(note or "").strip())
    ticket.save()
    return ticket


@transaction.atomic
def ticket_comment(*, ticket: Ticket, by, text: str, now: datetime | None = None) -> TicketEvent:
    """Add a comment to the ticket's history. Comments are internal notes: they do not count as
    the first response (moving the ticket out of "new" does). Appending cannot overwrite anyone,
    so no version is needed; the row lock keeps history in order."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError(gettext("Write a comment first."))
    ticket = _locked(ticket, None)
    _not_before_opening(ticket, now)
    return _event(ticket, at=now, by=by, kind=TicketEvent.Kind.COMMENT, comment=text)


def _reaches_responsible_department(ticket: Ticket, now: datetime, by) -> None:
    """A quality complaint reaching production or the technical department: record when, once."""
    if (
        ticket.kind == Ticket.Kind.COMPLAINT
        and ticket.category == Ticket.Category.PRODUCT_QUALITY
        and ticket.department in (Ticket.Department.PRODUCTION, Ticket.Department.TECHNICAL)
        and ticket.escalated_at is None
    ):
        ticket.escalated_at = now
        hours = round((now - ticket.opened_at).total_seconds() / 3600, 1)
        _event(
            ticket,
            at=now,
            by=by,
            kind=TicketEvent.Kind.ESCALATION,
            details={"reached": ticket.department, "hours": hours},
        )


def _assign(ticket: Ticket, *, by, now: datetime, department: str | None, assigned_to, unassign: bool) -> bool:
    """Apply an assignment to a locked ticket; False when it changes nothing."""
    changes = {}
    if department and department != ticket.department:
        if department not in Ticket.Department.values:
            raise ValidationError(gettext("Unknown department."))
        ticket.department = department
        changes["department"] = department
    if assigned_to is not None and assigned_to.pk != ticket.assigned_to_id:
        ticket.assigned_to = assigned_to
        changes["assigned_to"] = assigned_to.pk
        changes["assigned_to_name"] = display_name(assigned_to)
    elif unassign and ticket.assigned_to_id is not None:
        ticket.assigned_to = None
        changes["unassigned"] = True
    if not changes:
        return False
    _not_before_opening(ticket, now)
    _event(ticket, at=now, by=by, kind=TicketEvent.Kind.ASSIGNMENT, details=changes)
    _reaches_responsible_department(ticket, now, by)
    return True


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    by,
    department: str | None = None,
    assigned_to=None,
    unassign: bool = False,
    version: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Give a ticket to an internal department and/or a person (``unassign`` clears the person).

    A quality complaint handed to production or the technical department records ``escalated_at``
    (the time it took to get there) if it had not reached one before. A person must be able to see
    the ticket (an account manager only his own customers' tickets), or the assignment is refused.
    """
    now = now or timezone.now()
    if not department and assigned_to is None and not unassign:
        raise ValidationError(gettext("Choose a department or a person."))
    ticket = _locked(ticket, version)
    if assigned_to is not None and not Ticket.objects.visible_to(assigned_to).filter(pk=ticket.pk).exists():
        raise ValidationError(
            gettext("%(name)s does not work on this customer's account and cannot take its tickets.")
            % {"name": display_name(assigned_to)}
        )
    assignee_before, reached_before = ticket.assigned_to_id, ticket.escalated_at
    if _assign(ticket, by=by, now=now, department=department, assigned_to=assigned_to, unassign=unassign):
        ticket.save()
        notify_bulk(_news(ticket, by=by, assignee_before=assignee_before, reached_before=reached_before), at=now)
    return ticket


@transaction.atomic
def ticket_assign_bulk(
    *, tickets, by, department: str | None = None, assigned_to=None, now: datetime | None = None
) -> BulkAssignment:
    """Assign many tickets at once (the queue's bulk action). Tickets are locked in id order so two
    bulk runs cannot deadlock. Tickets already so assigned, and closed ones, are left alone
    (unchanged); tickets the person may not see (another manager's customers) are left alone too
    (refused), all or nothing per ticket."""
    now = now or timezone.now()
    if not department and assigned_to is None:
        raise ValidationError(gettext("Choose a department or a person."))
    result = BulkAssignment()
    ids = [t.pk for t in tickets]
    takeable = None
    if assigned_to is not None:
        takeable = set(Ticket.objects.visible_to(assigned_to).filter(pk__in=ids).values_list("pk", flat=True))
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("customer").filter(pk__in=ids).order_by("pk")
    news: list[Message] = []
    for ticket in locked:
        if takeable is not None and ticket.pk not in takeable:
            result.refused += 1
            continue
        if ticket.status == Ticket.Status.CLOSED:
            result.unchanged += 1
            continue
        assignee_before, reached_before = ticket.assigned_to_id, ticket.escalated_at
        if _assign(ticket, by=by, now=now, department=department, assigned_to=assigned_to, unassign=False):
            ticket.save()
            result.changed += 1
            news += _news(ticket, by=by, assignee_before=assignee_before, reached_before=reached_before)
        else:
            result.unchanged += 1
    notify_bulk(news, at=now)
    return result


@transaction.atomic
def ticket_change_category(
    *, ticket: Ticket, by, category: str, version: str | None = None, now: datetime | None = None
) -> Ticket:
    """Correct a ticket's category. A complaint that turns out to be about product quality goes to
    production at once, and the time it took to get there is recorded (unless it got there before)."""
    now = now or timezone.now()
    if category not in Ticket.Category.values:
        raise ValidationError(gettext("Unknown category."))
    ticket = _locked(ticket, version)
    if category == ticket.category:
        return ticket
    _not_before_opening(ticket, now)
    old, reached_before = ticket.category, ticket.escalated_at
    ticket.category = category
    _event(ticket, at=now, by=by, kind=TicketEvent.Kind.CHANGE, details={"category": [old, category]})
    if ticket.is_open and routed_department(kind=ticket.kind, category=category) == Ticket.Department.PRODUCTION:
        _assign(ticket, by=by, now=now, department=Ticket.Department.PRODUCTION, assigned_to=None, unassign=False)
    ticket.save()
    notify_bulk(_news(ticket, by=by, assignee_before=ticket.assigned_to_id, reached_before=reached_before), at=now)
    return ticket


# ---------------------------------------------------------------------------------------------
# On-site service
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_onsite_request(*, ticket: Ticket, by, note: str = "", version: str | None = None, now=None) -> Ticket:
    """Ask the after-sales team to go on site."""
    now = now or timezone.now()
    ticket = _locked(ticket, version)
    if ticket.onsite_requested:
        raise ValidationError(gettext("An on-site visit is already requested for this ticket."))
    if not ticket.is_open:
        raise ValidationError(gettext("Reopen the ticket before requesting an on-site visit."))
    _not_before_opening(ticket, now)
    ticket.onsite_requested = True
    ticket.onsite_requested_at = now
    ticket.save()
    _event(ticket, at=now, by=by, kind=TicketEvent.Kind.ONSITE, comment=note.strip(), details={"onsite": "requested"})
    return ticket


@transaction.atomic
def ticket_onsite_schedule(
    *, ticket: Ticket, by, scheduled_for: datetime, engineer, version: str | None = None, now=None
) -> Ticket:
    """Book the visit: when, and which engineer goes (rescheduling records a new event)."""
    now = now or timezone.now()
    ticket = _locked(ticket, version)
    if not ticket.onsite_requested:
        raise ValidationError(gettext("Request an on-site visit before scheduling it."))
    if ticket.onsite_done_at is not None:
        raise ValidationError(gettext("The on-site visit is already done."))
    if engineer is None:
        raise ValidationError(gettext("Name the engineer who goes on site."))
    if scheduled_for < ticket.opened_at:
        raise ValidationError(gettext("The visit cannot be before the ticket was opened."))
    ticket.onsite_scheduled_for = scheduled_for
    ticket.onsite_engineer = engineer
    ticket.save()
    _event(
        ticket,
        at=now,
        by=by,
        kind=TicketEvent.Kind.ONSITE,
        details={
            "onsite": "scheduled",
            "when": scheduled_for.isoformat(),
            "engineer": engineer.pk,
            "engineer_name": display_name(engineer),
        },
    )
    return ticket


@transaction.atomic
def ticket_onsite_done(
    *, ticket: Ticket, by, report: str, done_at: datetime | None = None, version: str | None = None, now=None
) -> Ticket:
    """The engineer was on site: record when and the report."""
    now = now or timezone.now()
    done_at = done_at or now
    report = (report or "").strip()
    if not report:
        raise ValidationError(gettext("Write the on-site report."))
    if done_at > now:
        raise ValidationError(gettext("A visit cannot be done in the future."))
    ticket = _locked(ticket, version)
    if not ticket.onsite_requested:
        raise ValidationError(gettext("Request an on-site visit first."))
    if ticket.onsite_done_at is not None:
        raise ValidationError(gettext("The on-site visit is already recorded as done."))
    if done_at < ticket.opened_at:
        raise ValidationError(gettext("The visit cannot be before the ticket was opened."))
    ticket.onsite_done_at = done_at
    ticket.onsite_report = report
    ticket.save()
    _event(ticket, at=now, by=by, kind=TicketEvent.Kind.ONSITE, comment=report, details={"onsite": "done"})
    return ticket


# ---------------------------------------------------------------------------------------------
# Closure
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_close(
    *,
    ticket: Ticket,
    by,
    root_cause: str = "",
    corrective_action: str = "",
    satisfaction: int | None = None,
    version: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Close a resolved ticket with what was learnt. A complaint needs its root cause, corrective
    action and the customer's satisfaction (1–5); a service request may close without them."""
    now = now or timezone.now()
    root_cause = (root_cause or "").strip()
    corrective_action = (corrective_action or "").strip()
    ticket = _locked(ticket, version)
    problems = []
    if ticket.kind == Ticket.Kind.COMPLAINT:
        if not root_cause:
            problems.append(gettext("A complaint is closed only with its root cause."))
        if not corrective_action:
            problems.append(gettext("A complaint is closed only with the corrective action taken."))
        if satisfaction is None:
            problems.append(gettext("A complaint is closed only with the customer's satisfaction (1–5)."))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        problems.append(gettext("Satisfaction is a score from 1 to 5."))
    if problems:
        raise ValidationError(problems)
    _move(ticket, to=Ticket.Status.CLOSED, by=by, now=now)
    ticket.root_cause = root_cause
    ticket.corrective_action = corrective_action
    ticket.satisfaction = satisfaction
    ticket.save()
    return ticket
