"""The notification centre: write notifications (in bulk, once per recipient), read a person's own,
mark them read, and email them after the transaction that created them commits.

Other code tells people things through ``notify`` (one message, many recipients) or
``notify_bulk`` (many messages in one insert, as the escalation task does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext, ngettext

from accounts.people import display_name
from keyaccounts.bulk import db_time, insert_rows

from .models import EscalationStep, Notification, Ticket, TicketEscalation

# The badge says "99+" rather than counting a neglected inbox to the end.
BADGE_LIMIT = 99
# Emails per task: a batch goes out well within the task's time limit even over a slow SMTP server.
# Sent once new notifications are committed, one batch of ids at a time; `complaints.tasks` queues
# their e-mails. Services announce, the task module listens: neither imports the other's caller.
notifications_committed = Signal()

EMAIL_BATCH = 200
# Notifications left unmailed (their email task could not be queued: the broker was down) are sent
# by the catch-up once they are this old, and no more once they are older than the window.
CATCH_UP_GRACE = timedelta(minutes=10)
CATCH_UP_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class Message:
    """One thing to tell some people. ``recipients`` are users or user ids; repeats are dropped."""

    recipients: Iterable
    kind: str = Notification.Kind.MESSAGE
    params: dict = field(default_factory=dict)
    ticket_id: int | None = None
    link: str = ""


def _pk(obj_or_pk) -> int | None:
    """A model instance's primary key, or the key itself."""
    return getattr(obj_or_pk, "pk", obj_or_pk)


def notify_bulk(messages: Iterable[Message], *, at: datetime | None = None) -> list[Notification]:
    """Store every message for each of its recipients in one insert and email them after commit.

    A recipient named twice in one message gets it once. Returns the notifications created (with
    their ids; built from the inserted rows, not read back)."""
    at = at or timezone.now()
    rows = []
    for message in messages:
        seen: set[int] = set()
        for recipient in message.recipients:
            user_id = _pk(recipient)
            if user_id is None or user_id in seen:
                continue
            seen.add(user_id)
            rows.append(
                {
                    "recipient_id": user_id,
                    "kind": str(message.kind),
                    "params": message.params,
                    "ticket_id": message.ticket_id,
                    "link": message.link,
                    "created_at": at,
                }
            )
    if not rows:
        return []
    ids = [
        pk
        for (pk,) in insert_rows(
            Notification,
            ["recipient", "kind", "params", "ticket", "link", "created_at"],
            [{**row, "created_at": db_time(at)} for row in rows],
            returning=["id"],
        )
    ]

    def queue_emails():
        for start in range(0, len(ids), EMAIL_BATCH):
            notifications_committed.send(sender=Notification, ids=ids[start : start + EMAIL_BATCH])

    transaction.on_commit(queue_emails)
    return [Notification(pk=pk, **row) for pk, row in zip(ids, rows, strict=True)]


def notify(
    *,
    recipients: Iterable,
    text: str = "",
    kind: str = Notification.Kind.MESSAGE,
    params: dict | None = None,
    ticket=None,
    link: str = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Tell ``recipients`` (users or ids) something, in the centre and by email.

    A plain message passes its (already translated) ``text``; a structured kind passes ``params``
    and is rendered in each reader's language by ``render_notification``. ``ticket`` (a ticket or
    its id) ties the notification to a ticket; ``link`` is where clicking it leads."""
    params = dict(params or {})
    if text:
        params["text"] = text
    message = Message(recipients=recipients, kind=kind, params=params, ticket_id=_pk(ticket), link=link)
    return notify_bulk([message], at=at)


def ticket_message(ticket, *, kind: str, recipients: Iterable, by=None) -> Message:
    """A message about ``ticket`` (its customer loaded) for ``recipients``: who did it and where
    the ticket is now go into its params, so it reads the same in any language later."""
    return Message(
        recipients=recipients,
        kind=kind,
        params={
            "number": ticket.pk,
            "subject": ticket.subject,
            "customer": ticket.customer.name,
            "department": ticket.department,
            "by": display_name(by) if by is not None else "",
        },
        ticket_id=ticket.pk,
        link=ticket_link(ticket_id=ticket.pk),
    )


def ticket_link(*, ticket_id: int) -> str:
    """Where a notification about a ticket leads: the ticket's page."""
    return reverse("ticket_detail", args=[ticket_id])


# Reading ----------------------------------------------------------------------------------------


def notifications_for(*, user) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody reads anyone else's."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(*, user) -> tuple[int, bool]:
    """How many unread notifications the user has, capped for the badge: (count, more than that)."""
    ids = notifications_for(user=user).filter(read_at__isnull=True).values("pk")[: BADGE_LIMIT + 1]
    count = Notification.objects.filter(pk__in=ids).count()
    return min(count, BADGE_LIMIT), count > BADGE_LIMIT


