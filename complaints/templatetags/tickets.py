"""What a ticket event says, worded in the reader's language from its stored details."""

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext

from complaints.models import EscalationStep, Ticket, TicketEscalation, TicketEvent

register = template.Library()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _assignment(details: dict) -> str:
    parts = []
    if "department" in details:
        parts.append(gettext("to %(department)s") % {"department": _label(Ticket.Department, details["department"])})
    if details.get("assigned_to_name"):
        parts.append(gettext("assigned to %(name)s") % {"name": details["assigned_to_name"]})
    if details.get("unassigned"):
        parts.append(gettext("nobody assigned"))
    return pgettext("list separator", ", ").join(parts)


def _onsite(details: dict) -> str:
    step = details.get("onsite")
    if step == "requested":
        return gettext("On-site visit requested.")
    if step == "scheduled":
        when = formats.date_format(timezone.localtime(datetime.fromisoformat(details["when"])), "DATETIME_FORMAT")
        return gettext("On-site visit scheduled for %(when)s with %(engineer)s.") % {
            "when": when,
            "engineer": details.get("engineer_name", ""),
        }
    if step == "done":
        return gettext("On-site visit done. Report:")
    return ""


@register.simple_tag
def event_summary(event: TicketEvent) -> str:
    """The generated part of an event (empty for a plain comment or status change)."""
    details = event.details or {}
    if not details:
        return ""
    if event.kind == TicketEvent.Kind.ASSIGNMENT:
        return _assignment(details)
    if event.kind == TicketEvent.Kind.ESCALATION and "reached" in details:
        return gettext("Quality complaint reached %(department)s %(hours)s hours after it was opened.") % {
            "department": _label(Ticket.Department, details["reached"]),
            "hours": details.get("hours"),
        }
    if event.kind == TicketEvent.Kind.ESCALATION and "step" in details:
        return gettext("SLA escalation, step %(step)s (%(step_name)s): %(reason)s; told %(count)s.") % {
            "step": details["step"],
            "step_name": _label(EscalationStep, details["step"]),
            "reason": _label(TicketEscalation.Reason, details.get("reason")),
            "count": details.get("told", 0),
        }
    if event.kind == TicketEvent.Kind.CHANGE and "category" in details:
        old, new = details["category"]
        return gettext("Category changed from %(old)s to %(new)s.") % {
            "old": _label(Ticket.Category, old),
            "new": _label(Ticket.Category, new),
        }
    if event.kind == TicketEvent.Kind.ONSITE:
        return _onsite(details)
    return ""
