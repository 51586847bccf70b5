"""SLA countdowns as people read them: "due in 3 h 20 min", "overdue by 2 h", "paused"."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext

from complaints.selectors import Clock, next_clock

register = template.Library()


@register.filter
def span(delta: timedelta | None) -> str:
    """A length of time in days, hours and minutes, the two largest units that are not zero."""
    if delta is None:
        return ""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(gettext("%(n)s d") % {"n": days})
    if hours:
        parts.append(gettext("%(n)s h") % {"n": hours})
    if minutes and not days:
        parts.append(gettext("%(n)s min") % {"n": minutes})
    return " ".join(parts[:2]) or gettext("less than a minute")


@register.inclusion_tag("complaints/_sla_clock.html")
def sla_clock(clock: Clock):
    return {"clock": clock}


@register.simple_tag
def queue_clock(ticket, now) -> Clock:
    """The clock of a queue row: its next running deadline (annotated by the queue's query)."""
    return next_clock(ticket, now=now)