def _local(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def render_notification(kind: str, params: dict) -> str:
    """The notification's text in the active language."""
    p = params or {}
    if kind == Notification.Kind.ESCALATION:
        reason = TicketEscalation.Reason(p["reason"]).label if p.get("reason") in TicketEscalation.Reason else ""
        step = EscalationStep(p["step"]).label if p.get("step") in EscalationStep.values else ""
        return gettext(
            "Ticket #%(number)s “%(subject)s” · %(customer)s — %(reason)s (deadline %(due)s). "
            "Escalation step %(step)s: %(step_name)s."
        ) % {
            "number": p.get("number"),
            "subject": p.get("subject", ""),
            "customer": p.get("customer", ""),
            "reason": reason,
            "due": _local(p.get("due")),
            "step": p.get("step"),
            "step_name": step,
        }
    if kind == Notification.Kind.ASSIGNED:
        return gettext("Ticket #%(number)s “%(subject)s” · %(customer)s is yours now: %(by)s assigned it to you.") % {
            "number": p.get("number"),
            "subject": p.get("subject", ""),
            "customer": p.get("customer", ""),
            "by": p.get("by", ""),
        }
    if kind == Notification.Kind.ROUTED:
        return gettext(
            "Quality complaint #%(number)s “%(subject)s” · %(customer)s has reached %(department)s. "
            "Every hour it waits pushes the customer toward a competitor."
        ) % {
            "number": p.get("number"),
            "subject": p.get("subject", ""),
            "customer": p.get("customer", ""),
            "department": _department(p.get("department")),
        }
    if kind == Notification.Kind.PLAY:
        title = p.get("title_zh") if p.get("title_zh") and _in_chinese() else p.get("title", "")
        due = formats.date_format(parse_date(p["due"]), "SHORT_DATE_FORMAT") if parse_date(p.get("due") or "") else ""
        if p.get("count", 1) > 1:
            return ngettext(
                "%(count)d new play for your customers, the first due %(due)s: %(customer)s — %(title)s.",
                "%(count)d new plays for your customers, the first due %(due)s: %(customer)s — %(title)s.",
                p["count"],
            ) % {"count": p["count"], "due": due, "customer": p.get("customer", ""), "title": title}
        return gettext("New play for %(customer)s: %(title)s, due %(due)s.") % {
            "customer": p.get("customer", ""),
            "title": title,
            "due": due,
        }
    return str(p.get("text", ""))


def _in_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _department(value) -> str:
    return str(Ticket.Department(value).label) if value in Ticket.Department.values else str(value or "")


def render_subject(kind: str, params: dict) -> str:
    p = params or {}
    if kind == Notification.Kind.ESCALATION:
        return gettext("Escalation step %(step)s: ticket #%(number)s, %(customer)s") % {
            "step": p.get("step"),
            "number": p.get("number"),
            "customer": p.get("customer", ""),
        }
    if kind == Notification.Kind.ASSIGNED:
        return gettext("Ticket #%(number)s assigned to you, %(customer)s") % {
            "number": p.get("number"),
            "customer": p.get("customer", ""),
        }
    if kind == Notification.Kind.ROUTED:
        return gettext("Quality complaint #%(number)s for %(department)s, %(customer)s") % {
            "number": p.get("number"),
            "department": _department(p.get("department")),
            "customer": p.get("customer", ""),
        }
    if kind == Notification.Kind.PLAY:
        return gettext("New play for %(customer)s") % {"customer": p.get("customer", "")}
    return gettext("Notification")


# Writing ----------------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (a second time changes nothing).

    Raises Notification.DoesNotExist for anyone else's notification."""
    notification = notifications_for(user=user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    return notifications_for(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


def emails_send(*, notification_ids: list[int]) -> int:
    """Email the given notifications to their recipients who have an address and are active, once:
    each is stamped when sent, so a retried task does not send it again. Returns how many went."""
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True, recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")
    )
    if not pending:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        emails = [
            EmailMessage(
                subject=one_line(settings.EMAIL_SUBJECT_PREFIX + render_subject(n.kind, n.params)),
                body=_email_body(n),
                to=[n.recipient.email],
            )
            for n in pending
        ]
    sent = get_connection().send_messages(emails) or 0
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return sent


def unsent_emails_send(*, now: datetime | None = None) -> int:
    """Email the notifications whose own email never went (their task could not be queued), from
    CATCH_UP_GRACE to CATCH_UP_WINDOW old; returns how many went. The grace leaves a queued task
    time to run first; a task still waiting after it may send its batch a second time."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lte=now - CATCH_UP_GRACE,
            created_at__gte=now - CATCH_UP_WINDOW,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(emails_send(notification_ids=ids[i : i + EMAIL_BATCH]) for i in range(0, len(ids), EMAIL_BATCH))


def one_line(text: str, limit: int = 200) -> str:
    """Text fit for a mail header: every run of whitespace (line breaks included, which a header
    cannot hold and which would stop the whole batch) becomes one space; at most ``limit``
    characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _email_body(notification: Notification) -> str:
    body = render_notification(notification.kind, notification.params)
    if notification.link:
        body += "\n\n" + settings.SITE_URL + notification.link
    body += "\n\n" + gettext("All your notifications: %(url)s") % {
        "url": settings.SITE_URL + reverse("notification_list")
    }
    return body
