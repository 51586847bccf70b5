"""The Celery application. Configuration comes from Django settings (namespace CELERY)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

app = Celery("keyaccounts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The whole beat schedule, in the business's time zone (CELERY_TIMEZONE = TIME_ZONE).
app.conf.beat_schedule = {
    # Overrides end before the night's scoring, so the night's bands no longer carry them.
    "expire-risk-overrides": {
        "task": "accounts.tasks.expire_overrides",
        "schedule": crontab(hour=0, minute=15),
        "options": {"expires": 6 * 3600},
    },
    # Tiering, then risk scoring, then alerts, in one task so the order always holds. Expires
    # well under a day, so a backlog after an outage does not pile up nightly runs.
    "nightly-risk": {
        "task": "accounts.tasks.nightly_risk",
        "schedule": crontab(hour=1, minute=30),
        "options": {"expires": 12 * 3600},
    },
    # The complaint analytics' monthly figures rebuilt whole, after the night (a task of its own,
    # so the night's steps do not wait for it); ticket writes keep them current during the day.
    "refresh-complaint-months": {
        "task": "complaints.tasks.refresh_complaint_months",
        "schedule": crontab(hour=3, minute=0),
        "options": {"expires": 12 * 3600},
    },
    # Tickets near or past their SLA deadlines climb the escalation ladder. Every five minutes, so
    # a step fires at most five minutes late; a run not started within four minutes is dropped,
    # as the next one covers the same tickets.
    "escalate-tickets": {
        "task": "complaints.tasks.escalate_tickets",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Notification emails whose task could not be queued (the broker was down when the
    # notification was made) go out with the next run after the broker is back.
    "send-unsent-notification-emails": {
        "task": "complaints.tasks.send_unsent_notification_emails",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 10 * 60},
    },
    # Monday morning, after the night's scoring and summaries: one digest per executive per week
    # (sends are recorded, so a second run in the week sends nothing). Expires within the day.
    "weekly-executive-digest": {
        "task": "accounts.tasks.weekly_digest",
        "schedule": crontab(hour=7, minute=30, day_of_week=1),
        "options": {"expires": 12 * 3600},
    },
    # Customer-list workbooks are kept a day (EXPORT_KEEP_HOURS) for their owner to download;
    # hourly, so a file outlives its day by at most an hour (a download after the day is refused).
    "remove-old-exports": {
        "task": "accounts.tasks.remove_old_exports",
        "schedule": crontab(minute=40),
        "options": {"expires": 30 * 60},
    },
}
