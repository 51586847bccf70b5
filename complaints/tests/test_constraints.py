"""Every database constraint of the complaints app, broken one at a time.

See accounts/tests/test_constraints.py for how a case is checked and for the meta-test that
keeps this list complete.
"""

from datetime import timedelta

import pytest
from django.db import connection

from accounts.models import Tier
from accounts.tests.test_constraints import assert_constraint_enforced, case_registry
from complaints.models import DepartmentHead, Severity, Ticket, TicketEscalation, TicketEvent
from keyaccounts.tests import factories as f

CASES, breaks = case_registry()


# SLA policies -----------------------------------------------------------------------------------


@breaks("slapolicy_unique_tier_severity")
def second_policy_for_the_same_tier_and_severity():
    f.SlaPolicyFactory(tier=Tier.KEY, severity=Severity.HIGH)
    second = f.SlaPolicyFactory(tier=Tier.KEY, severity=Severity.LOW)
    second.severity = Severity.HIGH
    return second


@breaks("slapolicy_response_positive")
def policy_expecting_an_instant_response():
    policy = f.SlaPolicyFactory()
    policy.response_hours = 0
    return policy


@breaks("slapolicy_resolution_after_response")
def policy_resolving_before_responding():
    policy = f.SlaPolicyFactory(response_hours=24, resolution_hours=72)
    policy.resolution_hours = 12
    return policy


# Tickets ----------------------------------------------------------------------------------------


@breaks("ticket_response_after_open")
def ticket_answered_before_it_was_opened():
    ticket = f.TicketFactory()
    ticket.first_response_at = ticket.opened_at - timedelta(hours=1)
    return ticket


@breaks("ticket_resolved_after_open")
def ticket_resolved_before_it_was_opened():
    ticket = f.TicketFactory()
    ticket.resolved_at = ticket.opened_at - timedelta(hours=1)
    return ticket


@breaks("ticket_closed_after_resolved")
def ticket_closed_before_it_was_resolved():
    ticket = f.TicketFactory()
    ticket.status = Ticket.Status.RESOLVED
    ticket.resolved_at = ticket.opened_at + timedelta(hours=5)
    ticket.closed_at = ticket.opened_at + timedelta(hours=4)
    return ticket


@breaks("ticket_escalated_after_open")
def ticket_escalated_before_it_was_opened():
    ticket = f.TicketFactory()
    ticket.escalated_at = ticket.opened_at - timedelta(hours=1)
    return ticket


@breaks("ticket_satisfaction_range")
def ticket_with_satisfaction_six():
    ticket = f.TicketFactory()
    ticket.satisfaction = 6
    return ticket


@breaks("ticket_resolved_status_has_time")
def resolved_ticket_without_resolution_time():
    ticket = f.TicketFactory()
    ticket.status = Ticket.Status.RESOLVED
    return ticket


@breaks("ticket_closed_status_has_time")
def closed_ticket_without_closing_time():
    ticket = f.TicketFactory()
    ticket.status = Ticket.Status.CLOSED
    ticket.resolved_at = ticket.opened_at + timedelta(hours=5)
    return ticket


@breaks("ticket_onsite_done_needs_request")
def onsite_visit_done_without_a_request():
    ticket = f.TicketFactory()
    ticket.onsite_done_at = ticket.opened_at + timedelta(hours=6)
    return ticket


@breaks("ticket_onsite_scheduled_needs_request")
def onsite_visit_scheduled_without_a_request():
    ticket = f.TicketFactory()
    ticket.onsite_scheduled_for = ticket.opened_at + timedelta(hours=6)
    return ticket


@breaks("ticket_paused_only_while_waiting")
def clock_paused_while_the_desk_works_on_it():
    ticket = f.TicketFactory(status=Ticket.Status.IN_PROGRESS)
    ticket.sla_paused_at = ticket.opened_at + timedelta(hours=1)
    return ticket


@breaks("ticket_severity_valid", field="severity")
def ticket_of_unknown_severity():
    ticket = f.TicketFactory()
    ticket.severity = "dire"
    return ticket


@breaks("ticket_status_valid", field="status")
def ticket_in_an_unknown_status():
    ticket = f.TicketFactory()
    ticket.status = "forgotten"
    return ticket


@breaks("ticket_unique_external_id")
def second_ticket_with_the_same_external_id():
    f.TicketFactory(external_id="T-1")
    return f.TicketFactory.build(customer=f.CustomerFactory(), external_id="T-1")


# Ticket history ---------------------------------------------------------------------------------


@breaks("ticketevent_status_change_changes")
def status_change_to_the_same_status():
    event = f.TicketEventFactory(kind=TicketEvent.Kind.STATUS, from_status="new", to_status="acknowledged", comment="")
    event.to_status = "new"
    return event


@breaks("ticketevent_comment_not_empty")
def empty_comment():
    event = f.TicketEventFactory(kind=TicketEvent.Kind.COMMENT)
    event.comment = ""
    return event


# Escalation and notifications -------------------------------------------------------------------


@breaks("departmenthead_unique_department_user")
def same_head_twice_for_a_department():
    head = f.DepartmentHeadFactory()
    return DepartmentHead(department=head.department, user=head.user)


@breaks("ticketescalation_once_per_step")
def same_escalation_step_twice():
    first = f.TicketEscalationFactory()
    return TicketEscalation(ticket=first.ticket, step=first.step, reason=first.reason, at=first.at, due_at=first.due_at)


@breaks("ticketescalation_step_range", field="step")
def escalation_beyond_the_last_step():
    escalation = f.TicketEscalationFactory()
    escalation.step = 5
    return escalation


@breaks("notification_kind_valid", field="kind")
def notification_of_an_unknown_kind():
    notification = f.NotificationFactory()
    notification.kind = "carrier_pigeon"
    return notification


# Stored monthly figures -------------------------------------------------------------------------


def _month_row(**fields):
    """A stored row as the refresh writes it: every ticket answered and resolved (no deadline pending)."""
    row = f.ComplaintMonthFactory(**fields)
    row.response_pending_due = row.resolution_pending_due = row.computed_at
    return row


@breaks("complaintmonth_unique_cell")
def second_row_for_the_same_cell():
    first = _month_row()
    second = _month_row(customer=first.customer, severity=Severity.HIGH)
    second.severity = first.severity
    return second


@breaks("complaintmonth_first_of_month")
def month_not_on_its_first_day():
    row = _month_row()
    row.month = row.month.replace(day=15)
    return row


@pytest.mark.django_db
@pytest.mark.parametrize("constraint_name", CASES)
def test_constraint_refuses_a_row_that_breaks_it(constraint_name):
    if constraint_name == "complaintmonth_unique_cell" and connection.vendor != "postgresql":
        pytest.skip("SQLite cannot hold a unique constraint whose NULLs count as equal (models.W047)")
    build, field = CASES[constraint_name]
    assert_constraint_enforced(build(), constraint_name, field)
