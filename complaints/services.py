"""Writes of the complaints app: opening tickets (and, later, working them through the desk)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Customer
from relationships.models import Contact

from .models import SlaPolicy, Ticket, TicketEvent


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
) -> Ticket:
    """Open a complaint or service request for a customer and return it.

    The response and resolution targets are fixed now from the SLA policy of the customer's tier
    and the severity (none when no policy exists), so "past SLA" stays a plain comparison later.
    A quality complaint reaches production at the moment it opens. The history records who opened
    it, and the routing.
    """
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValueError("A ticket needs a subject.")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValueError("The contact belongs to another customer.")
    opened_at = opened_at or timezone.now()
    policy = SlaPolicy.objects.filter(tier=customer.tier, severity=severity).first()
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
    return ticket
