"""Thin Celery tasks of the complaints app: SLA escalation, notification emails and the analytics'
monthly figures."""

from datetime import datetime

from celery import shared_task
from django.dispatch import receiver

from keyaccounts.faults import enqueue

from .escalation import tickets_escalate
from .monthly import complaint_months_refresh
from .notifications import emails_send, notifications_committed, unsent_emails_send


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=4 * 60, time_limit=5 * 60)
def escalate_tickets(self, now: str | None = None) -> dict:
    """Escalate the tickets near or past their SLA deadlines (at ``now``, ISO time, default the
    current time). Safe to repeat: each step of a ticket is recorded and notified once."""
    result = tickets_escalate(now=datetime.fromisoformat(now) if now else None)
    return {
        "now": result.now.isoformat(),
        "tickets": result.tickets,
        "steps": result.steps,
        "notifications": result.notifications,
    }


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=20 * 60, time_limit=21 * 60)
def refresh_complaint_months() -> int:
    """Rebuild the complaint analytics' monthly figures whole (complaints.monthly): the safety net
    under the refresh of every ticket write, and the months whose deadlines have passed read from
    the table again. Returns the rows written."""
    return complaint_months_refresh()


@shared_task(acks_late=True, ignore_result=True, reject_on_worker_lost=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email notifications to their recipients (those with an address); each goes once."""
    return emails_send(notification_ids=notification_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=10 * 60, time_limit=11 * 60)
def send_unsent_notification_emails() -> int:
    """Catch up the notification emails whose task could not be queued while the broker was down."""
    return unsent_emails_send()


@receiver(notifications_committed, dispatch_uid="complaints_queue_notification_emails")
def queue_notification_emails(sender, ids: list[int], **kwargs) -> None:
    """New notifications are committed: e-mail them from a worker. With the broker down the
    notifications stay in the centre and the periodic catch-up mails them later."""
    enqueue(send_notification_emails, ids)
